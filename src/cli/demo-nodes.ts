import type { EventFeed } from "../events/feed.ts";
import { logFeed } from "../events/log-feed.ts";
import { natsFeed } from "../events/nats.ts";
import { UiClient, uiFeed } from "../events/ui.ts";
import {
  CANARY_KNOWN_OUTPUTS,
  formatNodesTable,
  formatNodesVerdict,
  nodesReportJson,
  resolveNodesSettings,
  runNodesCheck,
} from "../demo/nodes.ts";
import { readOutputsFile, readPulumiStackOutputs, type DemoFlags, type StackOutputs } from "../demo/stack.ts";
import type { ForwardedPort } from "../k8s/port-forward.ts";
import type { DemoCommandContext } from "./demo.ts";
import { ExitCode } from "./errors.ts";
import { positiveNumber, type CliIo } from "./events.ts";
import { pulumiCall } from "./pulumi-cli.ts";

/** The demo options `--nodes` uses (the demo pod's are ignored). */
export type DemoNodesOptions = Omit<DemoFlags, "timeoutSeconds"> & {
  timeout: string;
  context?: string;
  outputsFile?: string;
  json?: boolean;
};

/**
 * `demo --nodes`: the canary written now on every node, the events awaited through the channel,
 * a per-node table (or `--json`) on stdout; exit 1 naming the nodes that did not prove detection.
 */
export async function runDemoNodes(
  options: DemoNodesOptions,
  io: CliIo,
  context: DemoCommandContext,
): Promise<number> {
  const { timeout, context: kubeContext, outputsFile, json, ...rest } = options;
  const flags: DemoFlags = { ...rest, timeoutSeconds: positiveNumber("--timeout", timeout) };
  let outputs: StackOutputs | undefined;
  if (outputsFile !== undefined) outputs = await readOutputsFile(outputsFile);
  else if (options.stack !== undefined) {
    outputs = await readPulumiStackOutputs(options.stack, (args) =>
      context.runPulumi(pulumiCall(args, context.env)),
    );
  }
  const settings = resolveNodesSettings(outputs, flags, options.stack);
  for (const warning of settings.warnings) io.stderr(`warning: ${warning}\n`);
  const progress = (line: string): void => io.stderr(`${line}\n`);
  let forwarded: ForwardedPort | undefined;
  try {
    // Loaded on use, as in `demo`: @kubernetes/client-node is slow to import.
    const [{ loadKubeConfig }, { KubeNodeCluster }, { falcoLogLines }, { forwardServicePort }] =
      await Promise.all([
        import("../k8s/kube.ts"),
        import("../k8s/nodes.ts"),
        import("../k8s/falco-logs.ts"),
        import("../k8s/port-forward.ts"),
      ]);
    const kc = loadKubeConfig(kubeContext);
    const cluster = new KubeNodeCluster(kc, settings.falcoPods, settings.canary, settings.triggerCommand);
    let feed: EventFeed;
    if (settings.nats) {
      feed = natsFeed({ url: settings.nats.url, subject: settings.nats.subject });
    } else if (settings.ui) {
      let url = settings.ui.url;
      if (!url) {
        forwarded = await forwardServicePort(
          kc,
          settings.ui.namespace,
          settings.ui.serviceName,
          settings.ui.port,
        );
        progress(
          `port-forwarding svc/${settings.ui.serviceName} (${settings.ui.namespace}) to ${forwarded.url}`,
        );
        url = forwarded.url;
      }
      feed = uiFeed({
        client: new UiClient({ url, user: settings.ui.user, password: settings.ui.password }),
      });
    } else {
      const since = new Date(Date.now() - 30_000);
      feed = logFeed(falcoLogLines(kc, settings.falcoPods, since), { knownOutputs: CANARY_KNOWN_OUTPUTS });
    }
    const report = await runNodesCheck({
      cluster,
      feed,
      canary: settings.canary,
      timeoutMs: settings.timeoutMs,
      clusterName: settings.clusterName,
      progress,
    });
    if (json) io.stdout(`${JSON.stringify(nodesReportJson(report), null, 2)}\n`);
    else io.stdout(`${formatNodesTable(report)}\n${formatNodesVerdict(report)}\n`);
    if (report.ok) return ExitCode.ok;
    return report.feedFailure ? ExitCode.usage : ExitCode.failed;
  } finally {
    await forwarded?.close();
  }
}
