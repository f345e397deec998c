import type { NatsConnection } from "@nats-io/transport-node";
import type { FalcoEvent } from "../../src/events/model.ts";
import { natsSubject } from "../../src/events/subject.ts";

/**
 * Publishes as falcosidekick does: the payload's JSON on falco.<priority>.<rule slug>, or with the
 * stack's clusterName on falco.<cluster>.<priority>.<rule slug>. Flushes, so the server has it when
 * this resolves. Returns the subject.
 */
export async function publishLikeSidekick(
  publisher: NatsConnection,
  payload: Record<string, unknown>,
  cluster?: string,
): Promise<string> {
  const subject = natsSubject(String(payload.priority) as FalcoEvent["priority"], String(payload.rule), {
    cluster,
  });
  publisher.publish(subject, JSON.stringify(payload));
  await publisher.flush();
  return subject;
}
