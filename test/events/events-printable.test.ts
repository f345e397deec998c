import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventFromJson, parseRfc3339, type FalcoEvent } from "../../src/events/model.ts";
import { formatEventLine } from "../../src/events/format.ts";
import { printable } from "../../src/events/printable.ts";
import { formatMissing } from "../../src/demo/report.ts";
import type { DemoReport } from "../../src/demo/runner.ts";
import { natsServerForSuite } from "../helpers/nats-suite.ts";
import { payloadLike } from "../helpers/falco-events.ts";
import { followEvents } from "../helpers/cli-commands.ts";

/** What a terminal would act on: ESC, CSI (8-bit), BEL, BS, CR, LF, NUL, other C0 and C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

// An attacker controls the command line of the process Falco reports, and the rule name on a NATS server they can publish to.
const HOSTILE_CMDLINE =
  "sh -c 'id'\u001b]0;pwned\u0007\u001b[2J\u001b[1;31mred\r\n2025-01-01T00:00:00.000Z  Notice  fake line\u0008\u009b31m";
const HOSTILE_RULE = "Terminal shell\u001b[8m hidden\u001b[0m\nforged";

describe("event fields reach the terminal printable", () => {
  it("strips escape sequences and shows other control characters as escapes", () => {
    assert.equal(
      printable("a\u001b[31mred\u001b[0m\u001b]8;;http://x\u0007link\u001b]8;;\u0007"),
      "aredlink",
    );
    assert.equal(printable("one\ntwo\tthree\r\u0007\u0000\u2028"), "one\\ntwo\\tthree\\r\\x07\\x00\\u2028");
    assert.equal(printable("plain ünïcödé ✓"), "plain ünïcödé ✓");
  });

  it("an event line carries no terminal control from the rule or the fields, and stays one line", () => {
    const event = eventFromJson(
      payloadLike({
        rule: HOSTILE_RULE,
        cmdline: HOSTILE_CMDLINE,
        pod: "www\u001b[31m",
        extraFields: { "user.name": "root\u0007" },
      }),
    );
    const line = formatEventLine(event);
    assert.doesNotMatch(line, TERMINAL_CONTROL, JSON.stringify(line));
    assert.match(line, /Terminal shell hidden\\nforged/);
    assert.match(line, /cmd="sh -c 'id'red\\r\\n2025-01-01T00:00:00\.000Z {2}Notice {2}fake line\\x08"/);
    assert.match(line, /pod=default\/www /);
    assert.match(line, /user=root\\x07/);
  });

  it("shows an object-valued field as JSON, not [object Object]", () => {
    const event = eventFromJson(
      payloadLike({ extraFields: { "proc.cmdline": { argv: ["sh", "-c", "ls"] }, "fd.name": 42 } }),
    );
    const line = formatEventLine(event);
    assert.ok(line.includes('cmd="{\\"argv\\":[\\"sh\\",\\"-c\\",\\"ls\\"]}"'), line);
    assert.match(line, /file=42/);
    assert.doesNotMatch(line, /\[object Object\]/);
  });

  it("refuses a calendar date that does not exist instead of moving it to another day", () => {
    assert.equal(parseRfc3339("2025-02-30T10:00:00Z"), undefined);
    assert.equal(parseRfc3339("2025-04-31T10:00:00Z"), undefined);
    assert.equal(parseRfc3339("2024-02-29T10:00:00Z")?.toISOString(), "2024-02-29T10:00:00.000Z");
    assert.throws(
      () => eventFromJson({ ...payloadLike({}), time: "2025-02-30T10:00:00Z" }),
      /time: "2025-02-30T10:00:00Z" is not an RFC 3339 time/,
    );
  });

  it("prints an event whose time no Date can hold as the sender wrote it", () => {
    const event: FalcoEvent = { ...eventFromJson(payloadLike({})), time: new Date(Number.NaN) };
    (event.raw as Record<string, unknown>).time = "+275760-09-13T00:00:00.001Z\u001b[2J";
    const line = formatEventLine(event);
    assert.match(line, /^\(invalid time \+275760-09-13T00:00:00\.001Z\) {2}Notice/);
  });

  it("a demo report's example of a broken message is printable", () => {
    const report = {
      results: [],
      problems: [`falco.x\u001b[2J: payload is not JSON: {\u0007`],
      channel: "nats",
      withoutCluster: [],
      otherClusters: [],
    } as unknown as DemoReport;
    const lines = formatMissing(report);
    assert.doesNotMatch(lines.join("\n"), TERMINAL_CONTROL);
  });
});

describe("falco-stack events prints hostile events safely (real nats-server)", () => {
  const nats = natsServerForSuite();

  it("in event lines and in the skipped previews", async () => {
    const run = await followEvents({ nats: nats.server.url, count: 1, timeout: 10 }, /following nats:/);
    nats.publisher.publish("falco.notice.x", `{"rule": "broken\u001b]0;pwned\u0007\u001b[2J\n`);
    nats.publisher.publish(
      "falco.notice.y",
      JSON.stringify({ ...payloadLike({}), time: "2025-02-30T10:00:00Z\u001b[5m" }),
    );
    nats.publisher.publish(
      "falco.notice.z",
      JSON.stringify(payloadLike({ rule: HOSTILE_RULE, cmdline: HOSTILE_CMDLINE })),
    );
    await nats.publisher.flush();
    const outcome = await run.done;
    assert.equal(outcome.code, 0, outcome.stderr);
    for (const line of outcome.stdout.split("\n"))
      assert.doesNotMatch(line, TERMINAL_CONTROL, JSON.stringify(line));
    assert.equal(outcome.stdout.split("\n").length, 2, "one event line (and its newline)");
    const skipped = outcome.stderr.split("\n").filter((line) => line.startsWith("skipped: "));
    assert.equal(skipped.length, 2, outcome.stderr);
    for (const line of skipped) assert.doesNotMatch(line, TERMINAL_CONTROL, JSON.stringify(line));
    assert.match(skipped[1] ?? "", /"2025-02-30T10:00:00Z" is not an RFC 3339 time/);
  });
});
