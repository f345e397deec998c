import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { natsFeed } from "../../src/events/nats.ts";
import { FeedUnavailableError } from "../../src/events/feed.ts";
import type { FalcoEvent } from "../../src/events/model.ts";
import { freePort } from "../helpers/nats-server.ts";
import { natsServerForSuite } from "../helpers/nats-suite.ts";
import { clusterPayload, payloadLike, seedPayload } from "../helpers/falco-events.ts";
import { hasStackTrace, runCommand } from "../helpers/cli-in-process.ts";
import { followEvents, runEvents } from "../helpers/cli-commands.ts";
import { eventsArgs } from "../helpers/cli-args.ts";
import { registerEventsCommand } from "../../src/cli/events.ts";

const nats = natsServerForSuite();

describe("NATS feed against a real nats-server", () => {
  it("receives falcosidekick payloads on falco.> and reports malformed ones with their subject", async () => {
    const feed = natsFeed({ url: nats.server.url });
    const received: [FalcoEvent, string][] = [];
    const problems: string[] = [];
    let resolveAll: () => void = () => undefined;
    const allArrived = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    await feed.start({
      event(event, origin) {
        received.push([event, origin]);
        if (received.length === 2 && problems.length === 1) resolveAll();
      },
      problem(message) {
        problems.push(message);
        if (received.length === 2) resolveAll();
      },
      failed: (error) => assert.fail(error),
    });
    const first = await nats.publish(seedPayload());
    nats.publisher.publish("falco.warning.broken", '{"rule": ');
    const second = await nats.publish(
      payloadLike({ rule: "Write inside nginx html folder", priority: "Warning", pod: "www" }),
    );
    await allArrived;
    await feed.stop();
    assert.equal(first, "falco.notice.terminal_shell_in_container");
    assert.equal(second, "falco.warning.write_inside_nginx_html_folder");
    assert.deepEqual(
      received.map(([event, subject]) => [event.rule, event.priority, subject]),
      [
        ["Terminal shell in container", "Notice", first],
        ["Write inside nginx html folder", "Warning", second],
      ],
    );
    assert.match(problems[0], /^falco\.warning\.broken: payload is not JSON/);
  });

  it("fails clearly when no server listens", async () => {
    const port = await freePort();
    const feed = natsFeed({ url: `nats://127.0.0.1:${port}`, connectTimeoutMs: 2000 });
    await assert.rejects(
      feed.start({ event() {}, problem() {}, failed() {} }),
      (error: unknown) =>
        error instanceof FeedUnavailableError &&
        error.message.startsWith(`cannot reach NATS at nats://127.0.0.1:${port}`),
    );
  });

  it("rejects URLs and subjects that cannot work", () => {
    assert.throws(() => natsFeed({ url: "http://127.0.0.1:4222" }), /not a NATS URL/);
    assert.throws(() => natsFeed({ url: nats.server.url, subject: "falco.>.x" }), /bad NATS subject/);
  });
});

describe("falco-stack events --nats", () => {
  it("prints each event as falcosidekick sent it with --json and stops at --count (exit 0)", async () => {
    const run = await followEvents({ nats: nats.server.url, json: true, count: 2 }, /following nats:/);
    const sent = [
      seedPayload(),
      payloadLike({
        rule: "Write inside nginx html folder",
        priority: "Warning",
        uuid: "0b1c2d3e-0000-4000-8000-000000000001",
      }),
    ];
    for (const payload of sent) await nats.publish(payload);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.deepEqual(
      lines.map((line) => JSON.parse(line) as unknown),
      sent,
    );
  });

  it("prints readable lines and filters by --priority", async () => {
    const run = await followEvents(
      { nats: nats.server.url, count: 1, priority: "warning" },
      /following nats:/,
    );
    await nats.publish(seedPayload()); // Notice: below the filter
    await nats.publish(
      payloadLike({
        rule: "Write inside nginx html folder",
        priority: "Warning",
        namespace: "demo",
        cmdline: "sh -c echo hi",
      }),
    );
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Warning +Write inside nginx html folder {2}pod=demo\/www/);
    assert.match(lines[0], /cmd="sh -c echo hi"/);
  });

  it("prints the cluster an event carries at the end of its line", async () => {
    const run = await followEvents({ nats: nats.server.url, count: 1 }, /following nats:/);
    await nats.publish(clusterPayload("prod"), "prod");
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.trim(), /^\S+ {2}Notice +Terminal shell in container {2}.* cluster=prod$/);
  });

  it("--cluster subscribes to falco.<cluster>.> and shows only that cluster's events", async () => {
    const write = { rule: "Write inside nginx html folder", priority: "Warning" };
    const run = await followEvents(
      { nats: nats.server.url, cluster: "prod", count: 1, json: true },
      /following nats:\/\/127\.0\.0\.1:\d+ subject falco\.prod\.>, only cluster prod/,
    );
    const dev = await nats.publish(clusterPayload("dev", { ...write, uuid: "dev" }), "dev");
    const unnamed = await nats.publish(payloadLike({ ...write, uuid: "no-cluster" }));
    const prodPayload = clusterPayload("prod", { ...write, uuid: "prod" });
    const prod = await nats.publish(prodPayload, "prod");
    assert.deepEqual(
      [dev, unnamed, prod],
      [
        "falco.dev.warning.write_inside_nginx_html_folder",
        "falco.warning.write_inside_nginx_html_folder",
        "falco.prod.warning.write_inside_nginx_html_folder",
      ],
    );
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
      [prodPayload],
    );
  });

  it("--cluster with --subject keeps the subject and still filters by the event's cluster", async () => {
    const run = await followEvents(
      { nats: nats.server.url, subject: "falco.>", cluster: "prod", count: 1 },
      /subject falco\.>, only cluster prod/,
    );
    // Published where --cluster alone would not listen: the subject is the user's choice.
    await nats.publish(clusterPayload("dev"));
    await nats.publish(clusterPayload("prod", { pod: "api" }));
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.trim(), /pod=default\/api .*cluster=prod$/);
    assert.equal(result.stdout.trim().split("\n").length, 1);
  });

  it("exits 1 naming the shortfall when --timeout comes before --count", async () => {
    const result = await runEvents({ nats: nats.server.url, count: 3, timeout: 0.5 }).done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /timeout after 0\.5s: got 0 of 3 event\(s\)/);
  });

  it("exits 2 with a one-line reason when the server cannot be reached or the arguments are wrong", async () => {
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [
        ["events", "--nats", `nats://127.0.0.1:${port}`, "--count", "1"],
        /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+/,
      ],
      [
        ["events", "--nats", nats.server.url, "--ui", "http://127.0.0.1:1"],
        /--nats and --ui exclude each other/,
      ],
      [
        ["events", "--nats", nats.server.url, "--count", "two"],
        /--count must be a whole number above 0, got "two"/,
      ],
      [["events"], /no event source: use --nats URL/],
      [["events", "--nats", nats.server.url, "--priority", "loud"], /--priority/],
      [
        ["events", "--nats", nats.server.url, "--user", "admin"],
        /--user, --password and --password-file belong to --ui/,
      ],
      [
        ["events", "--nats", nats.server.url, "--cluster", "Prod.EU"],
        /--cluster "Prod\.EU" is not a DNS label \(lower-case letters, digits and '-'.*\), as the stack's clusterName is/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCommand(registerEventsCommand, args).done));
    results.forEach((result, index) => {
      assert.equal(result.code, 2, `${cases[index][0].join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, cases[index][1]);
      assert.ok(!hasStackTrace(result.stderr), result.stderr);
    });
  });
});

describe("falco-stack events as a separate process", () => {
  it("exits by itself after --count, releasing the NATS connection", async () => {
    const { spawn } = await import("node:child_process");
    const path = await import("node:path");
    const { projectRoot } = await import("../helpers/shared.ts");
    const child = spawn(
      process.execPath,
      [
        path.join(projectRoot, "bin", "falco-stack.cjs"),
        ...eventsArgs({ nats: nats.server.url, count: 1, json: true }),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const following = new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("following nats:")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await Promise.race([following, exited]);
    await nats.publish(seedPayload());
    assert.equal(await exited, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), seedPayload());
  });
});
