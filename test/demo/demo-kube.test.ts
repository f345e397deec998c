import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadKubeConfig, KubeError } from "../../src/k8s/kube.ts";
import { KubeDemoCluster } from "../../src/k8s/demo-cluster.ts";
import { falcoLogLines } from "../../src/k8s/falco-logs.ts";
import { logFeed } from "../../src/events/log-feed.ts";
import type { FalcoEvent } from "../../src/events/model.ts";
import { DEMO_KNOWN_OUTPUTS } from "../../src/demo/scenario.ts";
import { pod, startKubeStandIn, type KubeStandIn } from "../helpers/kube-stand-in.ts";
import { freePort } from "../helpers/nats-server.ts";
import { seedPayload, tutorialLogLines } from "../helpers/falco-events.ts";
import { hasStackTrace } from "../helpers/cli-in-process.ts";
import { runDemo } from "../helpers/cli-commands.ts";

// The Kubernetes API is played by a local HTTP server (kube-stand-in.ts) for the read calls only.
let kube: KubeStandIn;
const falcoLabels = { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "falco" };
const falcoPods = {
  namespace: "falco",
  labelSelector: "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco",
  container: "falco",
};

before(async () => {
  kube = await startKubeStandIn();
  process.env.KUBECONFIG = kube.kubeconfig;
  kube.pods.push(
    pod("demo", "www", { app: "www" }, true, "www"),
    pod("demo", "slow", { app: "slow" }, false, "slow"),
    pod("falco", "falco-node1", falcoLabels, true, "falco"),
    pod("falco", "falco-node2", falcoLabels, true, "falco"),
    pod("falco", "unrelated", { app: "x" }, true, "falco"),
  );
});
after(async () => {
  await kube.close();
});

describe("Kubernetes layer against a stand-in API", () => {
  it("loads the kubeconfig and refuses an unknown context", () => {
    assert.equal(loadKubeConfig().getCurrentContext(), "stand-in");
    assert.throws(
      () => loadKubeConfig("prod"),
      (error: unknown) =>
        error instanceof KubeError &&
        /no context "prod" in the kubeconfig \(available: stand-in\)/.test(error.message),
    );
  });

  it("reads the demo pod's readiness", async () => {
    const cluster = new KubeDemoCluster(loadKubeConfig());
    const ready = await cluster.podStatus({ namespace: "demo", pod: "www", container: "www" });
    assert.deepEqual(ready, {
      exists: true,
      ready: true,
      phase: "Running",
      reason: undefined,
      containerIds: ["containerd://85510af8dfe0aaaabbbb"],
    });
    const slow = await cluster.podStatus({ namespace: "demo", pod: "slow", container: "slow" });
    assert.equal(slow.ready, false);
    assert.equal(slow.reason, "container slow waiting: ContainerCreating");
    const missing = await cluster.podStatus({ namespace: "demo", pod: "nope", container: "nope" });
    assert.equal(missing.exists, false);
  });

  it("follows every Falco pod's log with timestamps from the given time and parses the events", async () => {
    const since = new Date("2025-01-06T11:09:00Z");
    const feed = logFeed(falcoLogLines(loadKubeConfig(), falcoPods, since), {
      knownOutputs: DEMO_KNOWN_OUTPUTS,
    });
    const received: [FalcoEvent, string][] = [];
    let resolveTwo: () => void = () => undefined;
    const two = new Promise<void>((resolve) => {
      resolveTwo = resolve;
    });
    await feed.start({
      event(event, origin) {
        received.push([event, origin]);
        if (received.length === 2) resolveTwo();
      },
      problem: (message) => assert.fail(message),
      failed: (error) => assert.fail(error),
    });
    assert.deepEqual([...kube.logStreams.keys()].sort(), ["falco-node1", "falco-node2"]);
    const logRequest = kube.requests.find((request) => request.includes("/pods/falco-node1/log")) ?? "";
    const query = new URLSearchParams(logRequest.split("?")[1]);
    assert.equal(query.get("container"), "falco");
    assert.equal(query.get("follow"), "true");
    assert.equal(query.get("timestamps"), "true");
    assert.equal(query.get("sinceTime"), "2025-01-06T11:09:00.000Z");

    const { uuid: _uuid, ...jsonLine } = seedPayload();
    kube.logStreams
      .get("falco-node1")
      ?.write(
        `2025-01-06T11:09:38.1Z Thu Jan  6 11:09:30 2025: Falco initialized\n2025-01-06T11:09:38.2Z ${tutorialLogLines()[0]}\n`,
      );
    // A line split across two chunks must be put back together.
    const json = JSON.stringify(jsonLine);
    kube.logStreams.get("falco-node2")?.write(`2025-01-06T14:23:43.2Z ${json.slice(0, 40)}`);
    kube.logStreams.get("falco-node2")?.write(`${json.slice(40)}\n`);
    await two;
    await feed.stop();
    assert.deepEqual(received.map(([event, origin]) => [event.rule, origin]).sort(), [
      ["Terminal shell in container", "falco-node1"],
      ["Terminal shell in container", "falco-node2"],
    ]);
  });

  // A hang fails this test at 10 s instead of stalling the suite.
  it(
    "names the pod whose log request got no answer within the request timeout",
    { timeout: 10_000 },
    async () => {
      kube.silentLogs.add("falco-node2");
      try {
        const source = falcoLogLines(loadKubeConfig(undefined, 500), falcoPods, new Date());
        await assert.rejects(
          source.start(
            () => undefined,
            () => undefined,
          ),
          (error: unknown) =>
            error instanceof KubeError &&
            /the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ \(context stand-in\) did not answer within 0\.5s for the logs of pod falco\/falco-node2/.test(
              error.message,
            ),
        );
        await source.stop();
      } finally {
        kube.silentLogs.delete("falco-node2");
      }
    },
  );

  it("keeps a quiet log stream open past the request timeout", async () => {
    const source = falcoLogLines(loadKubeConfig(undefined, 200), falcoPods, new Date());
    const lines: string[] = [];
    let failure: Error | undefined;
    let arrived: () => void = () => undefined;
    const line = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await source.start(
      (origin, text) => {
        lines.push(`${origin}: ${text}`);
        arrived();
      },
      (error) => {
        failure = error;
      },
    );
    // Quiet for three times the request timeout, as a node without detections is.
    await new Promise((resolve) => setTimeout(resolve, 600));
    kube.logStreams.get("falco-node1")?.write("2025-01-06T11:09:38.1Z still here\n");
    await line;
    await source.stop();
    assert.equal(failure, undefined);
    assert.deepEqual(lines, ["falco-node1: 2025-01-06T11:09:38.1Z still here"]);
  });

  it("says when no Falco pod matches the selector", async () => {
    const source = falcoLogLines(
      loadKubeConfig(),
      { ...falcoPods, labelSelector: "app=falco-typo" },
      new Date(),
    );
    await assert.rejects(
      source.start(
        () => undefined,
        () => undefined,
      ),
      /no running Falco pod matches app=falco-typo in namespace falco: .*--falco-selector/,
    );
  });
});

describe("falco-stack demo with the stand-in API", () => {
  it("exits 1 with the reason when the demo pod is not ready", async () => {
    const outcome = await runDemo({ pod: "slow", demoNamespace: "demo" }).done;
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stderr,
      /demo pod demo\/slow is not ready \(phase Pending, container slow waiting: ContainerCreating\)\. Check: kubectl -n demo describe pod slow/,
    );
    assert.ok(!hasStackTrace(outcome.stderr));
  });

  it("exits 2 naming the server when the Kubernetes API cannot be reached", async () => {
    const port = await freePort();
    const { writeFile } = await import("node:fs/promises");
    const dead = `${kube.kubeconfig}-dead`;
    await writeFile(
      dead,
      (await import("node:fs"))
        .readFileSync(kube.kubeconfig, "utf8")
        .replace(kube.url, `http://127.0.0.1:${port}`),
    );
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = dead;
    try {
      const outcome = await runDemo({ pod: "www" }).done;
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(
        outcome.stderr,
        new RegExp(
          `cannot reach the Kubernetes API at http://127\\.0\\.0\\.1:${port} \\(context stand-in\\)`,
        ),
      );
      assert.ok(!hasStackTrace(outcome.stderr));
    } finally {
      process.env.KUBECONFIG = previous;
    }
  });
});
