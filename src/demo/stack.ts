import { readFile } from "node:fs/promises";
import { z } from "zod";
import { falcoPodSelector, UI_PORT, UI_SERVICE } from "../builders/names.ts";
import { clusterNameProblem } from "../events/cluster.ts";
import type { Channel } from "../events/feed.ts";
import { parsePriority, isAtLeast, type Priority } from "../events/model.ts";
import type { DemoTarget } from "./match.ts";
import { FalcoStackError } from "../errors.ts";

/** The stack outputs the demo reads (what `pulumi stack output --json --show-secrets` prints). */
const stackOutputsSchema = z.object({
  namespace: z.string().optional(),
  falcoPods: z.object({ namespace: z.string(), labelSelector: z.string(), container: z.string() }).optional(),
  ui: z
    .object({
      enabled: z.boolean(),
      namespace: z.string().optional(),
      serviceName: z.string().optional(),
      port: z.number().int().optional(),
    })
    .optional(),
  uiUser: z.string().optional(),
  uiPassword: z.string().optional(),
  demo: z
    .object({
      enabled: z.boolean(),
      namespace: z.string().optional(),
      podName: z.string().optional(),
      container: z.string().optional(),
    })
    .optional(),
  outputs: z.array(z.object({ name: z.string(), minimumpriority: z.string().optional() })).optional(),
  /** The detection canary, for `demo --nodes`. */
  canary: z
    .object({
      enabled: z.boolean(),
      namespace: z.string().optional(),
      labelSelector: z.string().optional(),
      container: z.string().optional(),
      rule: z.string().optional(),
    })
    .optional(),
  /** The cluster every event must name (`cluster=<name>`); only when the stack sets clusterName. */
  clusterName: z
    .string()
    .superRefine((name, ctx) => {
      const problem = clusterNameProblem(name);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;

/** Stack facts are missing or contradictory; the message says what to pass. */
export class DemoSetupError extends FalcoStackError {}

export function parseStackOutputs(value: unknown, origin: string): StackOutputs {
  const parsed = stackOutputsSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new DemoSetupError(`${origin} does not look like this stack's outputs: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export async function readOutputsFile(file: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DemoSetupError(
      `cannot read --outputs-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DemoSetupError(
      `${file} is not JSON (save it with pulumi stack output --json --show-secrets): ${(error as Error).message}`,
    );
  }
  return parseStackOutputs(value, file);
}

/** Runs `pulumi ARGS` the way every command of ours does (see src/cli/pulumi-cli.ts). */
export type RunPulumi = (
  args: readonly string[],
) => Promise<{ stdout: string; stderr: string; exitCode: number } | "not-installed">;

/** `pulumi stack output --json --show-secrets --stack NAME`; undefined when the CLI is not installed. */
export async function readPulumiStackOutputs(
  stack: string,
  run: RunPulumi,
): Promise<StackOutputs | undefined> {
  const result = await run(["stack", "output", "--json", "--show-secrets", "--stack", stack]);
  if (result === "not-installed") return undefined;
  if (result.exitCode !== 0) {
    throw new DemoSetupError(
      `pulumi stack output --stack ${stack} failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(result.stdout);
  } catch {
    throw new DemoSetupError(`pulumi stack output --stack ${stack} did not print JSON`);
  }
  return parseStackOutputs(value, `the outputs of stack ${stack}`);
}

/** Command-line values that replace or complete the stack outputs. */
export interface DemoFlags {
  stack?: string;
  via: Channel;
  timeoutSeconds: number;
  namespace?: string;
  falcoSelector?: string;
  falcoContainer?: string;
  demoNamespace?: string;
  pod?: string;
  container?: string;
  uiUrl?: string;
  user?: string;
  password?: string;
  nats?: string;
  subject?: string;
}

export interface DemoSettings {
  via: Channel;
  timeoutMs: number;
  target: DemoTarget;
  falcoPods: { namespace: string; labelSelector: string; container: string };
  /** Either a URL to use as is, or a service to port-forward to. */
  ui?: { url?: string; namespace: string; serviceName: string; port: number; user: string; password: string };
  nats?: { url: string; subject: string };
  /** The stack's clusterName: each detection must carry `cluster=<name>`. */
  clusterName?: string;
  /** Things worth knowing that do not stop the demo. */
  warnings: string[];
}

/** Fixed by the stack program (components/falco-security-stack.ts): the chart's Falco container. */
const FALCO_CONTAINER = "falco";
/** Documented config defaults (`namespace`, `demo.namespace`), for what flags alone leave open. */
const DEFAULT_FALCO_NAMESPACE = "falco";
const DEFAULT_DEMO_NAMESPACE = "demo";
const NEEDS =
  "Pass --outputs-file FILE (saved with `pulumi stack output --json --show-secrets --stack NAME`), or at least --pod NAME (with --demo-namespace, --namespace for Falco";

/** A fact the demo needs that the outputs lack, and the flag that replaces it. */
export interface MissingFact {
  key: string;
  flag: string;
}

/**
 * What the stack program always exports (namespace, falcoPods, demo, and ui for --via ui) but
 * these outputs lack, unless a flag replaces it. A gap means the outputs are not this stack's.
 */
export function missingFacts(outputs: StackOutputs, flags: DemoFlags): MissingFact[] {
  const missing: MissingFact[] = [];
  const need = (present: boolean, replaced: boolean, key: string, flag: string): void => {
    if (!present && !replaced) missing.push({ key, flag });
  };
  need(outputs.namespace !== undefined, flags.namespace !== undefined, "namespace", "--namespace NS");
  need(outputs.falcoPods !== undefined, flags.namespace !== undefined, "falcoPods", "--namespace NS");
  need(
    outputs.demo !== undefined,
    flags.pod !== undefined,
    "demo",
    "--pod NAME (and --demo-namespace NS unless it is demo)",
  );
  if (outputs.demo?.enabled) {
    need(
      outputs.demo.namespace !== undefined,
      flags.demoNamespace !== undefined,
      "demo.namespace",
      "--demo-namespace NS",
    );
    need(outputs.demo.podName !== undefined, flags.pod !== undefined, "demo.podName", "--pod NAME");
  }
  if (flags.via === "ui") {
    const replaced = flags.uiUrl !== undefined;
    need(outputs.ui !== undefined, replaced, "ui", "--ui-url URL");
    if (outputs.ui?.enabled) {
      need(outputs.ui.namespace !== undefined, replaced, "ui.namespace", "--ui-url URL");
      need(outputs.ui.serviceName !== undefined, replaced, "ui.serviceName", "--ui-url URL");
      need(outputs.ui.port !== undefined, replaced, "ui.port", "--ui-url URL");
    }
  }
  return missing;
}

/** `pulumi config set` for the demo, then the redeploy: what a user runs to turn it on. */
export function enableDemoHint(stack: string | undefined): string {
  const name = stack ?? "NAME";
  return `pulumi config set --path 'falco-stack:demo.enabled' true --stack ${name}, then npm run deploy -- --stack ${name}`;
}

/**
 * Merges stack outputs (if any) and flags into what the demo needs; throws saying what is missing.
 * `origin` names where the outputs came from, for the messages.
 */
export function resolveDemoSettings(
  outputs: StackOutputs | undefined,
  flags: DemoFlags,
  origin = "the stack outputs",
): DemoSettings {
  if (!Number.isFinite(flags.timeoutSeconds) || flags.timeoutSeconds <= 0) {
    throw new DemoSetupError(`--timeout must be a positive number of seconds`);
  }
  const warnings: string[] = [];
  if (!outputs && flags.pod === undefined) {
    throw new DemoSetupError(
      `no stack outputs${flags.stack ? ` for stack ${flags.stack} (the pulumi CLI is not installed)` : ""}. ${NEEDS}, and ${viaNeeds(flags.via)}).`,
    );
  }
  if (outputs?.demo && !outputs.demo.enabled && flags.pod === undefined) {
    throw new DemoSetupError(
      `the demo is disabled in this stack (demo.enabled: false). Enable it (${enableDemoHint(flags.stack)}) or point at a pod with --pod.`,
    );
  }
  if (outputs?.ui && !outputs.ui.enabled && flags.via === "ui" && !flags.uiUrl) {
    throw new DemoSetupError(
      "the UI is disabled in this stack (ui.enabled: false): use --via logs or --via nats, or pass --ui-url",
    );
  }
  if (outputs) {
    const missing = missingFacts(outputs, flags);
    if (missing.length > 0) {
      const lines = missing.map((fact) => `  ${fact.key}: ${fact.flag}`);
      throw new DemoSetupError(
        [
          `missing in ${origin}: ${missing.map((fact) => fact.key).join(", ")}. The stack always exports them, so these may not be its outputs (save them with \`pulumi stack output --json --show-secrets --stack NAME\`). Or pass the flags that replace them:`,
          ...lines,
        ].join("\n"),
      );
    }
  }
  const demoNamespace =
    flags.demoNamespace ??
    outputs?.demo?.namespace ??
    (outputs?.demo?.enabled ? undefined : DEFAULT_DEMO_NAMESPACE);
  const pod = flags.pod ?? outputs?.demo?.podName;
  if (demoNamespace === undefined || pod === undefined) {
    throw new DemoSetupError(`no demo pod: pass --pod NAME and --demo-namespace NS`);
  }
  const container = flags.container ?? (flags.pod ? undefined : outputs?.demo?.container) ?? pod;
  const falcoNamespace =
    flags.namespace ?? outputs?.falcoPods?.namespace ?? outputs?.namespace ?? DEFAULT_FALCO_NAMESPACE;
  const falcoPods = {
    namespace: falcoNamespace,
    labelSelector: flags.falcoSelector ?? outputs?.falcoPods?.labelSelector ?? falcoPodSelector(),
    container: flags.falcoContainer ?? outputs?.falcoPods?.container ?? FALCO_CONTAINER,
  };

  const settings: DemoSettings = {
    via: flags.via,
    timeoutMs: flags.timeoutSeconds * 1000,
    target: { namespace: demoNamespace, pod, container },
    falcoPods,
    ...(outputs?.clusterName !== undefined ? { clusterName: outputs.clusterName } : {}),
    warnings,
  };

  if (flags.via === "ui") {
    settings.ui = uiSettingsOf(flags, outputs, falcoNamespace);
    warnings.push(...priorityWarnings(outputs, "webui"));
  }
  if (flags.via === "nats") {
    if (!flags.nats) {
      throw new DemoSetupError(
        "--via nats needs --nats URL: the stack's NATS server runs inside the cluster, so port-forward it (e.g. kubectl -n NAMESPACE port-forward svc/NATS 4222) and pass --nats nats://127.0.0.1:4222",
      );
    }
    if (outputs?.outputs && !outputs.outputs.some((output) => output.name === "nats")) {
      warnings.push(
        "this stack's falcosidekick has no nats output enabled: nothing will be published on NATS",
      );
    }
    warnings.push(...priorityWarnings(outputs, "nats"));
    settings.nats = { url: flags.nats, subject: flags.subject ?? "falco.>" };
  }
  return settings;
}

/** How `--via ui` reaches the UI: a URL, or its Service to port-forward, and the login. */
export type UiAccess = NonNullable<DemoSettings["ui"]>;

/**
 * How to reach the UI for `--via ui`: the stack outputs, or flags. Without outputs, the UI Service
 * the stack always creates; with --ui-url, the Service goes unused.
 */
export function uiSettingsOf(
  flags: DemoFlags,
  outputs: StackOutputs | undefined,
  falcoNamespace: string,
): UiAccess {
  const user = flags.user ?? outputs?.uiUser;
  const password = flags.password ?? outputs?.uiPassword;
  if (!user || !password) {
    throw new DemoSetupError(
      "--via ui needs the UI credentials: the stack outputs uiUser/uiPassword, or --user and --password",
    );
  }
  return {
    url: flags.uiUrl,
    namespace: outputs?.ui?.namespace ?? falcoNamespace,
    serviceName: outputs?.ui?.serviceName ?? UI_SERVICE,
    port: outputs?.ui?.port ?? UI_PORT,
    user,
    password,
  };
}

function viaNeeds(via: Channel): string {
  if (via === "ui") return "--user/--password for the UI, --ui-url if you port-forward it yourself";
  if (via === "nats") return "--nats URL of a port-forwarded NATS server";
  return "--falco-selector if the Falco pods are labelled differently";
}

/** Warns when an output's minimumpriority filters out an expected detection (Notice is the lowest we need). */
function priorityWarnings(outputs: StackOutputs | undefined, name: string): string[] {
  const output = outputs?.outputs?.find((candidate) => candidate.name === name);
  const minimum: Priority | undefined = output?.minimumpriority
    ? parsePriority(output.minimumpriority)
    : undefined;
  if (!minimum || isAtLeast("Notice", minimum)) return [];
  return [
    `falcosidekick's ${name} output has minimumpriority ${output?.minimumpriority}: Notice events (Terminal shell in container) will not reach it`,
  ];
}
