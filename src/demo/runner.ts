import type { Channel, EventFeed } from "../events/feed.ts";
import { eventCluster } from "../events/cluster.ts";
import type { FalcoEvent } from "../events/model.ts";
import { FeedWatch } from "./feed-watch.ts";
import { matchesDetection, type DemoTarget } from "./match.ts";
import { DEMO_STEPS, EXPECTED_DETECTIONS, type ExpectedDetection, type TriggerStep } from "./scenario.ts";
import { ExitCode, FalcoStackError } from "../errors.ts";

export interface PodStatus {
  exists: boolean;
  ready: boolean;
  phase?: string;
  /** Why it is not ready, e.g. `ImagePullBackOff` or a failing readiness condition. */
  reason?: string;
  containerIds: string[];
}

export interface ExecResult {
  ok: boolean;
  exitCode?: number;
  /** Error text when the exec failed. */
  message?: string;
}

/** What the scenario needs from the cluster; the Kubernetes layer implements it, tests fake it. */
export interface DemoCluster {
  podStatus(target: DemoTarget): Promise<PodStatus>;
  exec(target: DemoTarget, step: TriggerStep): Promise<ExecResult>;
}

/** Receives one progress line per change (the CLI writes them to stderr). */
export type ProgressSink = (line: string) => void;

export interface DemoRunOptions {
  cluster: DemoCluster;
  feed: EventFeed;
  target: DemoTarget;
  timeoutMs: number;
  progress: ProgressSink;
  /** How much older than its trigger an event may look, for node clock skew. Default 10 s. */
  skewToleranceMs?: number;
  /** How often to say what is still missing while waiting. Default 10 s. */
  heartbeatMs?: number;
  steps?: readonly TriggerStep[];
  expected?: readonly ExpectedDetection[];
  /**
   * The stack's clusterName: a detection must carry `cluster=<name>` (the end-to-end proof of
   * cluster identity); one without it fails, one naming another cluster is not ours.
   */
  clusterName?: string;
  now?: () => number;
}

export interface DetectionResult {
  expected: ExpectedDetection;
  step: TriggerStep;
  trigger?: ExecResult;
  triggeredAt?: number;
  event?: FalcoEvent;
  /** Subject, pod or URL the event came from. */
  origin?: string;
  receivedAt?: number;
  /** From the start of the trigger to the event's arrival, on the local clock. */
  latencyMs?: number;
  /** The cluster the event names (`output_fields.cluster` or the `cluster=` suffix), if any. */
  cluster?: string;
}

export interface DemoReport {
  channel: Channel;
  feedDescription: string;
  target: DemoTarget;
  timeoutMs: number;
  results: DetectionResult[];
  /** The cluster each detection had to name, when the stack sets clusterName. */
  clusterName?: string;
  /** Detections that arrived without the cluster's name (only with clusterName). */
  withoutCluster: DetectionResult[];
  /** Other clusters whose events would have matched (another stack's outputs?). */
  otherClusters: string[];
  /** Payloads or lines that were not events. */
  problems: string[];
  /** Set when the channel broke while waiting. */
  feedFailure?: string;
  ok: boolean;
}

/** The demo pod is missing or not ready: nothing was triggered. */
export class DemoPodNotReadyError extends FalcoStackError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}

/** Checks the pod, listens on the channel, runs the triggers and waits for the detections. */
export async function runDemoScenario(options: DemoRunOptions): Promise<DemoReport> {
  const now = options.now ?? Date.now;
  const steps = options.steps ?? DEMO_STEPS;
  const expected = options.expected ?? EXPECTED_DETECTIONS;
  const skew = options.skewToleranceMs ?? 10_000;
  const { target, feed, progress } = options;

  const status = await options.cluster.podStatus(target);
  const podName = `${target.namespace}/${target.pod}`;
  if (!status.exists) {
    throw new DemoPodNotReadyError(
      `demo pod ${podName} does not exist: is the demo enabled in this stack (falco-stack:demo.enabled) and deployed? Check: kubectl -n ${target.namespace} get pods`,
    );
  }
  if (!status.ready) {
    const why = [status.phase && `phase ${status.phase}`, status.reason].filter(Boolean).join(", ");
    throw new DemoPodNotReadyError(
      `demo pod ${podName} is not ready${why ? ` (${why})` : ""}. Check: kubectl -n ${target.namespace} describe pod ${target.pod}`,
    );
  }
  const withIds: DemoTarget = { ...target, containerIds: target.containerIds ?? status.containerIds };
  progress(`demo pod ${podName} is ready`);
  if (options.clusterName !== undefined)
    progress(`cluster ${options.clusterName}: each detection must carry cluster=${options.clusterName}`);

  const results: DetectionResult[] = expected.map((detection) => {
    const step = steps.find((candidate) => candidate.id === detection.step);
    if (!step) throw new Error(`expected detection ${detection.rule} names unknown step ${detection.step}`);
    return { expected: detection, step };
  });
  const received: {
    event: FalcoEvent;
    origin: string;
    at: number;
    used: boolean;
    cluster?: string;
  }[] = [];
  const { clusterName } = options;
  const otherClusters = new Set<string>();
  const watch = new FeedWatch(feed, progress);

  const evaluate = (): void => {
    for (const result of results) {
      if (result.event || result.triggeredAt === undefined) continue;
      const triggeredAt = result.triggeredAt;
      const candidates = received.filter(
        (item) => !item.used && matchesDetection(item.event, result.expected, withIds, triggeredAt, skew),
      );
      // With a cluster name: ours first, then one naming no cluster (a failure, reported as such);
      // another cluster's demo pod has the same name, so its events are not ours.
      const ours = candidates.filter(
        (item) => clusterName === undefined || item.cluster === undefined || item.cluster === clusterName,
      );
      for (const item of candidates) {
        if (clusterName !== undefined && item.cluster !== undefined && item.cluster !== clusterName)
          otherClusters.add(item.cluster);
      }
      const hit = ours.find((item) => item.cluster === clusterName) ?? ours[0];
      if (!hit) continue;
      hit.used = true;
      Object.assign(result, {
        event: hit.event,
        origin: hit.origin,
        receivedAt: hit.at,
        latencyMs: Math.max(0, hit.at - triggeredAt),
        cluster: hit.cluster,
      });
      const unnamed =
        clusterName !== undefined && hit.cluster === undefined
          ? `, but without the cluster field (expected cluster=${clusterName})`
          : "";
      progress(
        `detected "${result.expected.rule}" (${result.step.title}) via ${feed.channel} after ${formatSeconds(result.latencyMs ?? 0)}${unnamed}`,
      );
    }
    watch.arrived();
  };

  await watch.start((event, origin) => {
    received.push({ event, origin, at: now(), used: false, cluster: eventCluster(event) });
    evaluate();
  });

  const startedAt = now();
  try {
    for (const [index, step] of steps.entries()) {
      const triggeredAt = now();
      progress(`trigger ${index + 1}/${steps.length}: ${step.title}`);
      const outcome = await options.cluster.exec(withIds, step);
      if (!outcome.ok)
        progress(`trigger "${step.title}" failed: ${outcome.message ?? `exit ${outcome.exitCode}`}`);
      for (const result of results) {
        if (result.step.id === step.id) Object.assign(result, { triggeredAt, trigger: outcome });
      }
      evaluate();
    }
    await waitForDetections(results, options, startedAt, now, watch);
  } finally {
    await feed.stop();
  }

  const withoutCluster =
    clusterName === undefined
      ? []
      : results.filter((result) => result.event !== undefined && result.cluster === undefined);
  return {
    channel: feed.channel,
    feedDescription: feed.description,
    target: withIds,
    timeoutMs: options.timeoutMs,
    results,
    ...(clusterName !== undefined ? { clusterName } : {}),
    withoutCluster,
    otherClusters: [...otherClusters],
    problems: watch.problems,
    feedFailure: watch.failure,
    ok:
      results.every((result) => result.event !== undefined) &&
      withoutCluster.length === 0 &&
      watch.failure === undefined,
  };
}

async function waitForDetections(
  results: DetectionResult[],
  options: DemoRunOptions,
  startedAt: number,
  now: () => number,
  watch: FeedWatch,
): Promise<void> {
  const remainingMs = Math.max(0, options.timeoutMs - (now() - startedAt));
  const missing = (): string[] => results.filter((result) => !result.event).map(describe);
  if (missing().length > 0 && watch.failure === undefined) {
    options.progress(`waiting up to ${formatSeconds(remainingMs)} for: ${missing().join(", ")}`);
  }
  const heartbeat = setInterval(() => {
    const left = Math.max(0, options.timeoutMs - (now() - startedAt));
    options.progress(`still waiting for: ${missing().join(", ")} (${formatSeconds(left)} left)`);
  }, options.heartbeatMs ?? 10_000);
  try {
    await watch.waitFor(() => missing().length === 0, remainingMs);
  } finally {
    clearInterval(heartbeat);
  }
}

function describe(result: DetectionResult): string {
  return `"${result.expected.rule}" (${result.step.title})`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
