import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { FeedUnavailableError, errorMessage, type EventFeed, type FeedSink } from "./feed.ts";
import { EventParseError, parseSidekickPayload } from "./model.ts";
import { ALL_EVENTS_SUBJECT, subjectProblem } from "./subject.ts";

export interface NatsFeedOptions {
  /** `nats://host:port` (or `host:port`). */
  url: string;
  /** Default `falco.>`: every subject falcosidekick's default template produces. */
  subject?: string;
  connectTimeoutMs?: number;
}

/** Checks a NATS server URL and returns it normalised; throws with what is allowed. */
export function normaliseNatsUrl(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new FeedUnavailableError(`"${url}" is not a NATS URL (expected nats://HOST:PORT)`);
  }
  if (!["nats:", "tls:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new FeedUnavailableError(
      `"${url}" is not a NATS URL (expected nats://HOST:PORT or tls://HOST:PORT)`,
    );
  }
  return withScheme;
}

/** Subscribes to falcosidekick's NATS subjects and parses each payload. */
export function natsFeed(options: NatsFeedOptions): EventFeed {
  const url = normaliseNatsUrl(options.url);
  const subject = options.subject ?? ALL_EVENTS_SUBJECT;
  const problem = subjectProblem(subject);
  if (problem) throw new FeedUnavailableError(`bad NATS subject: ${problem}`);
  let connection: NatsConnection | undefined;
  let subscription: Subscription | undefined;
  let stopping = false;

  return {
    channel: "nats",
    description: `${url} subject ${subject}`,
    async start(sink: FeedSink) {
      try {
        connection = await connect({
          servers: url,
          timeout: options.connectTimeoutMs ?? 5000,
          name: "falco-stack",
        });
      } catch (error) {
        throw new FeedUnavailableError(`cannot reach NATS at ${url}: ${errorMessage(error)}`);
      }
      const nc = connection;
      subscription = nc.subscribe(subject);
      // The server must know the subscription before start() returns, or early events are lost.
      await nc.flush();
      const messages = subscription;
      void (async () => {
        try {
          for await (const message of messages) {
            try {
              sink.event(parseSidekickPayload(message.string()), message.subject);
            } catch (error) {
              if (!(error instanceof EventParseError)) throw error;
              sink.problem(`${message.subject}: ${error.message}`);
            }
          }
        } catch (error) {
          if (!stopping)
            sink.failed(new Error(`NATS subscription ${subject} failed: ${errorMessage(error)}`));
        }
      })();
      void nc.closed().then((error) => {
        if (!stopping)
          sink.failed(new Error(`NATS connection to ${url} closed${error ? `: ${error.message}` : ""}`));
      });
    },
    async stop() {
      stopping = true;
      if (connection && !connection.isClosed()) await connection.close();
    },
  };
}
