import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { UiClient, UiRequestError, uiFeed, validateSince } from "../../src/events/ui.ts";
import { FeedUnavailableError } from "../../src/events/feed.ts";
import type { FalcoEvent } from "../../src/events/model.ts";
import { registerEventsCommand } from "../../src/cli/events.ts";
import { startUiStandIn, type UiStandIn } from "../helpers/ui-stand-in.ts";
import { freePort } from "../helpers/nats-server.ts";
import { clusterPayload, payloadLike, seedPayload } from "../helpers/falco-events.ts";
import { hasStackTrace, runCommand } from "../helpers/cli-in-process.ts";
import { followEvents, runEvents } from "../helpers/cli-commands.ts";
import type { EventsCommandFlags } from "../helpers/cli-args.ts";

// The UI API is played by a local HTTP server that stands in for falcosidekick-ui (see ui-stand-in.ts).
let ui: UiStandIn;
const user = "falco-admin";
const password = "s3cret:with-colon";

before(async () => {
  ui = await startUiStandIn(user, password);
});
after(async () => {
  await ui.close();
});
beforeEach(() => {
  ui.events.length = 0;
  ui.requests.length = 0;
  ui.override = undefined;
});

describe("validateSince (the UI 2.2.0 process dies on a bad unit)", () => {
  it("accepts seconds and the UI's units", () => {
    for (const since of ["90", "15m", "2h", "7d", "1w", "1M", "1y", "30s"])
      assert.equal(validateSince(since), since);
  });

  it("rejects anything else before a request is made", async () => {
    for (const since of ["5x", "", "1.5h", "-3m", "15 m", "m"]) {
      assert.throws(
        () => validateSince(since),
        /invalid since .*use seconds \("90"\) or a number with one unit s, m, h, d, w, M, y/,
      );
    }
    const client = new UiClient({ url: ui.url, user, password });
    await assert.rejects(client.searchEvents({ since: "5x" }), UiRequestError);
    assert.deepEqual(ui.requests, []);
  });
});

describe("UI client", () => {
  it("searches with basic auth and returns parsed events", async () => {
    ui.events.push(seedPayload());
    const client = new UiClient({ url: `${ui.url}/api/v1/`, user, password });
    const { events, problems } = await client.searchEvents({
      since: "15m",
      priority: ["Notice", "Warning"],
      limit: 5,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      events.map((event) => [event.rule, event.uuid]),
      [["Terminal shell in container", seedPayload().uuid]],
    );
    const query = new URLSearchParams(ui.requests[0].split("?")[1]);
    assert.equal(ui.requests[0].split("?")[0], "/api/v1/events/search");
    assert.equal(query.get("since"), "15m");
    assert.equal(query.get("priority"), "Notice,Warning");
    assert.equal(query.get("limit"), "5");
  });

  it("says the credentials were refused", async () => {
    const client = new UiClient({ url: ui.url, user, password: "wrong" });
    await assert.rejects(client.searchEvents(), (error: unknown) => {
      assert.ok(error instanceof FeedUnavailableError);
      assert.match(error.message, /refused user "falco-admin" \(HTTP 401\): check the user and password/);
      return true;
    });
  });

  it("reports entries that are not events and answers that are not the API's", async () => {
    ui.events.push(seedPayload(), {
      uuid: "x",
      rule: "No priority",
      time: "2025-01-06T14:00:00Z",
      output: "",
    });
    const { events, problems } = await new UiClient({ url: ui.url, user, password }).searchEvents();
    assert.equal(events.length, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /No priority.*priority: /);

    ui.override = { status: 200, body: "<html>proxy login</html>" };
    await assert.rejects(
      new UiClient({ url: ui.url, user, password }).searchEvents(),
      /did not answer JSON: <html>proxy login<\/html>/,
    );
    ui.override = { status: 200, body: JSON.stringify({ results: { a: 1 } }) };
    await assert.rejects(
      new UiClient({ url: ui.url, user, password }).searchEvents(),
      /did not answer \{"results":\[...\]\}/,
    );
    ui.override = { status: 500, body: "redis down" };
    await assert.rejects(
      new UiClient({ url: ui.url, user, password }).searchEvents(),
      /answered HTTP 500: redis down/,
    );
  });

  it("fails clearly when nothing listens, and on unusable settings", async () => {
    const port = await freePort();
    await assert.rejects(
      new UiClient({ url: `http://127.0.0.1:${port}`, user, password }).searchEvents(),
      (error: unknown) =>
        error instanceof FeedUnavailableError &&
        error.message.startsWith(`cannot reach the falcosidekick UI at http://127.0.0.1:${port}`),
    );
    assert.throws(
      () => new UiClient({ url: "127.0.0.1:2802", user, password }),
      /must be an http:\/\/ or https:\/\/ URL|is not a URL/,
    );
    assert.throws(() => new UiClient({ url: ui.url, user: "", password: "" }), /must not be empty/);
  });
});

describe("UI feed", () => {
  it("delivers only events stored after it started, each once, oldest first", async () => {
    ui.events.push(payloadLike({ uuid: "00000000-0000-4000-8000-000000000000", rule: "Old news" }));
    const feed = uiFeed({ client: new UiClient({ url: ui.url, user, password }), pollIntervalMs: 20 });
    const received: FalcoEvent[] = [];
    let arrived: () => void = () => undefined;
    const twoArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await feed.start({
      event(event) {
        received.push(event);
        if (received.length === 2) arrived();
      },
      problem: (message) => assert.fail(message),
      failed: (error) => assert.fail(error),
    });
    const now = Date.now();
    ui.events.push(
      payloadLike({ uuid: "00000000-0000-4000-8000-000000000002", rule: "Second", time: new Date(now + 1) }),
      payloadLike({ uuid: "00000000-0000-4000-8000-000000000001", rule: "First", time: new Date(now) }),
    );
    await twoArrived;
    // Several more polls see the same events again; none may be delivered twice.
    const pollsBefore = ui.requests.length;
    while (ui.requests.length < pollsBefore + 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await feed.stop();
    assert.deepEqual(
      received.map((event) => event.rule),
      ["First", "Second"],
    );
    for (const request of ui.requests) {
      assert.match(new URLSearchParams(request.split("?")[1]).get("since") ?? "", /^\d+$/);
    }
  });

  it("reports a failure when the UI stops answering", async () => {
    const feed = uiFeed({ client: new UiClient({ url: ui.url, user, password }), pollIntervalMs: 10 });
    const failure = new Promise<Error>((resolve) => {
      void feed.start({ event() {}, problem() {}, failed: resolve });
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    ui.override = { status: 401, body: "{}" };
    assert.match((await failure).message, /refused user/);
    await feed.stop();
  });
});

describe("falco-stack events --ui", () => {
  it("follows the UI and prints new events as JSON lines", async () => {
    const run = await followEvents(
      { ui: ui.url, user, password, json: true, count: 1, poll: 20 },
      /following falcosidekick UI/,
    );
    const payload = payloadLike({ uuid: "11111111-0000-4000-8000-000000000000", time: new Date() });
    ui.events.push(payload);
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(JSON.parse(outcome.stdout), payload);
  });

  it("--cluster keeps only that cluster's events, filtered here (the UI has no such search)", async () => {
    const run = await followEvents(
      { ui: ui.url, user, password, cluster: "prod", count: 1, poll: 20 },
      /following falcosidekick UI .*, only cluster prod/,
    );
    const now = Date.now();
    // Stored at once, delivered oldest first: without the filter, dev's event would be printed.
    ui.events.push(
      clusterPayload("dev", { uuid: "dev-1", time: new Date(now + 1) }),
      payloadLike({ uuid: "none-1", time: new Date(now + 2) }),
      clusterPayload("prod", { uuid: "prod-1", time: new Date(now + 3), pod: "api" }),
    );
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    const lines = outcome.stdout.trim().split("\n");
    assert.equal(lines.length, 1, outcome.stdout);
    assert.match(lines[0] ?? "", /pod=default\/api .* cluster=prod$/);
    assert.ok(
      ui.requests.every((request) => !request.includes("cluster")),
      "the UI API is not asked for a cluster",
    );
  });

  it("exits 2 on refused credentials and on missing ones, without a stack trace", async () => {
    const refused = await runEvents({ ui: ui.url, user, password: "nope" }).done;
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refused user "falco-admin"/);
    const missing = await runEvents({ ui: ui.url, user }).done;
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--ui needs the UI user and password/);
    assert.ok(!hasStackTrace(refused.stderr + missing.stderr));
  });
});

describe("the UI password stays off the command line", () => {
  const follow = (flags: EventsCommandFlags, env: Record<string, string> = {}) => {
    Object.assign(process.env, env);
    const run = runEvents({ ui: ui.url, ...flags, json: true, count: 1, poll: 20, timeout: 10 });
    for (const name of Object.keys(env)) Reflect.deleteProperty(process.env, name);
    return run;
  };

  it("reads it from FALCO_STACK_UI_PASSWORD, and the user from FALCO_STACK_UI_USER", async () => {
    const run = follow({}, { FALCO_STACK_UI_USER: user, FALCO_STACK_UI_PASSWORD: password });
    await run.stderrMatches(/following falcosidekick UI/);
    ui.events.push(payloadLike({ uuid: "33333333-0000-4000-8000-000000000000", time: new Date() }));
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.doesNotMatch(outcome.stderr, /warning/);
  });

  it("reads it from --password-file (first line)", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), "falco-stack-ui-")), "password");
    await writeFile(file, `${password}\n`);
    const run = follow({ user, passwordFile: file });
    await run.stderrMatches(/following falcosidekick UI/);
    ui.events.push(payloadLike({ uuid: "44444444-0000-4000-8000-000000000000", time: new Date() }));
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    const missing = await runEvents({ ui: ui.url, user, passwordFile: `${file}-absent` }).done;
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read --password-file .*password-absent: ENOENT/);
  });

  it("still takes --password, warning that ps shows it", async () => {
    const run = follow({ user, password });
    await run.stderrMatches(/following falcosidekick UI/);
    ui.events.push(payloadLike({ uuid: "55555555-0000-4000-8000-000000000000", time: new Date() }));
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(
      outcome.stderr,
      /warning: --password is visible to every user of this machine \(ps\); set FALCO_STACK_UI_PASSWORD/,
    );
  });

  it("events --help names the environment variables and files for every credential", async () => {
    const help = await runCommand(registerEventsCommand, ["events", "--help"]).done;
    assert.equal(help.code, 0);
    for (const name of [
      "FALCO_STACK_NATS_USER",
      "FALCO_STACK_NATS_PASSWORD",
      "FALCO_STACK_NATS_TOKEN",
      "FALCO_STACK_UI_USER",
      "FALCO_STACK_UI_PASSWORD",
      "--password-file",
      "--nats-password-file",
      "--nats-creds",
      "--nats-ca",
      "nats://user:password@host",
    ])
      assert.ok(help.stdout.includes(name), `--help lacks ${name}`);
    assert.doesNotMatch(help.stdout, /--password <password>/, "the ps-visible flag is not advertised");
  });
});
