import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseFalcoLogLine, splitOutput } from "../../src/events/log-line.ts";
import { logFeed, type LogLineSource } from "../../src/events/log-feed.ts";
import type { FalcoEvent } from "../../src/events/model.ts";
import { DEMO_KNOWN_OUTPUTS } from "../../src/demo/scenario.ts";
import { eventCluster } from "../../src/events/cluster.ts";
import { formatEventLine } from "../../src/events/format.ts";
import { seedPayload, tutorialLines, tutorialLogLines } from "../helpers/falco-events.ts";

const known = { knownOutputs: DEMO_KNOWN_OUTPUTS };

describe("Falco log lines, text form (from the tutorial)", () => {
  it("finds the tutorial's real log line and names its rule", () => {
    const lines = tutorialLogLines();
    assert.equal(lines.length, 1, "the tutorial prints one Falco log line");
    const result = parseFalcoLogLine(lines[0], { ...known, referenceTime: new Date("2025-01-06T12:00:00Z") });
    assert.equal(result.kind, "event");
    if (result.kind !== "event") return;
    assert.equal(result.form, "text");
    assert.equal(result.ruleKnown, true);
    assert.equal(result.event.rule, "Terminal shell in container");
    assert.equal(result.event.priority, "Notice");
    assert.equal(result.event.time.toISOString(), "2025-01-06T11:09:37.291Z");
    const fields = result.event.outputFields;
    assert.equal(fields["k8s_pod_name"], "www");
    assert.equal(fields["k8s_ns"], "default");
    assert.equal(fields["container_name"], "www");
    assert.equal(fields["command"], "sh -c ls /", "values with spaces stay whole");
    assert.equal(fields["exe_flags"], "EXE_WRITABLE|EXE_LOWER_LAYER");
    assert.equal(fields["evt_type"], "execve");
  });

  it("ignores the tutorial's commands and prose; flags its wrapped JSON payload as broken", () => {
    const kinds = tutorialLines()
      .map((line) => [parseFalcoLogLine(line, known).kind, line] as const)
      .filter(([kind]) => kind !== "other");
    assert.deepEqual(
      kinds.map(([kind, line]) => [kind, line.slice(0, 9)]),
      [
        ["event", "11:09:37."],
        // The tutorial breaks the NATS payload over several lines: its first line is cut-off JSON.
        ["invalid", '{"uuid":"'],
      ],
    );
  });

  it("ignores Falco's startup banner lines", () => {
    for (const line of [
      "Thu Nov 26 20:00:00 2026: Falco version: 0.44.1 (x86_64)",
      "Thu Nov 26 20:00:00 2026: Loading rules from:",
      "",
    ]) {
      assert.equal(parseFalcoLogLine(line).kind, "other", line);
    }
  });

  it("takes the date from the kubelet timestamp in front of the line", () => {
    const [line] = tutorialLogLines();
    const result = parseFalcoLogLine(`2026-11-26T11:09:38.000000001Z ${line}`, known);
    assert.equal(result.kind === "event" && result.event.time.toISOString(), "2026-11-26T11:09:37.291Z");
    // Just after midnight, a line from before midnight belongs to the previous day.
    const late = parseFalcoLogLine(`2026-11-27T00:00:01Z ${line.replace(/^11:09:37/, "23:59:59")}`, known);
    assert.equal(late.kind === "event" && late.event.time.toISOString(), "2026-11-26T23:59:59.291Z");
  });

  it("reads the ` | key=value` output style of the current upstream rules", () => {
    const line =
      "08:00:01.000000001: Warning File inside /usr/share/nginx/html opened for writing | file=/usr/share/nginx/html/index.html evt_type=openat user=root process=sh command=sh -c echo x >> /usr/share/nginx/html/index.html terminal=34816 container_id=85510af8dfe0 container_name=www k8s_ns=demo k8s_pod_name=www";
    const result = parseFalcoLogLine(line, known);
    assert.equal(result.kind, "event");
    if (result.kind !== "event") return;
    assert.equal(result.event.rule, "Write inside nginx html folder");
    assert.equal(result.event.priority, "Warning");
    assert.equal(result.event.outputFields["file"], "/usr/share/nginx/html/index.html");
    assert.equal(result.event.outputFields["command"], "sh -c echo x >> /usr/share/nginx/html/index.html");
    assert.equal(result.event.outputFields["k8s_ns"], "demo");
  });

  it("reads the ` cluster=prod` that Falco's append_output adds, in both output styles", () => {
    const [tutorialLine] = tutorialLogLines();
    const piped =
      "08:00:01.000000001: Warning File inside /usr/share/nginx/html opened for writing | file=/usr/share/nginx/html/index.html command=sh -c echo x k8s_ns=demo k8s_pod_name=www";
    for (const line of [tutorialLine, piped]) {
      const plain = parseFalcoLogLine(line, known);
      const result = parseFalcoLogLine(`${line} cluster=prod`, known);
      assert.equal(result.kind, "event");
      if (result.kind !== "event" || plain.kind !== "event") return;
      assert.equal(result.event.rule, plain.event.rule);
      assert.equal(result.event.outputFields["cluster"], "prod");
      assert.equal(eventCluster(result.event), "prod");
      // The rule's own fields are read as without the suffix.
      assert.deepEqual(
        { ...result.event.outputFields, cluster: undefined },
        { ...plain.event.outputFields, cluster: undefined },
      );
      assert.match(formatEventLine(result.event), / cluster=prod$/);
      assert.equal(eventCluster(plain.event), undefined);
    }
  });

  it("keeps the message as rule when the output is not a known one", () => {
    const result = parseFalcoLogLine(
      "10:00:00.000000000: Critical Something odd happened (user=root)",
      known,
    );
    assert.equal(result.kind === "event" && result.event.rule, "Something odd happened");
    assert.equal(result.kind === "event" && result.ruleKnown, false);
    assert.deepEqual(splitOutput("Plain message without fields"), {
      message: "Plain message without fields",
      fields: {},
    });
  });
});

describe("Falco log lines, JSON form (json_output: true)", () => {
  const { uuid: _uuid, ...falcoJson } = seedPayload();

  it("parses a JSON line, with or without the kubelet timestamp", () => {
    for (const line of [
      JSON.stringify(falcoJson),
      `2025-01-06T14:23:43.200000000Z ${JSON.stringify(falcoJson)}`,
    ]) {
      const result = parseFalcoLogLine(line);
      assert.equal(result.kind, "event");
      if (result.kind !== "event") continue;
      assert.equal(result.form, "json");
      assert.equal(result.event.rule, "Terminal shell in container");
      assert.equal(result.event.time.toISOString(), "2025-01-06T14:23:43.127Z");
      assert.equal(result.event.outputFields["k8s.pod.name"], "www");
    }
  });

  it("reports a broken JSON line instead of skipping it silently", () => {
    const cut = parseFalcoLogLine(JSON.stringify(falcoJson).slice(0, 60));
    assert.equal(cut.kind, "invalid");
    assert.match(cut.kind === "invalid" ? cut.message : "", /JSON log line does not parse/);
    const wrong = parseFalcoLogLine(JSON.stringify({ ...falcoJson, priority: 7 }));
    assert.match(wrong.kind === "invalid" ? wrong.message : "", /priority: /);
  });
});

describe("log feed", () => {
  it("turns the pods' lines into events and reports broken ones with their pod", async () => {
    const [textLine] = tutorialLogLines();
    const source: LogLineSource = {
      description: "fake Falco pods",
      async start(onLine) {
        onLine("falco-abc", "Thu Nov 26 20:00:00 2026: Falco version: 0.44.1");
        onLine("falco-abc", `2025-01-06T11:09:38Z ${textLine}`);
        onLine("falco-xyz", "{not json");
      },
      async stop() {},
    };
    const events: [FalcoEvent, string][] = [];
    const problems: string[] = [];
    const feed = logFeed(source, known);
    await feed.start({
      event: (event, origin) => events.push([event, origin]),
      problem: (message) => problems.push(message),
      failed: (error) => assert.fail(error),
    });
    await feed.stop();
    assert.equal(feed.channel, "logs");
    assert.deepEqual(
      events.map(([event, origin]) => [event.rule, origin]),
      [["Terminal shell in container", "falco-abc"]],
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^falco-xyz: JSON log line does not parse/);
  });
});
