import type { EventFeed, FeedSink } from "./feed.ts";
import { parseFalcoLogLine, type KnownOutput } from "./log-line.ts";

/** Lines from the Falco pods' logs; the Kubernetes layer implements it, tests feed it directly. */
export interface LogLineSource {
  readonly description: string;
  /** Resolves once every log stream is open. */
  start(onLine: (origin: string, line: string) => void, onFailure: (error: Error) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface LogFeedOptions {
  knownOutputs?: readonly KnownOutput[];
}

/** Turns Falco log lines into events; lines that are not events (banners, warnings) are ignored. */
export function logFeed(source: LogLineSource, options: LogFeedOptions = {}): EventFeed {
  return {
    channel: "logs",
    description: source.description,
    async start(sink: FeedSink) {
      await source.start(
        (origin, line) => {
          const result = parseFalcoLogLine(line, { knownOutputs: options.knownOutputs });
          if (result.kind === "event") sink.event(result.event, origin);
          else if (result.kind === "invalid") sink.problem(`${origin}: ${result.message}`);
        },
        (error) => sink.failed(error),
      );
    },
    stop: () => source.stop(),
  };
}
