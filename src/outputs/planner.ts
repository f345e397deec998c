import type { z } from "zod";
import { isLateToken } from "../stack/late.ts";
import { ConfigError, configKey, type ConfigIssue } from "../config/errors.ts";
import {
  ACKNOWLEDGE_PLAINTEXT_KEY,
  ADDRESS_KEY_PATTERN,
  AWS_PASSTHROUGH_BLOCKS,
  CANARY_QUIET_PRIORITY,
  CHART_OUTPUT_KEYS,
  CREDENTIAL_KEY_PATTERN,
  DEFAULT_PRIORITY,
  HUMAN_FACING_OUTPUTS,
  OUTPUT_NAMES,
  OUTPUTS,
  PASSTHROUGH_KEY,
  RENDER_ENV_PREFIX,
  SECRET_REQUIRED,
  UNSUPPORTED_KEYS,
  envName,
  type KeySpec,
  type OutputName,
  type Priority,
  type ValueKind,
} from "./catalog.ts";
import { missingCredentials } from "./credential-pairs.ts";
import { didYouMean } from "../config/suggest.ts";
import {
  allowedKeysAt,
  outputSchema,
  parseLeaf,
  parsePriority,
  urlCarriesCredentials,
  type Headers,
} from "./schema.ts";
import { hideValue } from "./redact.ts";

/** A value that comes from a secret config value or the environment at render time. */
export interface SecretPlaceholder {
  placeholder: true;
  /** The environment variable `render` reads the value from, e.g. FALCO_STACK_SLACK_WEBHOOKURL. */
  env: string;
  /** The full config key, e.g. falco-stack:outputs.slack.webhookurl. */
  configKey: string;
  /** The command that stores the value encrypted in the stack (it prompts for the value). */
  command: string;
}

export interface OutputsPlan {
  /** Goes under the sidekick chart's `config:` block: non-sensitive settings only, in the chart's spelling. */
  chartConfig: Record<string, unknown>;
  /** Env var name (as in the chart's Secret) -> value, for the Pulumi-managed Secret. */
  secretEnv: Record<string, string | SecretPlaceholder>;
  /** Dot paths relative to outputs (`slack.webhookurl`) of the values that went to the Secret. */
  sensitivePaths: string[];
  /** The enabled outputs, for the stack output; never a secret. */
  enabled: { name: string; minimumpriority: Priority }[];
  /** E.g. a sensitive value given in plain text, with the `pulumi config set --secret --path ...` command. */
  warnings: string[];
}

export interface PlanOptions {
  /** `pulumi up`: "error" (ConfigError with the commands); `render`: "placeholder" (env value or SecretPlaceholder). */
  missingSecret: "error" | "placeholder";
  /** Dot paths relative to outputs (e.g. "slack.webhookurl") whose values came from secure config. */
  secretPaths?: ReadonlySet<string>;
  /** The whole `falco-stack:outputs` value is known to be secret (per-leaf information is not available). */
  allSecret?: boolean;
  /** For render: where secret values may come from, as FALCO_STACK_<SIDEKICK ENV NAME>. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Stack name, to put `--stack NAME` into suggested commands. */
  stack?: string;
  /** Sensitive settings come from a Secret the user manages (`outputs.existingSecret`): none is required here. */
  existingSecret?: boolean;
  /** The detection canary runs: human-facing outputs default to `informational`, above its Debug events. */
  canary?: boolean;
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{ secure: "v1:..." }`: an encrypted value as it appears in a stack file read without Pulumi. */
function isEncrypted(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

function isSecretMarker(value: unknown): "declared" | "encrypted" | undefined {
  if (value === SECRET_REQUIRED) return "declared";
  if (isEncrypted(value)) return "encrypted";
  if (isPlainObject(value) && Object.values(value).some((v) => isSecretMarker(v) !== undefined))
    return "encrypted";
  return undefined;
}

export function isSecretPlaceholder(value: unknown): value is SecretPlaceholder {
  return isPlainObject(value) && value.placeholder === true && typeof value.env === "string";
}

/** The command that stores a setting encrypted; without a value on the command line Pulumi prompts for it. */
export function secretCommand(key: string, stack?: string): string {
  return `pulumi config set --secret --path '${key}'${stack ? ` --stack ${stack}` : ""}`;
}

/** Marks every placeholder written by `render`, so a grep finds the values still to fill in. */
export const PLACEHOLDER_MARKER = "FALCO_STACK_PLACEHOLDER";

/** The text `render` writes into manifests.yaml in place of a secret it could not read. */
export function placeholderText(placeholder: SecretPlaceholder): string {
  return `${PLACEHOLDER_MARKER}(${placeholder.configKey}): set ${placeholder.env} when rendering, or run: ${placeholder.command}`;
}

/** secretEnv with placeholders written as their marked text (for render's manifests.yaml). */
export function secretEnvForRender(secretEnv: OutputsPlan["secretEnv"]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(secretEnv)) {
    result[name] = typeof value === "string" ? value : placeholderText(value);
  }
  return result;
}

/** Kinds whose value may be a secret: text. Booleans, numbers, enums and priorities never are. */
function canBeSecret(kind: ValueKind): boolean {
  return !["boolean", "integer", "enum", "priority"].includes(kind.type);
}

function envValue(kind: ValueKind, value: unknown): string {
  if (isLateToken(value)) return value;
  if (kind.type === "headers") {
    const headers = value as Headers;
    // Loki and webhook parse `k:v,k:v` from env; Elasticsearch goes through viper's GetStringMapString (JSON).
    return kind.format === "json"
      ? JSON.stringify(headers)
      : Object.entries(headers)
          .map(([k, v]) => `${k}:${v}`)
          .join(",");
  }
  return String(value);
}

export { hideValue };

function getPath(object: unknown, path: readonly string[]): unknown {
  let node = object;
  for (const part of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

function setPath(object: PlainObject, path: readonly string[], value: unknown): void {
  let node = object;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (isPlainObject(next)) node = next;
    else node = node[part] = {};
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function deletePath(object: unknown, path: readonly string[]): void {
  const parent = getPath(object, path.slice(0, -1));
  const last = path.at(-1);
  if (isPlainObject(parent) && last !== undefined) Reflect.deleteProperty(parent, last);
}

function deepClone<T>(value: T): T {
  return structuredClone(value);
}

function mergeInto(target: PlainObject, source: PlainObject): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
    else target[key] = value;
  }
}

class Planner {
  readonly plan: OutputsPlan = {
    chartConfig: {},
    secretEnv: {},
    sensitivePaths: [],
    enabled: [],
    warnings: [],
  };
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly options: PlanOptions) {}

  key(path: readonly string[]): string {
    return configKey(["outputs", ...path]);
  }

  /** The whole `falco-stack:outputs` value, for hiding sensitive values in messages. */
  private raw: unknown;

  issue(path: readonly string[], message: string): void {
    const shown = this.sensitiveAt(path) ? hideValue(message, getPath(this.raw, path)) : message;
    this.issues.push({ key: this.key(path), message: shown });
  }

  /**
   * Whether the value at `path` must stay out of messages: a sensitive key of a typed output (or a
   * key inside one, such as a header), a passthrough credential or address, or any secure value.
   */
  sensitiveAt(path: readonly string[]): boolean {
    if (this.maybeSecure(path)) return true;
    const [name = "", ...rest] = path;
    if (name === PASSTHROUGH_KEY) {
      return rest.some((part) => CREDENTIAL_KEY_PATTERN.test(part) || ADDRESS_KEY_PATTERN.test(part));
    }
    if (!(OUTPUT_NAMES as readonly string[]).includes(name)) return false;
    const keys = OUTPUTS[name as OutputName].keys;
    return rest.some((_, index) => keys[rest.slice(0, index + 1).join(".")]?.sensitive !== undefined);
  }

  /** Whether a value may have come from secure config: no plain-text warning for it. */
  maybeSecure(path: readonly string[]): boolean {
    return this.options.allSecret === true || this.fromSecureConfig(path);
  }

  secretPathIs(path: readonly string[]): boolean {
    return this.options.secretPaths?.has(path.join(".")) === true;
  }

  /** Whether secretPaths names a leaf below `parts` of an output block that the block no longer holds. */
  droppedUnder(block: PlainObject, name: string, parts: readonly string[]): boolean {
    const prefix = `${[name, ...parts].join(".")}.`;
    return [...(this.options.secretPaths ?? [])].some(
      (secretPath) =>
        secretPath.startsWith(prefix) && getPath(block, secretPath.split(".").slice(1)) === undefined,
    );
  }

  /** Whether a value is known to come from secure config (exactly this path, or a leaf inside it). */
  fromSecureConfig(path: readonly string[]): boolean {
    const dotted = path.join(".");
    for (const secretPath of this.options.secretPaths ?? []) {
      if (secretPath === dotted || secretPath.startsWith(`${dotted}.`)) return true;
    }
    return false;
  }

  /** A secret that is declared, encrypted or missing: from the render environment, a placeholder, or an error. */
  unresolvedSecret(
    path: readonly string[],
    env: string,
    why: "declared" | "encrypted" | "missing",
    kind?: ValueKind,
  ): void {
    const key = this.key(path);
    const command = secretCommand(key, this.options.stack);
    if (this.options.missingSecret === "error") {
      const message =
        why === "encrypted"
          ? `is encrypted and was not decrypted; read falco-stack:outputs through Pulumi (pulumi up), or use render for placeholders`
          : why === "missing"
            ? `is required for this output and is a secret; set it with: ${command}`
            : `is declared as a required secret (${SECRET_REQUIRED}) but not set; set it with: ${command}`;
      this.issues.push({ key, message });
      return;
    }
    const variable = `${RENDER_ENV_PREFIX}${env}`;
    const fromEnv = this.options.env?.[variable];
    if (fromEnv !== undefined && fromEnv !== "") {
      if (kind) {
        const parsed = parseLeaf(kind, fromEnv);
        if ("error" in parsed) {
          this.issues.push({
            key,
            message: `value from environment variable ${variable} ${hideValue(parsed.error, fromEnv)}`,
          });
          return;
        }
        this.plan.secretEnv[env] = envValue(kind, parsed.value);
      } else {
        this.plan.secretEnv[env] = fromEnv;
      }
      return;
    }
    if (why === "missing") {
      // Placeholders are for secrets the stack file declares or holds encrypted, not for a forgotten key.
      this.issues.push({
        key,
        message: `is required for this output and is a secret: declare it in the stack file as ${SECRET_REQUIRED} and set it with: ${command}; or set ${variable} when rendering`,
      });
      return;
    }
    this.plan.secretEnv[env] = { placeholder: true, env: variable, configKey: key, command };
  }

  plainTextWarning(path: readonly string[], extra = ""): void {
    const key = this.key(path);
    this.plan.warnings.push(
      `${key} is sensitive but set in plain text${extra}; it is kept out of chart values (it goes to the outputs Secret), ` +
        `but store it encrypted: ${secretCommand(key, this.options.stack)} (Pulumi prompts for the value)`,
    );
  }

  run(raw: unknown): void {
    this.raw = raw;
    if (raw === undefined || raw === null) return;
    if (isEncrypted(raw)) {
      this.issues.push({
        key: configKey(["outputs"]),
        message:
          "is encrypted as a whole, so it cannot be read without Pulumi; set only the sensitive leaves as secrets (pulumi config set --secret --path 'falco-stack:outputs.<output>.<key>')",
      });
      return;
    }
    if (!isPlainObject(raw)) {
      this.issues.push({
        key: configKey(["outputs"]),
        message: `must be a map from output name (${OUTPUT_NAMES.join(", ")}) to its settings`,
      });
      return;
    }
    for (const [name, block] of Object.entries(raw)) {
      if ((OUTPUT_NAMES as readonly string[]).includes(name)) this.output(name as OutputName, block);
      else if (name === PASSTHROUGH_KEY) this.passthrough(block);
      else this.unknownOutput(name);
    }
  }

  unknownOutput(name: string): void {
    if ((CHART_OUTPUT_KEYS as readonly string[]).includes(name)) {
      this.issue(
        [name],
        `"${name}" is not one of the typed outputs (${OUTPUT_NAMES.join(", ")}); pass it through unvalidated as ` +
          `${this.key([PASSTHROUGH_KEY, name])}`,
      );
      return;
    }
    this.issue(
      [name],
      `unknown output "${name}"; known outputs: ${OUTPUT_NAMES.join(", ")} (other chart outputs go under ` +
        `${this.key([PASSTHROUGH_KEY])})${didYouMean(name, [...OUTPUT_NAMES, PASSTHROUGH_KEY])}`,
    );
  }

  output(name: OutputName, rawBlock: unknown): void {
    const spec = OUTPUTS[name];
    if (isEncrypted(rawBlock)) {
      this.issue([name], "is encrypted as a whole; set only its sensitive keys as secrets (--secret --path)");
      return;
    }
    const block = rawBlock === null ? {} : deepClone(rawBlock);
    if (!isPlainObject(block)) {
      this.issue([name], `must be a map of ${spec.title} settings (${Object.keys(spec.keys).join(", ")})`);
      return;
    }

    let acknowledged = false;
    if (ACKNOWLEDGE_PLAINTEXT_KEY in block) {
      const parsed = parseLeaf({ type: "boolean" }, block[ACKNOWLEDGE_PLAINTEXT_KEY]);
      if ("error" in parsed) this.issue([name, ACKNOWLEDGE_PLAINTEXT_KEY], parsed.error);
      else acknowledged = parsed.value === true;
      Reflect.deleteProperty(block, ACKNOWLEDGE_PLAINTEXT_KEY);
    }

    // Secret markers are taken out before validation: their value is unknown here.
    const markers = new Map<string, "declared" | "encrypted">();
    for (const [keyPath, keySpec] of Object.entries(spec.keys)) {
      const parts = keyPath.split(".");
      const value = getPath(block, parts);
      // A reader that drops encrypted leaves (render's stack-file reader) reports them in secretPaths instead.
      const dropped =
        (value === undefined && this.secretPathIs([name, ...parts])) ||
        (keySpec.kind.type === "headers" && this.droppedUnder(block, name, parts));
      const marker = isSecretMarker(value) ?? (dropped ? "encrypted" : undefined);
      if (marker === undefined) continue;
      deletePath(block, parts);
      if (!canBeSecret(keySpec.kind)) {
        this.issue([name, ...parts], "cannot be a secret (it is not text); set it in plain config");
        continue;
      }
      markers.set(keyPath, marker);
    }

    for (const secretPath of this.options.secretPaths ?? []) {
      const [head, ...rest] = secretPath.split(".");
      if (head !== name || rest.length === 0 || getPath(block, rest) !== undefined) continue;
      const keyPath = rest.join(".");
      const known = Object.entries(spec.keys).some(
        ([key, keySpec]) =>
          key === keyPath || (keySpec.kind.type === "headers" && keyPath.startsWith(`${key}.`)),
      );
      if (!known) {
        this.issue(
          [name, ...rest],
          `unknown setting for ${spec.title}; allowed: ${Object.keys(spec.keys).join(", ")}` +
            didYouMean(keyPath, Object.keys(spec.keys)),
        );
      }
    }

    const result = outputSchema(name).safeParse(block);
    if (!result.success) {
      for (const issue of result.error.issues) this.zodIssue(name, issue, block);
      return;
    }
    const parsed = result.data;
    const before = this.issues.length;

    const values = new Map<string, unknown>();
    for (const keyPath of Object.keys(spec.keys)) {
      const value = getPath(parsed, keyPath.split("."));
      if (value !== undefined) values.set(keyPath, value);
    }

    for (const keyPath of spec.essential) {
      const value = values.get(keyPath);
      const keySpec = spec.keys[keyPath];
      if (markers.has(keyPath) || (value !== undefined && value !== "") || keySpec === undefined) continue;
      if (keySpec.sensitive) {
        if (this.options.existingSecret) continue;
        this.unresolvedSecret(
          [name, ...keyPath.split(".")],
          envName([name, ...keyPath.split(".")]),
          "missing",
          keySpec.kind,
        );
      } else {
        const all = spec.essential.join(" and ");
        this.issue(
          [name, ...keyPath.split(".")],
          `is required: ${spec.title} is on because its block is present, and it needs ${all}; ${keyPath}: ${keySpec.doc}`,
        );
      }
    }

    const present = (keyPath: string) =>
      markers.has(keyPath) || (values.get(keyPath) !== undefined && values.get(keyPath) !== "");
    for (const { key, message } of missingCredentials(name, present)) {
      // A sensitive key may sit in the user's own Secret (outputs.existingSecret), out of our sight.
      if (this.options.existingSecret && spec.keys[key]?.sensitive) continue;
      this.issue([name, key], message);
    }

    for (const [keyPath, why] of markers) {
      const parts = keyPath.split(".");
      this.unresolvedSecret([name, ...parts], envName([name, ...parts]), why, spec.keys[keyPath]?.kind);
    }

    for (const [keyPath, value] of values) {
      const keySpec = spec.keys[keyPath];
      if (keyPath === spec.priorityKey || keySpec === undefined) continue;
      this.route(name, keyPath, keySpec, value, acknowledged);
    }
    if (this.issues.length > before) return;

    const minimumpriority = this.minimumPriority(
      name,
      [name, ...spec.priorityKey.split(".")],
      values.get(spec.priorityKey) as Priority | undefined,
    );
    setPath(this.plan.chartConfig, [name, ...spec.priorityKey.split(".")], minimumpriority);
    this.plan.enabled.push({ name, minimumpriority });
  }

  /**
   * An output's minimum priority: as given, else debug, or `informational` for a human-facing output
   * while the canary runs (an explicit debug there is warned about: the canary would reach a person).
   */
  minimumPriority(output: string, path: readonly string[], given: Priority | undefined): Priority {
    const humanFacing = this.options.canary === true && HUMAN_FACING_OUTPUTS.includes(output);
    if (humanFacing && given === "debug") {
      this.plan.warnings.push(
        `${this.key(path)} is debug while the detection canary runs: its "Falco stack canary" events (every node, every canary.schedule) reach this output; set it to informational or above`,
      );
    }
    return given ?? (humanFacing ? CANARY_QUIET_PRIORITY : DEFAULT_PRIORITY);
  }

  route(name: OutputName, keyPath: string, keySpec: KeySpec, value: unknown, acknowledged: boolean): void {
    const parts = keyPath.split(".");
    const path = [name, ...parts];
    // A text setting stored with --secret stays secret even when it is not sensitive by nature.
    if (keySpec.sensitive || (this.fromSecureConfig(path) && canBeSecret(keySpec.kind))) {
      this.plan.secretEnv[envName(path)] = envValue(keySpec.kind, value);
      this.plan.sensitivePaths.push(path.join("."));
      if (keySpec.sensitive && !this.maybeSecure(path) && !acknowledged) {
        if (keySpec.sensitive === "always") this.plainTextWarning(path);
        else if (typeof value === "string" && urlCarriesCredentials(value)) {
          this.plainTextWarning(path, " and carries credentials (user info or a query string)");
        }
      }
      return;
    }
    setPath(this.plan.chartConfig, path, value);
  }

  zodIssue(name: OutputName, issue: z.core.$ZodIssue, block: unknown): void {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(name, at);
      for (const unknown of issue.keys) {
        const unsupported = UNSUPPORTED_KEYS[[name, ...at, unknown].join(".")];
        if (unsupported !== undefined) {
          this.issue([name, ...at, unknown], `is not supported: ${unsupported}`);
          continue;
        }
        this.issue(
          [name, ...at, unknown],
          `unknown setting for ${OUTPUTS[name].title}; allowed here: ${allowed.join(", ")}` +
            `${at.length === 0 ? ` (and ${ACKNOWLEDGE_PLAINTEXT_KEY})` : ""}${didYouMean(unknown, allowed)}`,
        );
      }
      return;
    }
    if (issue.code === "invalid_type") {
      const allowed = allowedKeysAt(name, at);
      this.issue([name, ...at], `must be a map of settings (${allowed.join(", ")})`);
      return;
    }
    const sensitive =
      OUTPUTS[name].keys[at.join(".")]?.sensitive !== undefined || this.fromSecureConfig([name, ...at]);
    this.issue([name, ...at], sensitive ? hideValue(issue.message, getPath(block, at)) : issue.message);
  }

  passthrough(raw: unknown): void {
    if (raw === undefined || raw === null) return;
    if (!isPlainObject(raw)) {
      this.issue(
        [PASSTHROUGH_KEY],
        "must be a map from a falcosidekick chart output name (e.g. teams, pagerduty) to its settings",
      );
      return;
    }
    const config: PlainObject = {};
    for (const [name, block] of Object.entries(raw)) {
      const path = [PASSTHROUGH_KEY, name];
      if (name === "aws") {
        if (!isPlainObject(block)) {
          this.issue(path, `must be a map of other AWS outputs (${AWS_PASSTHROUGH_BLOCKS.join(", ")})`);
          continue;
        }
        for (const [sub, subBlock] of Object.entries(block)) {
          if (!(AWS_PASSTHROUGH_BLOCKS as readonly string[]).includes(sub)) {
            const managed = Object.keys(OUTPUTS.aws.keys).some((key) => key.split(".")[0] === sub);
            this.issue(
              [...path, sub],
              managed
                ? `is managed by ${this.key(["aws"])} (S3 and the shared credentials); only other AWS outputs may be ` +
                    `passed through: ${AWS_PASSTHROUGH_BLOCKS.join(", ")}`
                : `is not an AWS output of the falcosidekick chart; allowed here: ${AWS_PASSTHROUGH_BLOCKS.join(", ")}` +
                    didYouMean(sub, AWS_PASSTHROUGH_BLOCKS),
            );
            continue;
          }
          this.passthroughBlock(config, ["aws", sub], subBlock);
        }
        continue;
      }
      if ((OUTPUT_NAMES as readonly string[]).includes(name)) {
        this.issue(
          path,
          `"${name}" is a typed output: configure it under ${this.key([name])}, not through ${PASSTHROUGH_KEY}`,
        );
        continue;
      }
      if (!(CHART_OUTPUT_KEYS as readonly string[]).includes(name)) {
        this.issue(
          path,
          `is not an output of the falcosidekick chart; general falcosidekick settings go in falco-stack:sidekick.values` +
            `${didYouMean(name, CHART_OUTPUT_KEYS)}`,
        );
        continue;
      }
      this.passthroughBlock(config, [name], block);
    }
    mergeInto(this.plan.chartConfig, config);
  }

  /** Copies a passthrough block leaf by leaf; anything that looks like a credential goes to the Secret instead. */
  passthroughBlock(config: PlainObject, chartPath: readonly string[], block: unknown): void {
    const userPath = [PASSTHROUGH_KEY, ...chartPath];
    if (!isPlainObject(block)) {
      this.issue(
        userPath,
        "must be a map of that output's settings, as in the falcosidekick chart's config block",
      );
      return;
    }
    const before = this.issues.length;
    const visit = (node: PlainObject, at: readonly string[]) => {
      for (const [key, value] of Object.entries(node)) {
        const leafChartPath = [...at, key];
        const leafUserPath = [PASSTHROUGH_KEY, ...leafChartPath];
        const marker = isSecretMarker(value);
        if (marker !== undefined) {
          this.unresolvedSecret(leafUserPath, envName(leafChartPath), marker);
          continue;
        }
        if (isPlainObject(value)) {
          visit(value, leafChartPath);
          continue;
        }
        const secure = this.fromSecureConfig(leafUserPath);
        const quiet = this.maybeSecure(leafUserPath);
        const credential = CREDENTIAL_KEY_PATTERN.test(key);
        const address = ADDRESS_KEY_PATTERN.test(key);
        // A number is a credential too (a PIN, a numeric token): it goes to the Secret as text.
        const text = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
        if (text !== undefined && text !== "" && (credential || address || secure)) {
          this.plan.secretEnv[envName(leafChartPath)] = text;
          this.plan.sensitivePaths.push(leafUserPath.join("."));
          if (!quiet && credential) this.plainTextWarning(leafUserPath);
          else if (!quiet && urlCarriesCredentials(text)) {
            this.plainTextWarning(leafUserPath, " and carries credentials (user info or a query string)");
          }
          continue;
        }
        setPath(config, leafChartPath, value);
      }
    };
    visit(block, chartPath);
    // Encrypted leaves a stack-file reader dropped (reported in secretPaths) still belong in the Secret.
    const prefix = `${userPath.join(".")}.`;
    for (const secretPath of this.options.secretPaths ?? []) {
      if (!secretPath.startsWith(prefix)) continue;
      const rest = secretPath.slice(prefix.length).split(".");
      if (getPath(block, rest) !== undefined) continue;
      this.unresolvedSecret([...userPath, ...rest], envName([...chartPath, ...rest]), "encrypted");
    }
    if (this.issues.length > before) return;
    if (getPath(config, chartPath) === undefined) setPath(config, chartPath, {});
    const given = parsePriority(block.minimumpriority);
    const minimumpriority = this.minimumPriority(
      chartPath.join("."),
      [PASSTHROUGH_KEY, ...chartPath, "minimumpriority"],
      given,
    );
    if (given === undefined && minimumpriority !== DEFAULT_PRIORITY) {
      setPath(config, [...chartPath, "minimumpriority"], minimumpriority);
    }
    this.plan.enabled.push({ name: chartPath.join("."), minimumpriority });
  }
}

/**
 * Validates `falco-stack:outputs` (raw, as read from stack config) and splits it into chart values,
 * Secret entries and the stack output. Throws ConfigError with every issue found.
 */
export function planOutputs(raw: unknown, options: PlanOptions): OutputsPlan {
  const planner = new Planner(options);
  planner.run(raw);
  if (planner.issues.length > 0) throw new ConfigError(planner.issues);
  return planner.plan;
}
