import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { startUiStandIn, type UiStandIn } from "../helpers/ui-stand-in.ts";
import { startNatsServer } from "../helpers/nats-server.ts";
import { payloadLike, seedPayload } from "../helpers/falco-events.ts";
import { followEvents, runEvents } from "../helpers/cli-commands.ts";
import { publishLikeSidekick } from "../helpers/nats-publish.ts";

const user = "falco-admin";
const password = "ui-s3cret";
let ui: UiStandIn;

before(async () => {
  ui = await startUiStandIn(user, password);
  process.env.FALCO_STACK_UI_PASSWORD = password;
});
after(async () => {
  Reflect.deleteProperty(process.env, "FALCO_STACK_UI_PASSWORD");
  await ui.close();
});

describe("events --ui through transient failures", () => {
  it("says it retries after a 502 and delivers the event once the UI answers again", async () => {
    const run = await followEvents(
      { ui: ui.url, user, json: true, count: 1, poll: 20, timeout: 20 },
      /following falcosidekick UI/,
    );
    ui.failNext = { count: 2, status: 502, body: "<html>502 Bad Gateway</html>" };
    const payload = payloadLike({ uuid: "22222222-0000-4000-8000-000000000000", time: new Date() });
    ui.events.push(payload);
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(JSON.parse(outcome.stdout), payload);
    assert.match(outcome.stderr, /answered HTTP 502: <html>502 Bad Gateway<\/html>: retrying in 0\.5s/);
    assert.match(outcome.stderr, /retrying in 1\.0s/, "the pause grows");
  });

  it("retries a UI that is down at start until --timeout, then exits 2 naming it", async () => {
    ui.failNext = { count: 1000, status: 503, body: "redis starting" };
    try {
      const outcome = await runEvents({ ui: ui.url, user, timeout: 1.5 }).done;
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, /retrying in/);
      assert.match(
        outcome.stderr,
        /answered HTTP 503: redis starting \(still failing after 1\.5s of retries\)/,
      );
    } finally {
      ui.failNext = undefined;
    }
  });

  it("does not retry refused credentials", async () => {
    process.env.FALCO_STACK_UI_PASSWORD = "wrong";
    try {
      const outcome = await runEvents({ ui: ui.url, user }).done;
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.doesNotMatch(outcome.stderr, /retrying/);
    } finally {
      process.env.FALCO_STACK_UI_PASSWORD = password;
    }
  });
});

describe("events --nats when the server goes away mid-follow (real nats-server)", () => {
  it('says "reconnecting" at once, then "reconnected", and keeps delivering', async () => {
    let server = await startNatsServer();
    const port = server.port;
    const run = runEvents({ nats: server.url, json: true, count: 1, timeout: 30 });
    try {
      await run.stderrMatches(/following nats:/);
      await server.stop();
      await run.stderrMatches(/lost the connection to NATS at nats:\/\/127\.0\.0\.1:\d+: reconnecting/);
      server = await startNatsServer({ port });
      await run.stderrMatches(/reconnected to NATS at nats:\/\/127\.0\.0\.1:\d+/);
      const publisher = await connect({ servers: server.url });
      await publishLikeSidekick(publisher, seedPayload());
      await publisher.close();
      const outcome = await run.done;
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.deepEqual(JSON.parse(outcome.stdout), seedPayload());
    } finally {
      await server.stop();
    }
  });
});
