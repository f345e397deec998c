import { errorMessage, type Channel, type EventFeed } from "../events/feed.ts";
import type { FalcoEvent } from "../events/model.ts";
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
}

export interface DemoReport {
  channel: Channel;
  feedDescription: string;
  target: DemoTarget;
  timeoutMs: number;
  results: DetectionResult[];
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

  const results: DetectionResult[] = expected.map((detection) => {
    const step = steps.find((candidate) => candidate.id === detection.step);
    if (!step) throw new Error(`expected detection ${detection.rule} names unknown step ${detection.step}`);
    return { expected: detection, step };
  });
  const received: { event: FalcoEvent; origin: string; at: number; used: boolean }[] = [];
  const problems: string[] = [];
  let feedFailure: string | undefined;
  let wake: () => void = () => undefined;

  const evaluate = (): void => {
    for (const result of results) {
      if (result.event || result.triggeredAt === undefined) continue;
      const triggeredAt = result.triggeredAt;
      const hit = received.find(
        (item) => !item.used && matchesDetection(item.event, result.expected, withIds, triggeredAt, skew),
      );
      if (!hit) continue;
      hit.used = true;
      Object.assign(result, {
        event: hit.event,
        origin: hit.origin,
        receivedAt: hit.at,
        latencyMs: Math.max(0, hit.at - triggeredAt),
      });
      progress(
        `detected "${result.expected.rule}" (${result.step.title}) via ${feed.channel} after ${formatSeconds(result.latencyMs ?? 0)}`,
      );
    }
    if (results.every((result) => result.event) || feedFailure) wake();
  };

  await feed.start({
    event(event, origin) {
      received.push({ event, origin, at: now(), used: false });
      evaluate();
    },
    problem(message) {
      if (problems.length < 20) problems.push(message);
    },
    failed(error) {
      feedFailure = errorMessage(error);
      progress(`${feed.channel} channel failed: ${feedFailure}`);
      wake();
    },
    status(message) {
      // Reconnecting to NATS, retrying the UI: the wait goes on, and the user sees why nothing arrives.
      progress(message);
    },
  });
  progress(`listening on ${feed.description}`);

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
    await waitForDetections(results, options, startedAt, now, (resolve) => {
      wake = resolve;
      evaluate();
    });
  } finally {
    await feed.stop();
  }

  return {
    channel: feed.channel,
    feedDescription: feed.description,
    target: withIds,
    timeoutMs: options.timeoutMs,
    results,
    problems,
    feedFailure,
    ok: results.every((result) => result.event !== undefined) && feedFailure === undefined,
  };
}

async function waitForDetections(
  results: DetectionResult[],
  options: DemoRunOptions,
  startedAt: number,
  now: () => number,
  arm: (resolve: () => void) => void,
): Promise<void> {
  const remainingMs = Math.max(0, options.timeoutMs - (now() - startedAt));
  let heartbeat: NodeJS.Timeout | undefined;
  let timeout: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, remainingMs);
      const missing = (): string[] => results.filter((result) => !result.event).map(describe);
      if (missing().length > 0) {
        options.progress(`waiting up to ${formatSeconds(remainingMs)} for: ${missing().join(", ")}`);
      }
      heartbeat = setInterval(() => {
        const left = Math.max(0, options.timeoutMs - (now() - startedAt));
        options.progress(`still waiting for: ${missing().join(", ")} (${formatSeconds(left)} left)`);
      }, options.heartbeatMs ?? 10_000);
      arm(resolve);
    });
  } finally {
    clearTimeout(timeout);
    clearInterval(heartbeat);
  }
}

function describe(result: DetectionResult): string {
  return `"${result.expected.rule}" (${result.step.title})`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
