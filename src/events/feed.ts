import type { FalcoEvent } from "./model.ts";
import { FalcoStackError } from "../errors.ts";

/** The channel an event came through. */
export type Channel = "logs" | "ui" | "nats";

/** Where a feed delivers what it receives. */
export interface FeedSink {
  /** A valid event; `origin` says where exactly (NATS subject, pod name, UI URL). */
  event(event: FalcoEvent, origin: string): void;
  /** Something arrived that is not a usable event; the feed keeps going. */
  problem(message: string): void;
  /** The feed broke after it started (server gone, credentials revoked); it delivers nothing more. */
  failed(error: Error): void;
  /** The connection is in trouble but the feed keeps trying (reconnecting, retrying): say so. */
  status?(message: string): void;
}

/** A live source of events. `start` resolves once it listens, so nothing sent afterwards is missed. */
export interface EventFeed {
  readonly channel: Channel;
  /** Human-readable description, e.g. `nats://127.0.0.1:4222 subject falco.>`. */
  readonly description: string;
  start(sink: FeedSink): Promise<void>;
  stop(): Promise<void>;
}

/** The server behind a feed cannot be reached or refuses us; the message says which and why. */
export class FeedUnavailableError extends FalcoStackError {}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText =
      cause instanceof Error && !error.message.includes(cause.message) ? ` (${cause.message})` : "";
    return `${error.message}${causeText}`;
  }
  return String(error);
}
