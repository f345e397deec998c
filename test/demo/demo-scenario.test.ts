import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventFromJson } from "../../src/events/model.ts";
import { matchesDetection, type DemoTarget } from "../../src/demo/match.ts";
import { DemoPodNotReadyError, runDemoScenario, type DemoRunOptions } from "../../src/demo/runner.ts";
import {
  EXPECTED_DETECTIONS,
  NGINX_WRITE_RULE,
  TERMINAL_SHELL_RULE,
  type TriggerStep,
} from "../../src/demo/scenario.ts";
import { formatDemoTable, formatMissing, formatVerdict } from "../../src/demo/report.ts";
import { FakeCluster, FakeFeed, ManualClock, readyPod } from "../helpers/demo-fakes.ts";
import { demoDetectionPayload, payloadLike } from "../helpers/falco-events.ts";

const target: DemoTarget = { namespace: "demo", pod: "www", container: "www" };
const T0 = Date.parse("2026-11-26T20:00:00Z");

/** The detection Falco raises for each trigger, in the demo pod. */
function detectionFor(step: TriggerStep, at: number, changes: Parameters<typeof payloadLike>[0] = {}) {
  return eventFromJson(demoDetectionPayload(step, { time: new Date(at), ...changes }));
}

function scenario(
  overrides: Partial<DemoRunOptions> & { feed: FakeFeed; cluster: FakeCluster; clock: ManualClock },
) {
  const progress: string[] = [];
  const run = runDemoScenario({
    target,
    timeoutMs: 2000,
    progress: (line) => progress.push(line),
    now: overrides.clock.now,
    ...overrides,
  });
  return { run, progress };
}

describe("demo scenario", () => {
  it("runs the three triggers in order and reports each detection with its latency", async () => {
    const clock = new ManualClock(T0);
    const feed = new FakeFeed();
    const cluster = new FakeCluster(readyPod, (step) => {
      clock.advance(200); // the exec takes 200 ms
      const seenAt = clock.time - 100;
      clock.advance(step.id === "html-write" ? 1300 : 300); // delivery delay
      feed.sink?.event(detectionFor(step, seenAt), `falco.x.${step.id}`);
    });
    const { run, progress } = scenario({ feed, cluster, clock });
    const report = await run;
    assert.equal(report.ok, true);
    assert.deepEqual(cluster.executed, ["shell-command", "interactive-shell", "html-write"]);
    assert.deepEqual(
      report.results.map((result) => [result.expected.rule, result.step.id, result.latencyMs, result.origin]),
      [
        [TERMINAL_SHELL_RULE, "shell-command", 500, "falco.x.shell-command"],
        [TERMINAL_SHELL_RULE, "interactive-shell", 500, "falco.x.interactive-shell"],
        [NGINX_WRITE_RULE, "html-write", 1500, "falco.x.html-write"],
      ],
    );
    assert.ok(feed.started && feed.stopped);
    assert.equal(progress[0], "demo pod demo/www is ready");
    assert.ok(
      progress.includes("trigger 3/3: append to /usr/share/nginx/html/index.html"),
      progress.join("\n"),
    );
    assert.ok(
      progress.some((line) => /detected "Write inside nginx html folder" .* via nats after 1\.5s/.test(line)),
    );

    const table = formatDemoTable(report).split("\n");
    assert.match(table[0], /^STEP +RULE +PRIORITY +CHANNEL +LATENCY$/);
    assert.match(
      table[1],
      /^sh -c "ls \/" with a terminal +Terminal shell in container +Notice +nats +0\.5s$/,
    );
    assert.match(table[3], /Write inside nginx html folder +Warning +nats +1\.5s$/);
    assert.equal(formatVerdict(report), "all 3 expected detections arrived via nats");
    assert.deepEqual(formatMissing(report), []);
  });

  it("names a missing detection and what to check at the timeout", async () => {
    const clock = new ManualClock(T0);
    const feed = new FakeFeed();
    const cluster = new FakeCluster(readyPod, (step) => {
      if (step.id !== "html-write") feed.sink?.event(detectionFor(step, clock.time), "falco.x");
    });
    const { run, progress } = scenario({ feed, cluster, clock, timeoutMs: 50 });
    const report = await run;
    assert.equal(report.ok, false);
    assert.equal(report.results[2].event, undefined);
    assert.match(
      formatDemoTable(report).split("\n")[3],
      /Write inside nginx html folder +Warning +nats +MISSING$/,
    );
    assert.equal(formatVerdict(report), "1 of 3 expected detections missing after 0.1s");
    const missing = formatMissing(report, {
      falcoNamespace: "falco",
      falcoLabelSelector: "app=falco",
      falcoContainer: "falco",
    });
    assert.match(
      missing[0],
      /^missing: "Write inside nginx html folder" \(Warning\) after append to \/usr\/share\/nginx\/html\/index\.html$/,
    );
    assert.ok(missing.some((line) => line.includes("rules/nginx-html-write.yaml")));
    assert.ok(missing.some((line) => line.includes("nats output with minimumpriority at or below warning")));
    assert.ok(
      missing.some((line) =>
        line.includes(
          'kubectl -n falco logs -l app=falco -c falco --since=10m | grep "Write inside nginx html folder"',
        ),
      ),
    );
    assert.ok(
      progress.some((line) => line.startsWith('waiting up to 0.1s for: "Write inside nginx html folder"')),
    );
  });

  it("ignores detections from other pods, from before the trigger, and of the other shell step", () => {
    const [shellCommand, interactive] = EXPECTED_DETECTIONS;
    const triggeredAt = T0;
    const skew = 10_000;
    const step = { id: "shell-command", title: "", command: [] } as const;
    assert.equal(matchesDetection(detectionFor(step, T0 + 5), shellCommand, target, triggeredAt, skew), true);
    assert.equal(
      matchesDetection(detectionFor(step, T0 - 5000), shellCommand, target, triggeredAt, skew),
      true,
      "within skew",
    );
    assert.equal(
      matchesDetection(detectionFor(step, T0 - 60_000), shellCommand, target, triggeredAt, skew),
      false,
      "old event",
    );
    assert.equal(
      matchesDetection(detectionFor(step, T0, { pod: "other" }), shellCommand, target, triggeredAt, skew),
      false,
    );
    assert.equal(
      matchesDetection(
        detectionFor(step, T0, { namespace: "prod" }),
        shellCommand,
        target,
        triggeredAt,
        skew,
      ),
      false,
    );
    assert.equal(
      matchesDetection(detectionFor(step, T0), interactive, target, triggeredAt, skew),
      false,
      "sh -c ls / is not the interactive sh",
    );
  });

  it("falls back to the container id when the event names no pod", () => {
    const event = eventFromJson(payloadLike({ time: new Date(T0), cmdline: "sh -c ls /" }));
    delete event.outputFields["k8s.pod.name"];
    delete event.outputFields["k8s.ns.name"];
    const [shellCommand] = EXPECTED_DETECTIONS;
    const withIds = { ...target, containerIds: ["containerd://85510af8dfe0123456"] };
    assert.equal(matchesDetection(event, shellCommand, withIds, T0, 0), true);
    assert.equal(
      matchesDetection(
        event,
        shellCommand,
        { ...target, containerIds: ["containerd://aaaaaaaaaaaa"] },
        T0,
        0,
      ),
      false,
    );
  });

  it("stops before triggering anything when the demo pod is not ready", async () => {
    const feed = new FakeFeed();
    const cluster = new FakeCluster(
      {
        exists: true,
        ready: false,
        phase: "Pending",
        reason: "container www waiting: ImagePullBackOff",
        containerIds: [],
      },
      () => undefined,
    );
    await assert.rejects(scenario({ feed, cluster, clock: new ManualClock(T0) }).run, (error: unknown) => {
      assert.ok(error instanceof DemoPodNotReadyError);
      assert.equal(
        error.message,
        "demo pod demo/www is not ready (phase Pending, container www waiting: ImagePullBackOff). Check: kubectl -n demo describe pod www",
      );
      return true;
    });
    assert.deepEqual(cluster.executed, []);
    assert.equal(feed.started, false);

    const gone = new FakeCluster({ exists: false, ready: false, containerIds: [] }, () => undefined);
    await assert.rejects(
      scenario({ feed, cluster: gone, clock: new ManualClock(T0) }).run,
      /demo pod demo\/www does not exist: is the demo enabled/,
    );
  });

  it("reports a failed trigger and a broken channel", async () => {
    const clock = new ManualClock(T0);
    const feed = new FakeFeed();
    const cluster = new FakeCluster(readyPod, (step) => {
      if (step.id === "shell-command")
        return { ok: false, exitCode: 126, message: "command terminated with exit code 126" };
      if (step.id === "html-write") feed.sink?.failed(new Error("NATS connection closed"));
      return undefined;
    });
    const report = await scenario({ feed, cluster, clock, timeoutMs: 5000 }).run;
    assert.equal(report.ok, false);
    assert.equal(report.feedFailure, "NATS connection closed");
    const missing = formatMissing(report).join("\n");
    assert.match(missing, /the trigger itself failed \(command terminated with exit code 126\)/);
    assert.match(missing, /the nats channel failed while waiting: NATS connection closed/);
  });
});

describe("demo with the stack's clusterName", () => {
  /** Each trigger's detection, naming `cluster` as the stack makes falcosidekick and Falco do. */
  function clusterRun(
    cluster: string | undefined,
    { clusterName, timeoutMs = 2000 }: { clusterName?: string; timeoutMs?: number } = { clusterName: "prod" },
  ) {
    const clock = new ManualClock(T0);
    const feed = new FakeFeed();
    const fakeCluster = new FakeCluster(readyPod, (step) => {
      clock.advance(100);
      const event = detectionFor(step, clock.time, cluster === undefined ? {} : { extraFields: { cluster } });
      feed.sink?.event(event, `falco.${cluster ?? "notice"}.${step.id}`);
    });
    return scenario({ feed, cluster: fakeCluster, clock, clusterName, timeoutMs });
  }

  it("passes when every detection carries cluster=<name>, and says so", async () => {
    const { run, progress } = clusterRun("prod");
    const report = await run;
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.results.map((result) => result.cluster),
      ["prod", "prod", "prod"],
    );
    assert.ok(progress.includes("cluster prod: each detection must carry cluster=prod"), progress.join("\n"));
    const table = formatDemoTable(report).split("\n");
    assert.equal(table[0], "cluster: prod");
    assert.match(table[1] ?? "", /^STEP +RULE +PRIORITY +CHANNEL +LATENCY +CLUSTER$/);
    assert.match(table[2] ?? "", /Terminal shell in container +Notice +nats +0\.1s +prod$/);
    assert.equal(formatVerdict(report), "all 3 expected detections arrived via nats, each with cluster=prod");
    assert.deepEqual(formatMissing(report), []);
  });

  it("fails when the detections arrive without the cluster field, naming it", async () => {
    const { run, progress } = clusterRun(undefined);
    const report = await run;
    assert.equal(report.ok, false);
    assert.equal(
      report.results.every((result) => result.event !== undefined),
      true,
      "all arrived",
    );
    assert.equal(report.withoutCluster.length, 3);
    assert.ok(
      progress.some((line) =>
        /^detected "Terminal shell in container" .* after 0\.1s, but without the cluster field \(expected cluster=prod\)$/.test(
          line,
        ),
      ),
      progress.join("\n"),
    );
    assert.match(formatDemoTable(report).split("\n")[2] ?? "", /nats +0\.1s +MISSING$/);
    assert.equal(formatVerdict(report), "3 of 3 arrived without the cluster field (cluster=prod)");
    const missing = formatMissing(report);
    assert.match(
      missing[0] ?? "",
      /^no cluster: "Terminal shell in container" after sh -c "ls \/" with a terminal arrived via nats without the cluster field \(output_fields\.cluster, or cluster=prod at the end of the output\)$/,
    );
    assert.match(missing[1] ?? "", /falcosidekick's customfields must hold cluster:prod/);
  });

  it("does not take another cluster's detection for ours", async () => {
    const { run } = clusterRun("dev", { clusterName: "prod", timeoutMs: 30 });
    const report = await run;
    assert.equal(report.ok, false);
    assert.equal(report.results.filter((result) => result.event).length, 0);
    assert.deepEqual(report.otherClusters, ["dev"]);
    assert.equal(formatVerdict(report), "3 of 3 expected detections missing after 0.0s");
    assert.ok(
      formatMissing(report).includes(
        "events of the demo pod came from other cluster(s): dev, not prod: are these outputs this cluster's stack?",
      ),
    );
    // Without a cluster name nothing is required: the same events are the detections.
    const plain = await clusterRun("dev", {}).run;
    assert.equal(plain.ok, true);
  });

  it("names the cluster's subject in the NATS hint for a missing detection", async () => {
    const clock = new ManualClock(T0);
    const feed = new FakeFeed();
    const cluster = new FakeCluster(readyPod, () => undefined);
    const report = await scenario({ feed, cluster, clock, clusterName: "prod", timeoutMs: 10 }).run;
    const hints = formatMissing(report).join("\n");
    assert.match(hints, /\(subject falco\.prod\.warning\.\*\)/);
    assert.match(hints, /\(subject falco\.prod\.notice\.\*\)/);
    const without = await scenario({ feed: new FakeFeed(), cluster, clock, timeoutMs: 10 }).run;
    assert.match(formatMissing(without).join("\n"), /\(subject falco\.notice\.\*\)/);
  });
});

describe("demo progress while the channel is in trouble", () => {
  it("shows the feed's reconnecting and retrying notices among the progress lines", async () => {
    const feed = new FakeFeed();
    const progress: string[] = [];
    const cluster = new FakeCluster(readyPod, (step) => {
      if (step.id === "shell-command")
        feed.sink?.status?.("lost the connection to NATS at nats://***@x:4222: reconnecting");
      return undefined;
    });
    await runDemoScenario({ cluster, feed, target, timeoutMs: 20, progress: (line) => progress.push(line) });
    assert.ok(
      progress.includes("lost the connection to NATS at nats://***@x:4222: reconnecting"),
      progress.join("\n"),
    );
  });
});
