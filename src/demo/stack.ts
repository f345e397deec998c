import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Channel } from "../events/feed.ts";
import { parsePriority, isAtLeast, type Priority } from "../events/model.ts";
import type { DemoTarget } from "./match.ts";

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
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;

/** Stack facts are missing or contradictory; the message says what to pass. */
export class DemoSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoSetupError";
  }
}

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

export type RunFile = (
  file: string,
  args: readonly string[],
) => Promise<{ stdout: string; stderr: string; exitCode: number } | "not-installed">;

/** Runs a program with an argument array (never through a shell). */
export const runFile: RunFile = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return resolve("not-installed");
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: error ? Number(error.code) : 0 });
    });
  });

/** `pulumi stack output --json --show-secrets --stack NAME`; undefined when the CLI is not installed. */
export async function readPulumiStackOutputs(
  stack: string,
  run: RunFile = runFile,
): Promise<StackOutputs | undefined> {
  const result = await run("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack]);
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
  /** Things worth knowing that do not stop the demo. */
  warnings: string[];
}

const DEFAULT_FALCO_SELECTOR = "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco";
const NEEDS =
  "Pass --outputs-file FILE (saved with `pulumi stack output --json --show-secrets --stack NAME`), or at least --pod NAME (with --demo-namespace, --namespace for Falco";

/** Merges stack outputs (if any) and flags into what the demo needs; throws saying what is missing. */
export function resolveDemoSettings(outputs: StackOutputs | undefined, flags: DemoFlags): DemoSettings {
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
      `the demo is disabled in this stack (demo.enabled: false). Enable it (pulumi config set falco-stack:demo '{"enabled":true}' --path) or point at a pod with --pod.`,
    );
  }
  const demoNamespace = flags.demoNamespace ?? outputs?.demo?.namespace ?? "demo";
  const pod = flags.pod ?? outputs?.demo?.podName ?? "www";
  const container = flags.container ?? (flags.pod ? undefined : outputs?.demo?.container) ?? pod;
  const falcoNamespace = flags.namespace ?? outputs?.falcoPods?.namespace ?? outputs?.namespace ?? "falco";
  const falcoPods = {
    namespace: falcoNamespace,
    labelSelector: flags.falcoSelector ?? outputs?.falcoPods?.labelSelector ?? DEFAULT_FALCO_SELECTOR,
    container: flags.falcoContainer ?? outputs?.falcoPods?.container ?? "falco",
  };

  const settings: DemoSettings = {
    via: flags.via,
    timeoutMs: flags.timeoutSeconds * 1000,
    target: { namespace: demoNamespace, pod, container },
    falcoPods,
    warnings,
  };

  if (flags.via === "ui") {
    if (outputs?.ui && !outputs.ui.enabled && !flags.uiUrl) {
      throw new DemoSetupError(
        "the UI is disabled in this stack (ui.enabled: false): use --via logs or --via nats, or pass --ui-url",
      );
    }
    const user = flags.user ?? outputs?.uiUser;
    const password = flags.password ?? outputs?.uiPassword;
    if (!user || !password) {
      throw new DemoSetupError(
        "--via ui needs the UI credentials: the stack outputs uiUser/uiPassword, or --user and --password",
      );
    }
    settings.ui = {
      url: flags.uiUrl,
      namespace: outputs?.ui?.namespace ?? falcoNamespace,
      serviceName: outputs?.ui?.serviceName ?? "falcosidekick-ui",
      port: outputs?.ui?.port ?? 2802,
      user,
      password,
    };
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
