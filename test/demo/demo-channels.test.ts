import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { natsFeed } from "../../src/events/nats.ts";
import { logFeed } from "../../src/events/log-feed.ts";
import { FeedUnavailableError } from "../../src/events/feed.ts";
import { runDemoScenario } from "../../src/demo/runner.ts";
import {
  DEMO_KNOWN_OUTPUTS,
  EXPECTED_DETECTIONS,
  NGINX_WRITE_RULE,
  TERMINAL_SHELL_RULE,
} from "../../src/demo/scenario.ts";
import { formatMissing } from "../../src/demo/report.ts";
import { FakeCluster, FakeLogLines, readyPod } from "../helpers/demo-fakes.ts";
import { freePort } from "../helpers/nats-server.ts";
import { natsServerForSuite } from "../helpers/nats-suite.ts";
import {
  clusterPayload,
  demoDetectionPayload,
  payloadLike,
  tutorialLogLines,
} from "../helpers/falco-events.ts";

describe("demo waiting on NATS (real nats-server)", () => {
  const nats = natsServerForSuite();
  it("matches the detections falcosidekick publishes, ignoring other pods' events", async () => {
    const target = { namespace: "demo", pod: "www", container: "www" };
    const cluster = new FakeCluster(readyPod, async (step) => {
      // What falcosidekick would publish after Falco saw the trigger, plus noise from another pod.
      const time = new Date();
      await nats.publish(
        payloadLike({ namespace: "demo", pod: "api", container: "www", time, cmdline: "sh" }),
      );
      await nats.publish(demoDetectionPayload(step, { time }));
    });
    const report = await runDemoScenario({
      cluster,
      feed: natsFeed({ url: nats.server.url }),
      target,
      timeoutMs: 5000,
      progress: () => undefined,
    });
    assert.equal(report.ok, true, JSON.stringify(report.results.map((result) => result.origin)));
    assert.deepEqual(
      report.results.map((result) => [result.origin, result.event?.outputFields["k8s.pod.name"]]),
      [
        ["falco.notice.terminal_shell_in_container", "www"],
        ["falco.notice.terminal_shell_in_container", "www"],
        ["falco.warning.write_inside_nginx_html_folder", "www"],
      ],
    );
  });

  it("with the stack's clusterName, matches what falcosidekick publishes on falco.<cluster>.<priority>.<rule>", async () => {
    const target = { namespace: "demo", pod: "www", container: "www" };
    const cluster = new FakeCluster(readyPod, async (step) => {
      const common = { namespace: "demo", pod: "www", container: "www", time: new Date() };
      const payload =
        step.id === "html-write"
          ? clusterPayload("eu-west-1", { ...common, rule: NGINX_WRITE_RULE, priority: "Warning" })
          : clusterPayload("eu-west-1", {
              ...common,
              cmdline: step.id === "shell-command" ? "sh -c ls /" : "sh",
            });
      // The same pod name in another cluster of the fleet, on the same server.
      const elsewhere = clusterPayload("us-east-1", {
        ...common,
        rule: String(payload.rule),
        priority: String(payload.priority),
      });
      await nats.publish(elsewhere, "us-east-1");
      await nats.publish(payload, "eu-west-1");
    });
    const report = await runDemoScenario({
      cluster,
      feed: natsFeed({ url: nats.server.url }),
      target,
      timeoutMs: 5000,
      clusterName: "eu-west-1",
      progress: () => undefined,
    });
    assert.equal(report.ok, true, JSON.stringify(report.results.map((result) => result.origin)));
    assert.deepEqual(
      report.results.map((result) => [result.origin, result.cluster]),
      [
        ["falco.eu-west-1.notice.terminal_shell_in_container", "eu-west-1"],
        ["falco.eu-west-1.notice.terminal_shell_in_container", "eu-west-1"],
        ["falco.eu-west-1.warning.write_inside_nginx_html_folder", "eu-west-1"],
      ],
    );
    assert.deepEqual(report.otherClusters, ["us-east-1"]);
  });

  it("fails before triggering when NATS cannot be reached", async () => {
    const port = await freePort();
    const cluster = new FakeCluster(readyPod, () => undefined);
    await assert.rejects(
      runDemoScenario({
        cluster,
        feed: natsFeed({ url: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1000 }),
        target: { namespace: "demo", pod: "www", container: "www" },
        timeoutMs: 1000,
        progress: () => undefined,
      }),
      FeedUnavailableError,
    );
    assert.deepEqual(cluster.executed, []);
  });
});

describe("demo waiting on the Falco logs", () => {
  it("recognises the tutorial's real log line as the shell-command detection", async () => {
    // The tutorial ran `kubectl exec -it www -- sh -c "ls /"` in pod default/www; Falco logged this line.
    const [tutorialLine] = tutorialLogLines();
    const day = "2025-01-06";
    const triggeredAt = Date.parse(`${day}T11:09:37.000Z`);
    let clock = triggeredAt;
    const source = new FakeLogLines();
    const cluster = new FakeCluster(readyPod, (step) => {
      if (step.id !== "shell-command") return;
      clock += 800;
      source.emit("falco-x1", "Thu Jan  6 11:09:30 2025: Falco initialized with configuration files:");
      source.emit("falco-x1", `${day}T11:09:37.500000000Z ${tutorialLine}`);
    });
    const report = await runDemoScenario({
      cluster,
      feed: logFeed(source, { knownOutputs: DEMO_KNOWN_OUTPUTS }),
      target: { namespace: "default", pod: "www", container: "www" },
      timeoutMs: 30,
      progress: () => undefined,
      now: () => clock,
    });
    const [shellCommand, interactive, write] = report.results;
    assert.equal(shellCommand.event?.rule, TERMINAL_SHELL_RULE);
    assert.equal(shellCommand.origin, "falco-x1");
    assert.equal(shellCommand.latencyMs, 800);
    assert.equal(report.channel, "logs");
    assert.equal(interactive.event, undefined);
    assert.equal(write.event, undefined);
    assert.equal(report.ok, false);
  });

  it("reads cluster=<name> at the end of the log line as the detection's cluster", async () => {
    const [tutorialLine] = tutorialLogLines();
    const day = "2025-01-06";
    const clock = Date.parse(`${day}T11:09:37.000Z`);
    const source = new FakeLogLines();
    const run = (suffix: string) =>
      runDemoScenario({
        cluster: new FakeCluster(readyPod, (step) => {
          if (step.id === "shell-command")
            source.emit("falco-x1", `${day}T11:09:37.500000000Z ${tutorialLine}${suffix}`);
        }),
        feed: logFeed(source, { knownOutputs: DEMO_KNOWN_OUTPUTS }),
        target: { namespace: "default", pod: "www", container: "www" },
        timeoutMs: 30,
        clusterName: "prod",
        expected: EXPECTED_DETECTIONS.slice(0, 1),
        progress: () => undefined,
        now: () => clock,
      });
    const named = await run(" cluster=prod");
    assert.equal(named.results[0]?.cluster, "prod");
    assert.equal(named.ok, true);
    const unnamed = await run("");
    assert.equal(unnamed.results[0]?.event?.rule, TERMINAL_SHELL_RULE);
    assert.equal(unnamed.ok, false, "a detection without the cluster is no proof of it");
    assert.match(
      formatMissing(unnamed).join("\n"),
      /Falco's append_output must add cluster=prod to every output line/,
    );
  });
});
