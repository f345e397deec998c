import type { Channel } from "../events/feed.ts";
import { printable } from "../events/printable.ts";
import { prioritySubjectPattern } from "../events/subject.ts";
import { formatSeconds, type DemoReport, type DetectionResult } from "./runner.ts";

/** Facts the hints for missing detections refer to. */
export interface HintContext {
  falcoNamespace?: string;
  falcoLabelSelector?: string;
  falcoContainer?: string;
}

/**
 * The final table: step, rule, priority, channel, latency (or MISSING). With the stack's cluster
 * name, a `cluster: <name>` line above it and a CLUSTER column: what each event named, or MISSING.
 */
export function formatDemoTable(report: DemoReport): string {
  const withCluster = report.clusterName !== undefined;
  const header = ["STEP", "RULE", "PRIORITY", "CHANNEL", "LATENCY", ...(withCluster ? ["CLUSTER"] : [])];
  const rows = report.results.map((result) => [
    result.step.title,
    result.expected.rule,
    result.event?.priority ?? result.expected.priority,
    report.channel,
    result.latencyMs !== undefined ? formatSeconds(result.latencyMs) : "MISSING",
    ...(withCluster ? [result.event ? printable(result.cluster ?? "MISSING") : "-"] : []),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join("  ");
  const title = withCluster ? [`cluster: ${report.clusterName}`] : [];
  return [...title, line(header), ...rows.map(line)].join("\n");
}

/** One line per missing detection: what was expected and what to check. */
export function formatMissing(report: DemoReport, context: HintContext = {}): string[] {
  const lines: string[] = [];
  for (const result of report.results) {
    if (result.event) continue;
    lines.push(`missing: "${result.expected.rule}" (${result.expected.priority}) after ${result.step.title}`);
    for (const hint of hintsFor(result, report, context)) lines.push(`  - ${hint}`);
  }
  for (const result of report.withoutCluster) {
    lines.push(
      `no cluster: "${result.expected.rule}" after ${result.step.title} arrived via ${report.channel} without the cluster field (output_fields.cluster, or cluster=${report.clusterName ?? "?"} at the end of the output)`,
    );
    lines.push(`  - ${clusterHint(report)}`);
  }
  if (report.otherClusters.length > 0) {
    lines.push(
      `events of the demo pod came from other cluster(s): ${report.otherClusters.map((name) => printable(name)).join(", ")}, not ${report.clusterName ?? "?"}: are these outputs this cluster's stack?`,
    );
  }
  if (report.feedFailure)
    lines.push(`the ${report.channel} channel failed while waiting: ${report.feedFailure}`);
  if (report.problems.length > 0) {
    lines.push(
      `${report.problems.length} message(s) on the channel were not valid events, e.g.: ${printable(report.problems[0] ?? "")}`,
    );
  }
  return lines;
}

export function formatVerdict(report: DemoReport): string {
  const found = report.results.filter((result) => result.event).length;
  const total = report.results.length;
  if (report.ok) {
    const named = report.clusterName === undefined ? "" : `, each with cluster=${report.clusterName}`;
    return `all ${found} expected detections arrived via ${report.channel}${named}`;
  }
  const failures: string[] = [];
  if (found < total)
    failures.push(
      `${total - found} of ${total} expected detections missing after ${formatSeconds(report.timeoutMs)}`,
    );
  if (report.withoutCluster.length > 0)
    failures.push(
      `${report.withoutCluster.length} of ${total} arrived without the cluster field (cluster=${report.clusterName ?? "?"})`,
    );
  if (failures.length === 0) failures.push(`the ${report.channel} channel failed`);
  return failures.join("; ");
}

/** What puts the cluster's name on the events of this channel. */
function clusterHint(report: DemoReport): string {
  const name = report.clusterName ?? "NAME";
  const redeploy = `set by the stack's clusterName (${name}): is the deployed release from a stack with it? Redeploy: npm run deploy -- --stack STACK`;
  return report.channel === "logs"
    ? `Falco's append_output must add cluster=${name} to every output line, ${redeploy}`
    : `falcosidekick's customfields must hold cluster:${name}, ${redeploy}`;
}

function hintsFor(result: DetectionResult, report: DemoReport, context: HintContext): string[] {
  const hints: string[] = [];
  if (result.trigger && !result.trigger.ok) {
    hints.push(
      `the trigger itself failed (${result.trigger.message ?? `exit ${result.trigger.exitCode}`}): nothing to detect`,
    );
  }
  hints.push(`the rule comes from ${result.expected.ruleOrigin}: is it loaded?`);
  const ns = context.falcoNamespace ?? "falco";
  const selector = context.falcoLabelSelector ?? "app.kubernetes.io/name=falco";
  const logs = `kubectl -n ${ns} logs -l ${selector}${context.falcoContainer ? ` -c ${context.falcoContainer}` : ""} --since=10m | grep "${result.expected.rule}"`;
  const channelHint: Record<Channel, string> = {
    logs: `look for it in the Falco logs on the demo pod's node: ${logs}; a longer --timeout helps on a busy node`,
    nats: `falcosidekick must have the nats output with minimumpriority at or below ${result.expected.priority.toLowerCase()}, publishing to the server --nats points at (subject ${prioritySubjectPattern(result.expected.priority, report.clusterName)}); check Falco saw it: ${logs}`,
    ui: `falcosidekick must have the webui output with minimumpriority at or below ${result.expected.priority.toLowerCase()}; check Falco saw it: ${logs}`,
  };
  hints.push(channelHint[report.channel]);
  return hints;
}
