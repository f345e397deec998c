import { after, before } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "./nats-server.ts";
import { publishLikeSidekick } from "./nats-publish.ts";

export interface NatsForSuite {
  /** The real nats-server, on a free 127.0.0.1 port. */
  readonly server: NatsServer;
  /** A connection to it, for what falcosidekick would never send (e.g. a malformed payload). */
  readonly publisher: NatsConnection;
  /** `publishLikeSidekick` on `publisher`: resolves with the subject once the server has the event. */
  publish(payload: Record<string, unknown>, cluster?: string): Promise<string>;
}

/**
 * Starts a real nats-server and connects a publisher before the tests of the calling file or
 * `describe`, and closes both after them: every NATS test file needs the pair, set up the same way.
 * Call it at the top of the file or directly inside `describe`.
 */
export function natsServerForSuite(): NatsForSuite {
  let server: NatsServer | undefined;
  let publisher: NatsConnection | undefined;
  before(async () => {
    server = await startNatsServer();
    publisher = await connect({ servers: server.url });
  });
  after(async () => {
    await publisher?.close();
    await server?.stop();
  });
  const suite: NatsForSuite = {
    get server() {
      if (server === undefined) throw new Error("the nats-server starts in before(): use it inside a test");
      return server;
    },
    get publisher() {
      if (publisher === undefined)
        throw new Error("the publisher connects in before(): use it inside a test");
      return publisher;
    },
    publish: (payload, cluster) => publishLikeSidekick(suite.publisher, payload, cluster),
  };
  return suite;
}
