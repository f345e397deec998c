import { Option, type Command } from "commander";
import type { EventFeed } from "../events/feed.ts";
import { logFeed } from "../events/log-feed.ts";
import { natsFeed } from "../events/nats.ts";
import { UiClient, uiFeed } from "../events/ui.ts";
import { formatDemoTable, formatMissing, formatVerdict } from "../demo/report.ts";
import { runDemoScenario } from "../demo/runner.ts";
import { DEMO_KNOWN_OUTPUTS } from "../demo/scenario.ts";
import {
  DemoSetupError,
  readOutputsFile,
  readPulumiStackOutputs,
  resolveDemoSettings,
  type DemoFlags,
  type DemoSettings,
  type StackOutputs,
} from "../demo/stack.ts";
import type { ForwardedPort } from "../k8s/port-forward.ts";
import { runDemoNodes } from "./demo-nodes.ts";
import { ExitCode } from "./errors.ts";
import {
  addNatsOptions,
  connectTimeout,
  natsAuthFromFlags,
  positiveNumber,
  uiPassword,
  type NatsFlags,
} from "./events.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";
import { capturePulumi, pulumiCall, type CapturingPulumiRunner } from "./pulumi-cli.ts";

/** What commander parses: the demo flags, with the timeout still text, plus where the outputs come from. */
type DemoOptions = Omit<DemoFlags, "timeoutSeconds"> &
  NatsFlags & {
    timeout: string;
    context?: string;
    outputsFile?: string;
    passwordFile?: string;
    nodes?: boolean;
    json?: boolean;
  };

/** What the demo takes from its surroundings; tests replace them. */
export interface DemoCommandContext {
  /** Runs pulumi (as `deploy` does: same backend and directory). */
  runPulumi: CapturingPulumiRunner;
  env: NodeJS.ProcessEnv;
}

const processContext: DemoCommandContext = { runPulumi: capturePulumi, env: process.env };

export function registerDemoCommand(
  program: Command,
  result: CommandResult,
  io: CliIo = processIo,
  context: DemoCommandContext = processContext,
): void {
  const command = program
    .command("demo")
    .description("trigger the demo detections in the demo pod and wait until they arrive")
    .option("--stack <name>", "Pulumi stack whose outputs describe the deployment")
    .addOption(
      new Option("--via <channel>", "where to wait for the detections")
        .choices(["logs", "ui", "nats"])
        .default("logs"),
    )
    .option(
      "--timeout <seconds>",
      "how long to wait for the detections (at most 2147483); no single call to the cluster or a server waits longer",
      "60",
    )
    .option("--context <name>", "kubeconfig context (default: the current one)")
    .option(
      "--outputs-file <file>",
      "saved `pulumi stack output --json --show-secrets` instead of running pulumi",
    )
    .option("--namespace <ns>", "namespace of the Falco pods")
    .option("--falco-selector <selector>", "label selector of the Falco pods")
    .option("--falco-container <name>", "container name in the Falco pods")
    .option("--demo-namespace <ns>", "namespace of the demo pod")
    .option("--pod <name>", "demo pod name")
    .option("--container <name>", "demo container name (default: the pod name)")
    .option("--ui-url <url>", "falcosidekick UI URL when you port-forward it yourself")
    .option("--user <login>", "UI login (default: the stack output uiUser)")
    .option("--password-file <file>", "file holding the UI password (default: the stack output uiPassword)")
    .addOption(
      new Option("--password <password>", "UI password: visible in ps, prefer --password-file").hideHelp(),
    )
    .option("--nats <url>", "NATS server falcosidekick publishes to (port-forwarded), for --via nats")
    .option("--subject <subject>", "NATS subject (default falco.>)")
    .option(
      "--nodes",
      "instead: trigger the detection canary on every node and report each node (exit 1 naming silent ones)",
    )
    .option("--json", "with --nodes: print the per-node report as JSON");
  addNatsOptions(command).action(async (options: DemoOptions) => {
    const { nodes, ...demoOptions } = options;
    if (options.json && !nodes) throw new DemoSetupError("--json goes with --nodes (the per-node report)");
    if (nodes) {
      result.exitCode = await runDemoNodes(demoOptions, io, context);
      return;
    }
    result.exitCode = await runDemoCommand(demoOptions, io, context);
  });
}

async function runDemoCommand(options: DemoOptions, io: CliIo, context: DemoCommandContext): Promise<number> {
  const settings = await loadSettings(options, context, io);
  for (const warning of settings.warnings) io.stderr(`warning: ${warning}\n`);
  const progress = (line: string): void => {
    io.stderr(`${line}\n`);
  };
  let forwarded: ForwardedPort | undefined;
  try {
    // Loaded on use: @kubernetes/client-node takes seconds to import, and other commands never need it.
    const [
      { loadKubeConfig, KUBE_REQUEST_TIMEOUT_MS },
      { KubeDemoCluster },
      { falcoLogLines },
      { forwardServicePort },
    ] = await Promise.all([
      import("../k8s/kube.ts"),
      import("../k8s/demo-cluster.ts"),
      import("../k8s/falco-logs.ts"),
      import("../k8s/port-forward.ts"),
    ]);
    // No single call to the cluster may wait longer than the whole demo would.
    const kc = loadKubeConfig(options.context, Math.min(KUBE_REQUEST_TIMEOUT_MS, settings.timeoutMs));
    const cluster = new KubeDemoCluster(kc);
    let feed: EventFeed;
    if (settings.via === "nats" && settings.nats) {
      feed = natsFeed({
        url: settings.nats.url,
        subject: settings.nats.subject,
        auth: natsAuthFromFlags(options, context.env),
        connectTimeoutMs: connectTimeout(settings.timeoutMs),
      });
    } else if (settings.via === "ui" && settings.ui) {
      let url = settings.ui.url;
      if (!url) {
        const reported = new Set<string>();
        forwarded = await forwardServicePort(
          kc,
          settings.ui.namespace,
          settings.ui.serviceName,
          settings.ui.port,
          (message) => {
            // Each poll opens a connection: say each distinct failure once.
            if (!reported.has(message)) progress(message);
            reported.add(message);
          },
        );
        progress(
          `port-forwarding svc/${settings.ui.serviceName} (${settings.ui.namespace}) to ${forwarded.url}`,
        );
        url = forwarded.url;
      }
      feed = uiFeed({
        client: new UiClient({
          url,
          user: settings.ui.user,
          password: settings.ui.password,
          requestTimeoutMs: Math.min(KUBE_REQUEST_TIMEOUT_MS, settings.timeoutMs),
        }),
        retryForMs: settings.timeoutMs,
      });
    } else {
      // Kubelet timestamps on the lines; a little history covers clock skew between us and the nodes.
      const since = new Date(Date.now() - 30_000);
      feed = logFeed(falcoLogLines(kc, settings.falcoPods, since), { knownOutputs: DEMO_KNOWN_OUTPUTS });
    }
    const report = await runDemoScenario({
      cluster,
      feed,
      target: settings.target,
      timeoutMs: settings.timeoutMs,
      clusterName: settings.clusterName,
      progress,
    });
    io.stdout(`${formatDemoTable(report)}\n`);
    const hints = formatMissing(report, {
      falcoNamespace: settings.falcoPods.namespace,
      falcoLabelSelector: settings.falcoPods.labelSelector,
      falcoContainer: settings.falcoPods.container,
    });
    io.stdout(`${[formatVerdict(report), ...hints].join("\n")}\n`);
    if (report.ok) return ExitCode.ok;
    return report.feedFailure ? ExitCode.usage : ExitCode.failed;
  } finally {
    await forwarded?.close();
  }
}

async function loadSettings(
  options: DemoOptions,
  context: DemoCommandContext,
  io: CliIo,
): Promise<DemoSettings> {
  const {
    timeout,
    context: _context,
    outputsFile: _outputsFile,
    passwordFile,
    password: _password,
    natsUser: _natsUser,
    natsPasswordFile: _natsPasswordFile,
    natsTokenFile: _natsTokenFile,
    natsCreds: _natsCreds,
    natsCa: _natsCa,
    natsTlsName: _natsTlsName,
    ...rest
  } = options;
  const flags: DemoFlags = {
    ...rest,
    // The demo's UI password: a flag, else the stack output (the environment is events' business).
    password: uiPassword({ password: options.password, passwordFile }, {}, io),
    timeoutSeconds: positiveNumber("--timeout", timeout),
  };
  if (options.stack === undefined && options.outputsFile === undefined && options.pod === undefined) {
    throw new DemoSetupError(
      "say which deployment: --stack NAME (reads its outputs with the pulumi CLI), --outputs-file FILE, or --pod NAME with the other flags",
    );
  }
  let outputs: StackOutputs | undefined;
  let origin: string | undefined;
  if (options.outputsFile !== undefined) {
    outputs = await readOutputsFile(options.outputsFile);
    origin = options.outputsFile;
  } else if (options.stack !== undefined) {
    outputs = await readPulumiStackOutputs(options.stack, (args) =>
      context.runPulumi(pulumiCall(args, context.env)),
    );
    origin = `the outputs of stack ${options.stack}`;
  }
  return resolveDemoSettings(outputs, flags, origin);
}
