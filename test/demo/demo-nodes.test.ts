import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CANARY_RULE, canaryTriggerCommand } from "../../src/builders/canary.ts";
import { canaryEventNode, formatNodesTable, type NodesReport } from "../../src/demo/nodes.ts";
import { eventFromJson } from "../../src/events/model.ts";
import { startKubeStandIn, type KubeStandIn } from "../helpers/kube-stand-in.ts";
import { serveKubeWebSockets, type ExecScript, type KubeWebSockets } from "../helpers/kube-ws-stand-in.ts";
import { node, podOn, serveKubeNodes, type KubeNodes } from "../helpers/kube-nodes-stand-in.ts";
import { hasStackTrace } from "../helpers/cli-in-process.ts";
import { runDemo } from "../helpers/cli-commands.ts";

// The Kubernetes API is played by the stand-ins the demo tests use (kube-stand-in.ts, the exec
// WebSocket of kube-ws-stand-in.ts), with node listing from kube-nodes-stand-in.ts. Falco is played
// by the exec script: it writes the canary event into the log of the Falco pod on the same node.
let kube: KubeStandIn;
let sockets: KubeWebSockets;
let cluster: KubeNodes;
let outputsFile: string;
const NODES = ["node-a", "node-b", "node-c"];
const falcoLabels = { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "falco" };
const canaryLabels = { "app.kubernetes.io/name": "falco-stack-canary" };
const CANARY_NS = "falco-stack-canary";

/** The event Falco prints (JSON output) for the beacon write in a node's canary pod. */
function canaryLogLine(nodeName: string, canaryPod: string): string {
  const time = new Date().toISOString();
  const event = {
    hostname: nodeName,
    output: `Falco stack canary beacon written (node=${nodeName} file=/canary/falco-stack-canary k8s_pod_name=${canaryPod} k8s_ns_name=${CANARY_NS} process=sh command=sh -c : > /canary/falco-stack-canary parent=runc)`,
    output_fields: {
      "evt.hostname": nodeName,
      "fd.name": "/canary/falco-stack-canary",
      "k8s.pod.name": canaryPod,
      "k8s.ns.name": CANARY_NS,
      "proc.name": "sh",
    },
    priority: "Debug",
    rule: CANARY_RULE,
    source: "syscall",
    tags: ["falco_stack", "falco_stack_canary"],
    time,
  };
  return `${time} ${JSON.stringify(event)}\n`;
}

/** Falco detects the beacon on the nodes in `detecting`; the others stay silent. */
function falcoDetectsOn(detecting: readonly string[]): ExecScript {
  return (session) => {
    const nodeName = NODES.find((name) => session.request.pod === `canary-${name}`);
    if (nodeName && detecting.includes(nodeName)) {
      kube.logStreams.get(`falco-${nodeName}`)?.write(canaryLogLine(nodeName, session.request.pod));
    }
    session.exit(0);
  };
}

before(async () => {
  kube = await startKubeStandIn();
  process.env.KUBECONFIG = kube.kubeconfig;
  sockets = serveKubeWebSockets(kube);
  cluster = serveKubeNodes(kube);
  cluster.nodes.push(...NODES.map(node));
  for (const name of NODES) {
    kube.pods.push(
      podOn(name, "falco", `falco-${name}`, falcoLabels, true, "falco"),
      podOn(name, CANARY_NS, `canary-${name}`, canaryLabels, true, "falco-stack-canary"),
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-nodes-"));
  outputsFile = path.join(dir, "outputs.json");
  // What `pulumi stack output --json` shows for prod (the parts --nodes reads).
  await writeFile(
    outputsFile,
    JSON.stringify({
      namespace: "falco",
      falcoPods: {
        namespace: "falco",
        labelSelector: "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco",
        container: "falco",
      },
      demo: { enabled: false },
      ui: { enabled: true, namespace: "falco", serviceName: "falcosidekick-ui", port: 2802 },
      canary: {
        enabled: true,
        namespace: CANARY_NS,
        labelSelector: "app.kubernetes.io/name=falco-stack-canary",
        container: "falco-stack-canary",
        rule: CANARY_RULE,
        beaconFile: "/canary/falco-stack-canary",
        schedule: "5m",
        alert: false,
      },
    }),
  );
});
beforeEach(() => {
  sockets.execs.length = 0;
  kube.logStreams.clear();
});
after(async () => {
  await kube.close();
});

describe("demo --nodes against the stand-in API", () => {
  it("exits 1 naming the silent node, with a per-node table of readiness, canary and latency", async () => {
    sockets.script = falcoDetectsOn(["node-a", "node-c"]);
    const outcome = await runDemo({ nodes: true, outputsFile, timeout: 1 }).done;
    assert.equal(outcome.code, 1, outcome.stderr);
    const lines = outcome.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^NODE\s+FALCO POD\s+READY\s+CANARY RAISED\s+LATENCY \(logs\)\s+VERDICT$/);
    assert.match(lines[1] ?? "", /^node-a\s+falco-node-a\s+yes\s+yes\s+\d+\.\ds\s+ok$/);
    assert.match(
      lines[2] ?? "",
      /^node-b\s+falco-node-b\s+yes\s+no\s+-\s+SILENT: no "Falco stack canary" event via logs within 1\.0s$/,
    );
    assert.match(lines[3] ?? "", /^node-c\s+falco-node-c\s+yes\s+yes\s+\d+\.\ds\s+ok$/);
    assert.equal(lines[4], "FAIL: 1 of 3 node(s) did not prove detection: node-b");
    assert.ok(!hasStackTrace(outcome.stderr));

    // One plain exec per canary pod: the canary's own action, no terminal.
    assert.deepEqual(
      sockets.execs.map((exec) => exec.pod).sort(),
      NODES.map((name) => `canary-${name}`),
    );
    for (const exec of sockets.execs) {
      assert.equal(exec.namespace, CANARY_NS);
      assert.equal(exec.container, "falco-stack-canary");
      assert.deepEqual(exec.command, canaryTriggerCommand());
      assert.notEqual(exec.tty, "true", "no terminal: a shell with one is another rule's detection");
    }
  });

  it("--json reports every node, and exits 0 when all detect", async () => {
    sockets.script = falcoDetectsOn(NODES);
    const outcome = await runDemo({ nodes: true, json: true, outputsFile, timeout: 5 }).done;
    assert.equal(outcome.code, 0, outcome.stderr);
    const report = JSON.parse(outcome.stdout) as {
      ok: boolean;
      failedNodes: string[];
      nodes: {
        node: string;
        falcoReady: boolean;
        canaryRaised: boolean;
        latencyMs: number;
        verdict: string;
        origin: string;
      }[];
    };
    assert.equal(report.ok, true);
    assert.deepEqual(report.failedNodes, []);
    assert.deepEqual(
      report.nodes.map((entry) => [
        entry.node,
        entry.falcoReady,
        entry.canaryRaised,
        entry.verdict,
        entry.origin,
      ]),
      NODES.map((name) => [name, true, true, "ok", `falco-${name}`]),
    );
    assert.ok(report.nodes.every((entry) => typeof entry.latencyMs === "number"));
  });

  it("names a node without a ready Falco pod, and refuses a stack whose canary is off", async () => {
    kube.pods.push(podOn("node-d", "falco", "falco-node-d", falcoLabels, false, "falco"));
    cluster.nodes.push(node("node-d"));
    try {
      sockets.script = falcoDetectsOn(NODES);
      const outcome = await runDemo({ nodes: true, outputsFile, timeout: 5 }).done;
      assert.equal(outcome.code, 1, outcome.stderr);
      assert.match(
        outcome.stdout,
        /^node-d\s+falco-node-d\s+no\s+-\s+-\s+NO CANARY: no canary pod runs on this node/m,
      );
      assert.match(outcome.stdout, /FAIL: 1 of 4 node\(s\) did not prove detection: node-d$/m);
    } finally {
      kube.pods.pop();
      cluster.nodes.pop();
    }
    const off = path.join(path.dirname(outputsFile), "off.json");
    await writeFile(off, JSON.stringify({ namespace: "falco", canary: { enabled: false } }));
    const refused = await runDemo({ nodes: true, outputsFile: off, stack: "dev" }).done;
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /the detection canary is disabled in this stack \(canary\.enabled: false\)\. Enable it: pulumi config set --path 'falco-stack:canary\.enabled' true --stack dev/,
    );
  });
});

describe("demo --nodes with the stack's clusterName", () => {
  it("prints the cluster above the table and in the JSON", async () => {
    sockets.script = falcoDetectsOn(NODES);
    const outputs = JSON.parse(await readFile(outputsFile, "utf8")) as Record<string, unknown>;
    const withCluster = path.join(path.dirname(outputsFile), "prod.json");
    await writeFile(withCluster, JSON.stringify({ ...outputs, clusterName: "prod" }));
    const table = await runDemo({ nodes: true, outputsFile: withCluster, timeout: 5 }).done;
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "cluster: prod");
    assert.match(lines[1] ?? "", /^NODE\s+FALCO POD\s+READY/);
    assert.equal(lines.at(-1), "OK: the canary was detected on all 3 node(s) of cluster prod via logs");

    const json = await runDemo({ nodes: true, json: true, outputsFile: withCluster, timeout: 5 }).done;
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { cluster: unknown }).cluster, "prod");
    const plain = await runDemo({ nodes: true, json: true, outputsFile, timeout: 5 }).done;
    assert.equal((JSON.parse(plain.stdout) as { cluster: unknown }).cluster, null);
  });
});

describe("matching canary events to nodes", () => {
  const nodes = [
    {
      name: "node-a",
      falcoPod: { name: "falco-a", ready: true },
      canaryPod: { name: "canary-a", ready: true },
    },
    {
      name: "node-b",
      falcoPod: { name: "falco-b", ready: true },
      canaryPod: { name: "canary-b", ready: true },
    },
  ];
  const canary = { namespace: CANARY_NS, labelSelector: "", container: "", rule: CANARY_RULE };
  const event = (fields: Record<string, unknown>, hostname?: string) =>
    eventFromJson({
      rule: CANARY_RULE,
      priority: "Debug",
      time: new Date().toISOString(),
      output: "o",
      output_fields: fields,
      hostname,
    });

  it("by the canary pod, else the hostname, else the Falco pod it was logged by; never another rule or namespace", () => {
    assert.equal(
      canaryEventNode(event({ "k8s.pod.name": "canary-b", "k8s.ns.name": CANARY_NS }), "x", nodes, canary),
      "node-b",
    );
    assert.equal(canaryEventNode(event({}, "node-a"), "x", nodes, canary), "node-a");
    assert.equal(canaryEventNode(event({}), "falco-b", nodes, canary), "node-b");
    assert.equal(
      canaryEventNode(
        event({ "k8s.pod.name": "canary-b", "k8s.ns.name": "default" }),
        "falco-b",
        nodes,
        canary,
      ),
      undefined,
    );
    const other = { ...event({ "k8s.pod.name": "canary-a" }), rule: "Terminal shell in container" };
    assert.equal(canaryEventNode(other, "falco-a", nodes, canary), undefined);
  });

  it("the table has one aligned row per node", () => {
    const report: NodesReport = {
      channel: "nats",
      feedDescription: "",
      timeoutMs: 1000,
      failedNodes: [],
      problems: [],
      ok: true,
      nodes: [
        {
          node: "n1",
          falcoPod: "falco-1",
          falcoReady: true,
          canaryPod: "c1",
          latencyMs: 1234,
          verdict: "ok",
          reason: "",
          event: event({}),
        },
        {
          node: "a-much-longer-node",
          falcoReady: false,
          verdict: "no-falco-pod",
          reason: "no Falco pod runs on this node",
        },
      ],
    };
    assert.deepEqual(formatNodesTable(report).split("\n"), [
      "NODE                FALCO POD  READY  CANARY RAISED  LATENCY (nats)  VERDICT",
      "n1                  falco-1    yes    yes            1.2s            ok",
      "a-much-longer-node  -          -      -              -               NO FALCO: no Falco pod runs on this node",
    ]);
  });
});

describe("node check verdicts", () => {
  it("a failed trigger and a not-ready Falco pod each fail their node, with the reason", async () => {
    const { FakeFeed } = await import("../helpers/demo-fakes.ts");
    const { runNodesCheck } = await import("../../src/demo/nodes.ts");
    const feed = new FakeFeed();
    const canary = { namespace: CANARY_NS, labelSelector: "", container: "", rule: CANARY_RULE };
    const facts = [
      { name: "n1", falcoPod: { name: "f1", ready: true }, canaryPod: { name: "c1", ready: true } },
      { name: "n2", falcoPod: { name: "f2", ready: true }, canaryPod: { name: "c2", ready: true } },
      {
        name: "n3",
        falcoPod: { name: "f3", ready: false, reason: "container falco waiting: CrashLoopBackOff" },
        canaryPod: { name: "c3", ready: true },
      },
    ];
    const report = await runNodesCheck({
      cluster: {
        nodes: async () => facts,
        trigger: async (pod) => {
          if (pod === "c2") return { ok: false, exitCode: 1, message: "read-only file system" };
          const nodeName = facts.find((fact) => fact.canaryPod.name === pod)!.name;
          feed.sink?.event(
            eventFromJson({
              rule: CANARY_RULE,
              priority: "Debug",
              time: new Date().toISOString(),
              output: "o",
              output_fields: { "k8s.pod.name": pod, "k8s.ns.name": CANARY_NS },
              hostname: nodeName,
            }),
            "nats subject falco.debug.falco_stack_canary",
          );
          return { ok: true, exitCode: 0 };
        },
      },
      feed,
      canary,
      timeoutMs: 5_000,
      progress: () => undefined,
    });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.nodes.map((result) => [result.node, result.verdict]),
      [
        ["n1", "ok"],
        ["n2", "trigger-failed"],
        ["n3", "falco-not-ready"],
      ],
    );
    assert.match(
      report.nodes[1]!.reason,
      /writing \/canary\/falco-stack-canary in c2 failed: read-only file system/,
    );
    assert.match(
      report.nodes[2]!.reason,
      /Falco pod f3 is not ready: container falco waiting: CrashLoopBackOff/,
    );
    assert.deepEqual(report.failedNodes, ["n2", "n3"]);
    assert.ok(feed.stopped);
  });

  // A wait the failure did not end would run into the 60 s timeout: the test's own timeout fails it.
  it(
    "shows the channel's reconnects, and stops waiting when the channel fails",
    { timeout: 20_000 },
    async () => {
      const { FakeFeed } = await import("../helpers/demo-fakes.ts");
      const { runNodesCheck } = await import("../../src/demo/nodes.ts");
      const feed = new FakeFeed();
      const lines: string[] = [];
      const canary = { namespace: CANARY_NS, labelSelector: "", container: "", rule: CANARY_RULE };
      const report = await runNodesCheck({
        cluster: {
          nodes: async () => [
            { name: "n1", falcoPod: { name: "f1", ready: true }, canaryPod: { name: "c1", ready: true } },
          ],
          trigger: async () => {
            feed.sink?.status?.("lost the connection to NATS at nats://x:4222: reconnecting");
            setTimeout(() => feed.sink?.failed(new Error("NATS closed the connection")), 20);
            return { ok: true, exitCode: 0 };
          },
        },
        feed,
        canary,
        timeoutMs: 60_000,
        progress: (line) => lines.push(line),
      });
      assert.ok(
        lines.includes("lost the connection to NATS at nats://x:4222: reconnecting"),
        lines.join("\n"),
      );
      assert.equal(report.ok, false);
      assert.equal(report.feedFailure, "NATS closed the connection");
      assert.match(report.nodes[0]!.reason, /\(the channel failed: NATS closed the connection\)/);
    },
  );
});
