import { eventCluster } from "./cluster.ts";
import { formatEventJson, formatEventLine } from "./format.ts";
import { errorMessage, type EventFeed } from "./feed.ts";
import { isAtLeast, type Priority } from "./model.ts";
import { printable } from "./printable.ts";

export interface FollowOptions {
  feed: EventFeed;
  /** Stop after this many events (after the priority and cluster filters). */
  count?: number;
  /** Stop after this long, counted from the call: connecting is part of it. */
  timeoutMs?: number;
  /** Show only events at least this severe. */
  minimumPriority?: Priority;
  /** Show only events that name this cluster (`output_fields.cluster`, or Falco's `cluster=` suffix). */
  cluster?: string;
  json: boolean;
  /** Where each event line goes (stdout). */
  writeLine(line: string): void;
  /** Where notices go (stderr). */
  notice(line: string): void;
  /** Ends following early (Ctrl-C). */
  signal?: AbortSignal;
}

export type FollowOutcome =
  | { reason: "count"; received: number }
  | { reason: "timeout"; received: number }
  | { reason: "stopped"; received: number }
  | { reason: "failed"; received: number; error: string };

/** Prints events as they arrive until the count, the timeout, an abort or a feed failure. */
export async function followEvents(options: FollowOptions): Promise<FollowOutcome> {
  const { feed } = options;
  let received = 0;
  let finish: (outcome: FollowOutcome) => void = () => undefined;
  const done = new Promise<FollowOutcome>((resolve) => {
    finish = resolve;
  });
  let finished = false;
  const end = (outcome: FollowOutcome): void => {
    if (finished) return;
    finished = true;
    finish(outcome);
  };

  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => end({ reason: "timeout", received }), options.timeoutMs);
  const onAbort = (): void => end({ reason: "stopped", received });
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  try {
    // The feed bounds its own connecting (its connect timeout, at most the timeout): a timeout
    // that fires meanwhile ends the command once start gives up, with the feed's reason.
    await feed.start({
      event(event) {
        if (finished) return;
        if (options.minimumPriority && !isAtLeast(event.priority, options.minimumPriority)) return;
        if (options.cluster !== undefined && eventCluster(event) !== options.cluster) return;
        received += 1;
        options.writeLine(options.json ? formatEventJson(event) : formatEventLine(event));
        if (options.count !== undefined && received >= options.count) end({ reason: "count", received });
      },
      problem(message) {
        if (!finished) options.notice(`skipped: ${printable(message)}`);
      },
      failed(error) {
        end({ reason: "failed", received, error: errorMessage(error) });
      },
      status(message) {
        if (!finished) options.notice(printable(message));
      },
    });
  } catch (error) {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await feed.stop();
    throw error;
  }
  const only = options.cluster === undefined ? "" : `, only cluster ${options.cluster}`;
  if (!finished) options.notice(`following ${feed.description}${only}`);

  try {
    return await done;
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await feed.stop();
  }
}
