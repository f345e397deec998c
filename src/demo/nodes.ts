import {
  CANARY_BEACON_FILE,
  CANARY_CONTAINER,
  CANARY_RULE,
  canaryPodSelector,
  canaryTriggerCommand,
} from "../builders/canary.ts";
import { CANARY_NAMESPACE, falcoPodSelector } from "../builders/names.ts";
import type { Channel, EventFeed } from "../events/feed.ts";
import type { KnownOutput } from "../events/log-line.ts";
import { eventWorkload, isAtLeast, parsePriority, type FalcoEvent } from "../events/model.ts";
import { FeedWatch } from "./feed-watch.ts";
import { formatSeconds, type ExecResult, type ProgressSink } from "./runner.ts";
import { DemoSetupError, uiSettingsOf, type DemoFlags, type StackOutputs, type UiAccess } from "./stack.ts";

/**
 * `demo --nodes`: writes the canary's beacon now in the canary pod of every node, waits for each
 * node's "Falco stack canary" event through the chosen channel, and reports per node whether its
 * Falco detected it and how long it took. Pure logic; the Kubernetes calls are src/k8s/nodes.ts.
 */

/** A pod as the node check needs it. */
export interface NodePod {
  name: string;
  ready: boolean;
  /** Why it is not ready (`CrashLoopBackOff`, a failing condition). */
  reason?: string;
}

/** One node with the Falco pod and the canary pod that run on it (the ready one when there are several). */
export interface NodeFacts {
  name: string;
  falcoPod?: NodePod;
  canaryPod?: NodePod;
}

/** What the node check needs from the cluster; src/k8s/nodes.ts implements it, tests fake it. */
export interface NodeCluster {
  nodes(): Promise<NodeFacts[]>;
  /** Runs the canary's action in a canary pod. */
  trigger(pod: string): Promise<ExecResult>;
}

export interface CanaryRef {
  namespace: string;
  labelSelector: string;
  container: string;
  rule: string;
}

export type NodeVerdict =
  "ok" | "silent" | "no-falco-pod" | "falco-not-ready" | "no-canary-pod" | "trigger-failed";

export interface NodeResult {
  node: string;
  falcoPod?: string;
  falcoReady: boolean;
  canaryPod?: string;
  trigger?: ExecResult;
  triggeredAt?: number;
  event?: FalcoEvent;
  /** Pod, subject or URL the event came through. */
  origin?: string;
  /** From the trigger to the event's arrival, on the local clock. */
  latencyMs?: number;
  verdict: NodeVerdict;
  /** Why the verdict, in words. */
  reason: string;
}

export interface NodesReport {
  channel: Channel;
  /** The stack's clusterName, shown above the table and in the JSON. */
  clusterName?: string;
  feedDescription: string;
  timeoutMs: number;
  nodes: NodeResult[];
  /** Nodes whose verdict is not ok, by name. */
  failedNodes: string[];
  problems: string[];
  feedFailure?: string;
  ok: boolean;
}

export interface NodesCheckOptions {
  cluster: NodeCluster;
  feed: EventFeed;
  canary: CanaryRef;
  timeoutMs: number;
  progress: ProgressSink;
  clusterName?: string;
  /** How much older than its trigger an event may look, for node clock skew. Default 10 s. */
  skewToleranceMs?: number;
  now?: () => number;
}

/** How the canary rule's text output starts, to name the rule of a text-form log line. */
export const CANARY_KNOWN_OUTPUTS: readonly KnownOutput[] = [
  { rule: CANARY_RULE, message: "Falco stack canary beacon written" },
];

/** The node an event of the canary rule came from: its canary pod, else its hostname, else its Falco pod. */
export function canaryEventNode(
  event: FalcoEvent,
  origin: string,
  nodes: readonly NodeFacts[],
  canary: CanaryRef,
): string | undefined {
  if (event.rule !== canary.rule) return undefined;
  const workload = eventWorkload(event);
  if (workload.pod !== undefined) {
    if (workload.namespace !== undefined && workload.namespace !== canary.namespace) return undefined;
    return nodes.find((node) => node.canaryPod?.name === workload.pod)?.name;
  }
  const hostname = event.hostname ?? event.outputFields["evt.hostname"];
  const byHost = nodes.find((node) => node.name === hostname);
  if (byHost) return byHost.name;
  return nodes.find((node) => node.falcoPod?.name === origin)?.name;
}

const VERDICT_TEXT: Record<NodeVerdict, string> = {
  ok: "ok",
  silent: "SILENT",
  "no-falco-pod": "NO FALCO",
  "falco-not-ready": "FALCO NOT READY",
  "no-canary-pod": "NO CANARY",
  "trigger-failed": "TRIGGER FAILED",
};

function initialResult(node: NodeFacts): NodeResult {
  const base = {
    node: node.name,
    falcoPod: node.falcoPod?.name,
    falcoReady: node.falcoPod?.ready === true,
    canaryPod: node.canaryPod?.name,
  };
  if (!node.falcoPod) return { ...base, verdict: "no-falco-pod", reason: "no Falco pod runs on this node" };
  if (!node.canaryPod)
    return {
      ...base,
      verdict: "no-canary-pod",
      reason: "no canary pod runs on this node (taints? canary.enabled?)",
    };
  return { ...base, verdict: "silent", reason: "" };
}

/** Lists the nodes, triggers every canary at once, and waits for each node's canary event. */
export async function runNodesCheck(options: NodesCheckOptions): Promise<NodesReport> {
  const now = options.now ?? Date.now;
  const skew = options.skewToleranceMs ?? 10_000;
  const { feed, canary, progress } = options;
  const facts = await options.cluster.nodes();
  if (facts.length === 0) throw new DemoSetupError("the cluster lists no nodes");
  const results = facts.map(initialResult);
  progress(
    `${facts.length} node${facts.length === 1 ? "" : "s"}: ${facts.map((node) => node.name).join(", ")}`,
  );

  const watch = new FeedWatch(feed, progress);
  const pending = (): NodeResult[] =>
    results.filter((result) => result.triggeredAt !== undefined && !result.event);
  await watch.start((event, origin) => {
    const name = canaryEventNode(event, origin, facts, canary);
    const result = results.find((candidate) => candidate.node === name);
    if (!result || result.event || result.triggeredAt === undefined) return;
    if (event.time.getTime() < result.triggeredAt - skew) return;
    result.event = event;
    result.origin = origin;
    result.latencyMs = Math.max(0, now() - result.triggeredAt);
    progress(
      `node ${result.node}: canary raised via ${feed.channel} after ${formatSeconds(result.latencyMs)}`,
    );
    watch.arrived();
  });
  const startedAt = now();
  try {
    await Promise.all(
      results.map(async (result) => {
        const node = facts.find((candidate) => candidate.name === result.node);
        if (!node?.canaryPod || !node.falcoPod) return;
        result.triggeredAt = now();
        result.trigger = await options.cluster.trigger(node.canaryPod.name);
        if (!result.trigger.ok) {
          result.verdict = "trigger-failed";
          result.reason = `writing ${CANARY_BEACON_FILE} in ${node.canaryPod.name} failed: ${result.trigger.message ?? `exit ${result.trigger.exitCode}`}`;
          result.triggeredAt = undefined;
        }
      }),
    );
    progress(
      `triggered the canary on ${results.filter((result) => result.triggeredAt !== undefined).length} node(s)`,
    );
    await watch.waitFor(() => pending().length === 0, options.timeoutMs - (now() - startedAt));
  } finally {
    await feed.stop();
  }

  for (const result of results) {
    const node = facts.find((candidate) => candidate.name === result.node);
    if (result.event) {
      result.verdict = result.falcoReady ? "ok" : "falco-not-ready";
      result.reason = result.falcoReady
        ? `raised via ${feed.channel} (${result.origin ?? "?"})`
        : `raised, but Falco pod ${result.falcoPod ?? "?"} is not ready: ${node?.falcoPod?.reason ?? "not ready"}`;
    } else if (result.triggeredAt !== undefined) {
      result.verdict = result.falcoReady ? "silent" : "falco-not-ready";
      result.reason = result.falcoReady
        ? `no "${canary.rule}" event via ${feed.channel} within ${formatSeconds(options.timeoutMs)}${watch.failure ? ` (the channel failed: ${watch.failure})` : ""}`
        : `Falco pod ${result.falcoPod ?? "?"} is not ready (${node?.falcoPod?.reason ?? "not ready"}) and no canary event arrived`;
    }
  }
  const failedNodes = results.filter((result) => result.verdict !== "ok").map((result) => result.node);
  return {
    channel: feed.channel,
    ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
    feedDescription: feed.description,
    timeoutMs: options.timeoutMs,
    nodes: results,
    failedNodes,
    problems: watch.problems,
    feedFailure: watch.failure,
    ok: failedNodes.length === 0 && watch.failure === undefined,
  };
}

const yesNo = (value: boolean): string => (value ? "yes" : "no");

/** The per-node table a platform team pastes into a ticket, under `cluster: <name>` when the stack has one. */
export function formatNodesTable(report: NodesReport): string {
  const header = ["NODE", "FALCO POD", "READY", "CANARY RAISED", `LATENCY (${report.channel})`, "VERDICT"];
  const rows = report.nodes.map((result) => [
    result.node,
    result.falcoPod ?? "-",
    result.falcoPod ? yesNo(result.falcoReady) : "-",
    result.canaryPod ? yesNo(result.event !== undefined) : "-",
    result.latencyMs !== undefined ? formatSeconds(result.latencyMs) : "-",
    result.verdict === "ok" ? VERDICT_TEXT.ok : `${VERDICT_TEXT[result.verdict]}: ${result.reason}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  const title = report.clusterName === undefined ? [] : [`cluster: ${report.clusterName}`];
  return [...title, line(header), ...rows.map(line)].join("\n");
}

/** The last line: all nodes detecting, or which did not (and where to look). */
export function formatNodesVerdict(report: NodesReport): string {
  const total = report.nodes.length;
  const ofCluster = report.clusterName === undefined ? "" : ` of cluster ${report.clusterName}`;
  if (report.ok)
    return `OK: the canary was detected on all ${total} node(s)${ofCluster} via ${report.channel}`;
  const lines = [
    `FAIL: ${report.failedNodes.length} of ${total} node(s)${ofCluster} did not prove detection: ${report.failedNodes.join(", ")}`,
  ];
  if (report.feedFailure) lines.push(`the ${report.channel} channel failed: ${report.feedFailure}`);
  return lines.join("\n");
}

/** `--json`: the same facts, for scripts and tickets. */
export function nodesReportJson(report: NodesReport): Record<string, unknown> {
  return {
    ok: report.ok,
    cluster: report.clusterName ?? null,
    channel: report.channel,
    timeoutSeconds: report.timeoutMs / 1000,
    failedNodes: report.failedNodes,
    feedFailure: report.feedFailure ?? null,
    nodes: report.nodes.map((result) => ({
      node: result.node,
      falcoPod: result.falcoPod ?? null,
      falcoReady: result.falcoReady,
      canaryPod: result.canaryPod ?? null,
      canaryRaised: result.event !== undefined,
      latencyMs: result.latencyMs ?? null,
      eventTime: result.event?.time.toISOString() ?? null,
      origin: result.origin ?? null,
      verdict: result.verdict,
      reason: result.reason,
    })),
  };
}

/** Where `demo --nodes` finds the pods and listens. */
export interface NodesSettings {
  via: Channel;
  timeoutMs: number;
  canary: CanaryRef;
  falcoPods: { namespace: string; labelSelector: string; container: string };
  ui?: UiAccess;
  nats?: { url: string; subject: string };
  clusterName?: string;
  warnings: string[];
  /** The command that runs the canary's action in a canary pod. */
  triggerCommand: string[];
}

/** The stack outputs (if any) and flags, as `demo --nodes` needs them; throws saying what is missing. */
export function resolveNodesSettings(
  outputs: StackOutputs | undefined,
  flags: DemoFlags,
  stack?: string,
): NodesSettings {
  if (!Number.isFinite(flags.timeoutSeconds) || flags.timeoutSeconds <= 0) {
    throw new DemoSetupError("--timeout must be a positive number of seconds");
  }
  if (outputs?.canary && !outputs.canary.enabled) {
    const name = stack ?? "NAME";
    throw new DemoSetupError(
      `the detection canary is disabled in this stack (canary.enabled: false). Enable it: pulumi config set --path 'falco-stack:canary.enabled' true --stack ${name}, then npm run deploy -- --stack ${name}`,
    );
  }
  const falcoNamespace = flags.namespace ?? outputs?.falcoPods?.namespace ?? outputs?.namespace ?? "falco";
  const settings: NodesSettings = {
    via: flags.via,
    timeoutMs: flags.timeoutSeconds * 1000,
    canary: {
      namespace: outputs?.canary?.namespace ?? CANARY_NAMESPACE,
      labelSelector: outputs?.canary?.labelSelector ?? canaryPodSelector(),
      container: outputs?.canary?.container ?? CANARY_CONTAINER,
      rule: outputs?.canary?.rule ?? CANARY_RULE,
    },
    falcoPods: {
      namespace: falcoNamespace,
      labelSelector: flags.falcoSelector ?? outputs?.falcoPods?.labelSelector ?? falcoPodSelector(),
      container: flags.falcoContainer ?? outputs?.falcoPods?.container ?? "falco",
    },
    ...(outputs?.clusterName !== undefined ? { clusterName: outputs.clusterName } : {}),
    warnings: [],
    triggerCommand: canaryTriggerCommand(),
  };
  if (flags.via === "ui") settings.ui = uiSettingsOf(flags, outputs, falcoNamespace);
  if (flags.via === "nats") {
    if (!flags.nats) {
      throw new DemoSetupError(
        "--via nats needs --nats URL: port-forward the stack's NATS server (e.g. kubectl -n NAMESPACE port-forward svc/NATS 4222) and pass --nats nats://127.0.0.1:4222",
      );
    }
    settings.nats = { url: flags.nats, subject: flags.subject ?? "falco.>" };
    const nats = outputs?.outputs?.find((output) => output.name === "nats");
    const minimum = nats?.minimumpriority ? parsePriority(nats.minimumpriority) : undefined;
    if (minimum && !isAtLeast("Debug", minimum)) {
      settings.warnings.push(
        `falcosidekick's nats output has minimumpriority ${nats?.minimumpriority}: the canary's Debug events never reach NATS; use --via logs or --via ui`,
      );
    }
  }
  return settings;
}
