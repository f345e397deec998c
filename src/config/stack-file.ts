import fs from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { IssueCollector, withFile } from "./collect.ts";
import { MAX_VALUE_DEPTH, tooDeepIssue } from "./depth.ts";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  configKey,
  misspelledNamespaceIssues,
  type ConfigIssue,
} from "./errors.ts";
import { editDistance } from "./suggest.ts";
import { parseStackConfig, type StackConfig } from "./schema.ts";
import { FalcoStackError } from "../errors.ts";
import { PACKAGE_ROOT } from "../package-root.ts";

/**
 * The project root: where `Pulumi.yaml`, `rules/` and `values/` are. This repo's own program and CLI
 * use it; a program that imports the package passes its own root (its cwd) instead.
 */
export const PROJECT_ROOT = PACKAGE_ROOT;

export interface StackFileOptions {
  /** Stack name: reads `Pulumi.<stack>.yaml` in the project root. */
  stack?: string;
  /** Any Pulumi stack file; wins over `stack` for the location. */
  file?: string;
  /** Defaults to the project root. */
  projectRoot?: string;
}

export interface RawStackFile {
  /** The file read. */
  file: string;
  /** Stack name (from `stack`, or from the file name `Pulumi.<name>.yaml`). */
  stack: string;
  /** `falco-stack:*` values as written, without the namespace, secure leaves removed. */
  raw: Record<string, unknown>;
  /** Dot paths (e.g. `outputs.slack.webhookurl`) whose values are encrypted (`secure:`) and cannot be read offline. */
  securePaths: Set<string>;
  /** What reading found wrong, by key (file named): a misspelt namespace, an encrypted setting render cannot read. */
  issues: ConfigIssue[];
}

export interface StackFile extends RawStackFile {
  config: StackConfig;
}

/** A problem in a stack file that is not about a config key: unreadable file or broken YAML. */
export class StackFileError extends FalcoStackError {}

function stackNameFromFile(file: string): string {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
  return match?.[1] ?? path.basename(file).replace(/\.ya?ml$/, "");
}

/** How many alias expansions a stack file may make (anchors reused as Pulumi's reader allows, no "billion laughs"). */
export const MAX_ALIAS_COUNT = 200;
/** The top-level keys of a Pulumi stack file. */
const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{ secure: "v1:..." }`: a value Pulumi encrypted, unreadable without the stack's key. */
function isSecureLeaf(value: unknown): boolean {
  return isPlainMap(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** The file's text, refusing what is not UTF-8 text (Pulumi reads stack files as UTF-8). */
function decodeStackFile(bytes: Buffer, file: string): string {
  // UTF-16 text of ASCII YAML: a byte order mark, or every other byte zero.
  const head = bytes.subarray(0, 64);
  const everyOther = (offset: number) =>
    head.length >= 4 && head.every((byte, index) => (index % 2 === offset ? byte === 0 : byte !== 0));
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    everyOther(1) ||
    everyOther(0);
  if (utf16)
    throw new StackFileError(`${file}: is UTF-16 text; save it as UTF-8 (Pulumi reads stack files as UTF-8)`);
  if (bytes.includes(0)) {
    throw new StackFileError(`${file}: is not a text file (it holds NUL bytes); a stack file is UTF-8 YAML`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new StackFileError(`${file}: is not valid UTF-8 text; a stack file is UTF-8 YAML`);
  }
}

const EXAMPLE = `for example:\n  config:\n    ${CONFIG_NAMESPACE}:ui:\n      storageClass: standard`;

/** Walks the parsed config: drops encrypted leaves (recording where they were) and bounds the depth. */
class ConfigWalker {
  readonly securePaths = new Set<string>();
  readonly encrypted: string[][] = [];
  readonly issues: ConfigIssue[] = [];

  plain(value: unknown, at: string[]): unknown {
    if (at.length > MAX_VALUE_DEPTH) {
      this.issues.push(tooDeepIssue(at));
      return undefined;
    }
    if (isSecureLeaf(value)) {
      this.securePaths.add(at.join("."));
      this.encrypted.push(at);
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item, index) => this.plain(item, [...at, String(index)]));
    if (isPlainMap(value)) {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const plain = this.plain(child, [...at, key]);
        if (plain !== undefined) result[key] = plain;
      }
      return result;
    }
    return value;
  }
}

/**
 * Encrypted values render cannot use: a setting outside the outputs (none is a secret, and render
 * has no key to decrypt it), or outputs encrypted as a whole (render would deploy no outputs).
 */
function offlineSecretIssues(encrypted: readonly string[][], stack: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stackFlag = `--stack ${stack}`;
  for (const at of encrypted) {
    const key = configKey(at.map((part) => (/^\d+$/.test(part) ? Number(part) : part)));
    const [head, second] = at;
    if (head !== "outputs") {
      issues.push({
        key,
        message:
          `is encrypted (secure:), so it cannot be read offline: render has no key to decrypt it, and this setting is not a secret; ` +
          `store it in plain text: pulumi config set --path '${key}' VALUE ${stackFlag}`,
      });
      continue;
    }
    // outputs, outputs.<output> or outputs.extra.<output>: a block, not a leaf the planner takes.
    const wholeBlock = at.length <= 2 || (second === "extra" && at.length === 3);
    if (!wholeBlock) continue;
    issues.push({
      key,
      message:
        `is encrypted as a whole, so it cannot be read offline and render would deploy ${at.length === 1 ? "no outputs at all" : "without it"}; ` +
        `keep the settings in plain text and encrypt only the sensitive ones, one by one: pulumi config set --secret --path '${configKey(["outputs", "<output>", "<key>"])}' ${stackFlag}; ` +
        `render then reads each from its FALCO_STACK_<OUTPUT>_<KEY> environment variable`,
    });
  }
  return issues;
}

/** Reads a Pulumi stack file offline: the `falco-stack:*` values as written, not yet validated. */
export function readStackFile(options: StackFileOptions): RawStackFile {
  const root = options.projectRoot ?? PROJECT_ROOT;
  if (!options.file && !options.stack)
    throw new StackFileError("name a stack (--stack NAME) or a stack file (--config FILE)");
  const file = path.resolve(options.file ?? path.join(root, `Pulumi.${options.stack}.yaml`));
  const stack = options.stack ?? stackNameFromFile(file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    const known = listStacks(root);
    const hint = known.length > 0 ? `; stacks here: ${known.join(", ")}` : "";
    throw new StackFileError(`cannot read stack file ${file}${hint}`);
  }
  const text = decodeStackFile(bytes, file);
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *base`) as Pulumi's reader (Go yaml.v3) resolves them.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return `${file}:${line}:${col}`;
  };
  const firstError = document.errors[0];
  if (firstError) {
    const message = firstError.message.split("\n")[0] ?? "";
    const why = /call stack/i.test(message)
      ? `nests too deeply; values may nest at most ${MAX_VALUE_DEPTH} levels`
      : message;
    throw new StackFileError(`${at(firstError.pos[0])}: ${why}`);
  }
  const contents = document.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ""))) {
    throw new StackFileError(
      `${file}: holds no settings (it is empty or only comments); a stack file is a map with config: holding ${CONFIG_NAMESPACE}: keys, ${EXAMPLE}`,
    );
  }
  if (!isMap(contents)) {
    const what = isSeq(contents) ? "a list" : "plain text";
    throw new StackFileError(
      `${at(contents.range?.[0])}: is ${what}; a stack file is a map with config: holding ${CONFIG_NAMESPACE}: keys, ${EXAMPLE}`,
    );
  }
  const fileIssues: string[] = [];
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const where = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (key === "config" || STACK_FILE_KEYS.includes(key)) continue;
    if (key.startsWith(`${CONFIG_NAMESPACE}:`) || editDistance(key, "config") <= 2) {
      fileIssues.push(
        key.startsWith(`${CONFIG_NAMESPACE}:`)
          ? `${where}: ${key} is at the top level; ${CONFIG_NAMESPACE}: keys go under config:, ${EXAMPLE}`
          : `${where}: unknown top-level key "${key}": did you mean config? (a stack file holds ${STACK_FILE_KEYS.join(", ")})`,
      );
    }
  }
  if (fileIssues.length > 0) throw new StackFileError(fileIssues.join("\n"));
  const configNode = contents.get("config", true);
  if (
    configNode === undefined ||
    configNode === null ||
    (isScalar(configNode) && configNode.value === null)
  ) {
    throw new StackFileError(`${file}: has no config: settings; ${EXAMPLE}`);
  }
  if (!isMap(configNode)) {
    throw new StackFileError(`${file}: "config" must be a map of keys such as ${CONFIG_NAMESPACE}:namespace`);
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new StackFileError(
      /alias/i.test(message)
        ? `${file}: its aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions); write the values out, or reuse fewer anchors`
        : /call stack/i.test(message)
          ? `${file}: nests too deeply; values may nest at most ${MAX_VALUE_DEPTH} levels`
          : `${file}: ${message}`,
    );
  }
  const config = isPlainMap(data) && isPlainMap(data.config) ? data.config : {};
  const walker = new ConfigWalker();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    const plain = walker.plain(value, [name]);
    if (plain !== undefined) raw[name] = plain;
  }
  const issues = [
    ...misspelledNamespaceIssues(Object.keys(config)),
    ...walker.issues,
    ...offlineSecretIssues(walker.encrypted, stack),
  ];
  return { file, stack, raw, securePaths: walker.securePaths, issues: withFile(issues, file) };
}

/** Reads a Pulumi stack file offline, validates `falco-stack:*` and applies defaults. */
export function readStackConfig(options: StackFileOptions): StackFile {
  const stackFile = readStackFile(options);
  const issues = new IssueCollector(stackFile.file);
  issues.add(stackFile.issues);
  const config = issues.stage(() => parseStackConfig(stackFile.raw));
  issues.throwIfAny();
  if (config === undefined) throw new ConfigError(stackFile.issues);
  return { ...stackFile, config };
}

export { withFile };

/** The secure paths under `outputs`, relative to it (`slack.webhookurl`), as `planOutputs` takes them. */
export function outputSecretPaths(securePaths: ReadonlySet<string>): Set<string> {
  const prefix = "outputs.";
  return new Set([...securePaths].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)));
}

/** Stack names with a `Pulumi.<name>.yaml` in the project root. */
export function listStacks(projectRoot: string = PROJECT_ROOT): string[] {
  try {
    return fs
      .readdirSync(projectRoot)
      .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort();
  } catch {
    return [];
  }
}
