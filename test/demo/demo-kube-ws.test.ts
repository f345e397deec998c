import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeError, loadKubeConfig } from "../../src/k8s/kube.ts";
import { KubeDemoCluster } from "../../src/k8s/demo-cluster.ts";
import { forwardServicePort, type ForwardedPort } from "../../src/k8s/port-forward.ts";
import { UiClient } from "../../src/events/ui.ts";
import { registerDemoCommand } from "../../src/cli/demo.ts";
import type { ExecResult } from "../../src/demo/runner.ts";
import {
  DEMO_STEPS,
  HTML_FILE,
  NGINX_WRITE_RULE,
  TERMINAL_SHELL_RULE,
  type TriggerStep,
} from "../../src/demo/scenario.ts";
import { pod, service, startKubeStandIn, type KubeStandIn } from "../helpers/kube-stand-in.ts";
import {
  EXEC_PROTOCOLS,
  serveKubeWebSockets,
  shellLikeScript,
  type ExecScript,
  type KubeWebSockets,
} from "../helpers/kube-ws-stand-in.ts";
import { startUiStandIn, type UiStandIn } from "../helpers/ui-stand-in.ts";
import { clusterPayload, payloadLike } from "../helpers/falco-events.ts";
import { freePort } from "../helpers/nats-server.ts";
import { hasStackTrace, runCommand } from "../helpers/cli-in-process.ts";

// The Kubernetes API server is played by local stand-ins: kube-stand-in.ts for the HTTP reads,
// kube-ws-stand-in.ts for the exec and port-forward WebSockets.
let kube: KubeStandIn;
let sockets: KubeWebSockets;
let ui: UiStandIn;
let echo: net.Server;
let echoExpects = 0;
const forwards: ForwardedPort[] = [];
const target = { namespace: "demo", pod: "www", container: "www" };
const uiUser = "admin";
const uiPassword = "s3cret";
/** Fails a test whose connection never ends, instead of hanging the run; never reached when it works. */
const HANG_GUARD_MS = 10_000;
const uiLabels = { "app.kubernetes.io/name": "falcosidekick-ui", "app.kubernetes.io/instance": "falco" };

before(async () => {
  kube = await startKubeStandIn();
  process.env.KUBECONFIG = kube.kubeconfig;
  sockets = serveKubeWebSockets(kube);
  ui = await startUiStandIn(uiUser, uiPassword);
  // The pod side of the raw port-forward test: echoes, and hangs up once it has it all.
  echo = net.createServer((socket) => {
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      socket.write(chunk);
      received += chunk.length;
      if (received >= echoExpects) socket.end();
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const echoAddress = echo.address() as net.AddressInfo;
  const echoPod = pod("tools", "echo-0", { app: "echo" }, true, "echo");
  kube.pods.push(
    pod("demo", "www", { app: "www" }, true, "www"),
    // Listed first, so the forward must skip it for the ready one.
    pod("falco", "falcosidekick-ui-old", uiLabels, false, "falcosidekick-ui"),
    pod("falco", "falcosidekick-ui-7d9c", uiLabels, true, "falcosidekick-ui"),
    {
      ...echoPod,
      spec: { containers: [{ name: "echo", image: "x", ports: [{ name: "echo", containerPort: 7000 }] }] },
    },
  );
  kube.services.push(
    service("falco", "falcosidekick-ui", uiLabels, [{ port: 2802, targetPort: 2802 }]),
    service("tools", "echo", { app: "echo" }, [{ port: 80, targetPort: "echo" }]),
  );
  sockets.podPorts.set("falco/falcosidekick-ui-7d9c:2802", Number(new URL(ui.url).port));
  sockets.podPorts.set("tools/echo-0:7000", echoAddress.port);
});
beforeEach(() => {
  sockets.script = shellLikeScript;
  sockets.execProtocol = "v5.channel.k8s.io";
  sockets.refuseWith = undefined;
  sockets.beforeUpgrade = undefined;
  sockets.execs.length = 0;
  sockets.portForwards.length = 0;
  ui.events.length = 0;
  ui.requests.length = 0;
});
afterEach(
  async () => {
    // No test may leave a tunnel open behind it.
    await Promise.all(sockets.portForwards.map((forward) => forward.closed));
  },
  { timeout: HANG_GUARD_MS },
);
after(async () => {
  // Closed already unless a test broke off; a forward left listening would keep the run alive.
  await Promise.all(forwards.map((forwarded) => forwarded.close()));
  await kube.close();
  await ui.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function forward(namespace: string, serviceName: string, port: number): Promise<ForwardedPort> {
  const forwarded = await forwardServicePort(loadKubeConfig(), namespace, serviceName, port);
  forwards.push(forwarded);
  return forwarded;
}

/** Short exec timeout: a session the stand-in never ends fails the test instead of hanging it. */
function demoCluster(kc: KubeConfig = loadKubeConfig()): KubeDemoCluster {
  return new KubeDemoCluster(kc, 3_000);
}

function step(id: TriggerStep["id"]): TriggerStep {
  const found = DEMO_STEPS.find((candidate) => candidate.id === id);
  assert.ok(found, `no demo step ${id}`);
  return found;
}

/** A kubeconfig like the stand-in's, pointing at a port where nothing listens. */
async function unreachableKubeConfig(): Promise<{ kc: KubeConfig; server: string }> {
  const server = `http://127.0.0.1:${await freePort()}`;
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(kube.kubeconfig, "utf8").replace(kube.url, server));
  return { kc, server };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe("exec in the demo pod through the API server's WebSocket", () => {
  for (const protocol of EXEC_PROTOCOLS) {
    it(`runs the three triggers like kubectl exec -it, with a TTY and stdin (${protocol})`, async () => {
      sockets.execProtocol = protocol;
      const cluster = demoCluster();
      const results: ExecResult[] = [];
      for (const trigger of DEMO_STEPS) results.push(await cluster.exec(target, trigger));
      assert.deepEqual(results, [
        { ok: true, exitCode: 0 },
        { ok: true, exitCode: 0 },
        { ok: true, exitCode: 0 },
      ]);
      const [listRoot, shell, htmlWrite] = sockets.execs;
      assert.equal(sockets.execs.length, 3);
      for (const [index, exec] of sockets.execs.entries()) {
        assert.equal(exec.protocol, protocol);
        assert.equal(exec.authorization, "Bearer test-token");
        assert.deepEqual([exec.namespace, exec.pod, exec.container], ["demo", "www", "www"]);
        assert.equal(exec.tty, "true");
        assert.equal(exec.stdin, "true");
        assert.equal(exec.stdout, "true");
        assert.deepEqual(exec.command, [...DEMO_STEPS[index]!.command]);
      }
      assert.deepEqual(listRoot!.command, ["sh", "-c", "ls /"]);
      assert.deepEqual(shell!.command, ["sh"]);
      assert.equal(htmlWrite!.command.length, 3);
      assert.deepEqual(htmlWrite!.command.slice(0, 2), ["sh", "-c"]);
      assert.ok(htmlWrite!.command[2]!.endsWith(`>> ${HTML_FILE}`), htmlWrite!.command[2]);
      // Only the interactive shell is typed into, and it is left with `exit`.
      assert.deepEqual(
        sockets.execs.map((exec) => exec.stdinText),
        ["", "exit\n", ""],
      );
    });
  }

  it("reads a non-zero exit code from the status channel", async () => {
    sockets.script = (session) => {
      session.stdout("sh: can't create /usr/share/nginx/html/index.html: Read-only file system\r\n");
      session.exit(2);
    };
    const result = await demoCluster().exec(target, step("html-write"));
    assert.equal(result.ok, false);
    assert.equal(result.exitCode, 2);
    assert.match(result.message ?? "", /^command terminated with non-zero exit code: .*exit code 2$/);
  });

  it("says so when the session ends without an exit status", async () => {
    const drop: ExecScript = (session) => session.drop();
    sockets.script = drop;
    assert.deepEqual(await demoCluster().exec(target, step("shell-command")), {
      ok: false,
      message: "the exec session closed without a status",
    });
  });

  it("names the server when the API cannot be reached", async () => {
    const { kc, server } = await unreachableKubeConfig();
    const result = await demoCluster(kc).exec(target, step("shell-command"));
    assert.equal(result.ok, false);
    const port = new URL(server).port;
    assert.equal(
      result.message,
      `cannot reach the Kubernetes API at ${server} (context stand-in): connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("says what the API refused: RBAC without pods/exec, a pod that is gone", async () => {
    sockets.refuseWith = 403;
    assert.deepEqual(await demoCluster().exec(target, step("shell-command")), {
      ok: false,
      message: "not allowed to access exec in pod demo/www (HTTP 403): check your RBAC permissions",
    });
    sockets.refuseWith = undefined;
    const gone = await demoCluster().exec({ ...target, pod: "www-gone" }, step("shell-command"));
    assert.deepEqual(gone, { ok: false, message: "exec in pod demo/www-gone not found" });
    assert.equal(sockets.execs.length, 0);
  });
});

describe("port-forward to a service through the API server's WebSocket", () => {
  it(
    "lets the UI client search the falcosidekick UI through the forwarded port, then releases it",
    { timeout: HANG_GUARD_MS },
    async () => {
      ui.events.push(
        payloadLike({ rule: TERMINAL_SHELL_RULE, pod: "www", namespace: "demo", uuid: "forwarded-1" }),
      );
      const forwarded = await forward("falco", "falcosidekick-ui", 2802);
      const localPort = Number(new URL(forwarded.url).port);
      assert.match(forwarded.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      try {
        const client = new UiClient({ url: forwarded.url, user: uiUser, password: uiPassword });
        const found = await client.searchEvents({ since: "5m", limit: 10 });
        assert.deepEqual(
          found.events.map((event) => [event.rule, event.uuid]),
          [[TERMINAL_SHELL_RULE, "forwarded-1"]],
        );
        assert.deepEqual(ui.requests, ["/api/v1/events/search?since=5m&limit=10"]);
        // The ready pod behind the service, at the service's target port.
        assert.deepEqual(
          sockets.portForwards.map((forward) => [forward.namespace, forward.pod, forward.ports]),
          [["falco", "falcosidekick-ui-7d9c", [2802]]],
        );
        assert.equal(sockets.portForwards[0]!.authorization, "Bearer test-token");
      } finally {
        await forwarded.close();
      }
      await Promise.all(sockets.portForwards.map((forward) => forward.closed));
      assert.equal(await connectionRefused(localPort), true, "the local port is still open after close()");
    },
  );

  it(
    "carries binary data both ways unchanged, and ends the local connection when the pod side hangs up",
    { timeout: HANG_GUARD_MS },
    async () => {
      const forwarded = await forward("tools", "echo", 80);
      try {
        const payload = randomBytes(300_000);
        echoExpects = payload.length;
        const echoed = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const socket = net.connect(Number(new URL(forwarded.url).port), "127.0.0.1", () => {
            socket.write(payload);
          });
          socket.on("data", (chunk: Buffer) => chunks.push(chunk));
          socket.on("end", () => resolve(Buffer.concat(chunks)));
          socket.on("error", reject);
        });
        assert.equal(echoed.length, payload.length);
        assert.ok(echoed.equals(payload), "the bytes that came back differ from those sent");
        // Service port 80 → named target port "echo" → container port 7000.
        assert.deepEqual(sockets.portForwards[0]!.ports, [7000]);
      } finally {
        await forwarded.close();
      }
    },
  );

  it(
    "ends the local connection instead of hanging when nothing listens in the pod",
    { timeout: HANG_GUARD_MS },
    async () => {
      sockets.podPorts.delete("tools/echo-0:7000");
      const forwarded = await forward("tools", "echo", 80);
      try {
        const received = await new Promise<string>((resolve, reject) => {
          let text = "";
          const socket = net.connect(Number(new URL(forwarded.url).port), "127.0.0.1", () => {
            socket.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
          });
          socket.on("data", (chunk: Buffer) => {
            text += chunk.toString();
          });
          socket.on("close", () => resolve(text));
          socket.on("error", reject);
        });
        assert.equal(received, "", "the pod port's error text must not reach the local client as data");
      } finally {
        await forwarded.close();
        sockets.podPorts.set("tools/echo-0:7000", (echo.address() as net.AddressInfo).port);
      }
    },
  );

  it(
    "closes a tunnel that finishes opening after close(), so nothing keeps the CLI alive",
    { timeout: HANG_GUARD_MS },
    async () => {
      // Hold the tunnel's upgrade until close() has run, as when the demo ends during a UI poll.
      let upgradeArrived: () => void = () => undefined;
      const arrived = new Promise<void>((resolve) => {
        upgradeArrived = resolve;
      });
      let releaseUpgrade: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        releaseUpgrade = resolve;
      });
      sockets.beforeUpgrade = () => {
        upgradeArrived();
        return released;
      };
      const forwarded = await forward("tools", "echo", 80);
      const client = net.connect(Number(new URL(forwarded.url).port), "127.0.0.1");
      client.on("error", () => undefined);
      await arrived;
      await forwarded.close();
      releaseUpgrade();
      // afterEach waits for every tunnel the stand-in opened to close again.
      while (sockets.portForwards.length === 0) await new Promise((resolve) => setImmediate(resolve));
    },
  );

  it(
    "reports why a tunnel could not open, e.g. RBAC without pods/portforward",
    { timeout: HANG_GUARD_MS },
    async () => {
      const errors: string[] = [];
      const forwarded = await forwardServicePort(loadKubeConfig(), "tools", "echo", 80, (message) =>
        errors.push(message),
      );
      forwards.push(forwarded);
      sockets.refuseWith = 403;
      try {
        await new Promise<void>((resolve) => {
          const socket = net.connect(Number(new URL(forwarded.url).port), "127.0.0.1");
          socket.on("close", () => resolve());
          socket.on("error", () => resolve());
        });
        assert.deepEqual(errors, [
          "not allowed to access port-forward to pod tools/echo-0 (HTTP 403): check your RBAC permissions",
        ]);
      } finally {
        sockets.refuseWith = undefined;
        await forwarded.close();
      }
    },
  );

  it("says which service or port is missing before it listens", async () => {
    const kc = loadKubeConfig();
    await assert.rejects(
      forwardServicePort(kc, "falco", "falcosidekick-uii", 2802),
      (error: unknown) =>
        error instanceof KubeError && error.message === "service falco/falcosidekick-uii not found",
    );
    await assert.rejects(
      forwardServicePort(kc, "falco", "falcosidekick-ui", 2803),
      (error: unknown) =>
        error instanceof KubeError && error.message === "service falco/falcosidekick-ui has no port 2803",
    );
    const { kc: unreachable, server } = await unreachableKubeConfig();
    await assert.rejects(
      forwardServicePort(unreachable, "falco", "falcosidekick-ui", 2802),
      (error: unknown) =>
        error instanceof KubeError &&
        error.message.startsWith(`cannot reach the Kubernetes API at ${server} (context stand-in): `),
    );
    assert.equal(sockets.portForwards.length, 0);
  });
});

describe("falco-stack demo --via ui over exec and port-forward", () => {
  it("triggers the three detections, finds them in the UI through the forward, then closes it", async () => {
    // Falco and falcosidekick are not here: each trigger's detection is put into the UI stand-in.
    sockets.script = async (session) => {
      const command = session.request.command;
      const isHtmlWrite = command[2]?.includes(HTML_FILE) ?? false;
      const cmdline = command[0] === "sh" && command[1] === "-c" && !isHtmlWrite ? "sh -c ls /" : "sh";
      ui.events.push(
        payloadLike({
          rule: isHtmlWrite ? NGINX_WRITE_RULE : TERMINAL_SHELL_RULE,
          priority: isHtmlWrite ? "Warning" : "Notice",
          time: new Date(),
          namespace: "demo",
          pod: "www",
          cmdline: isHtmlWrite ? `sh -c echo >> ${HTML_FILE}` : cmdline,
          uuid: `e2e-${sockets.execs.length}`,
        }),
      );
      await shellLikeScript(session);
    };
    const outcome = await runCommand(registerDemoCommand, [
      "demo",
      "--pod",
      "www",
      "--demo-namespace",
      "demo",
      "--namespace",
      "falco",
      "--via",
      "ui",
      "--user",
      uiUser,
      "--password",
      uiPassword,
      "--timeout",
      "10",
    ]).done;
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(!hasStackTrace(outcome.stderr));
    const forwardedTo = /port-forwarding svc\/falcosidekick-ui \(falco\) to http:\/\/127\.0\.0\.1:(\d+)/.exec(
      outcome.stderr,
    );
    assert.ok(forwardedTo, outcome.stderr);
    assert.equal((outcome.stderr.match(/^detected "/gm) ?? []).length, 3, outcome.stderr);
    assert.deepEqual(
      sockets.execs.map((exec) => exec.command.slice(0, 2).join(" ")),
      ["sh -c", "sh", "sh -c"],
    );
    assert.ok(sockets.portForwards.length > 0);
    await Promise.all(sockets.portForwards.map((forward) => forward.closed));
    assert.equal(await connectionRefused(Number(forwardedTo[1])), true);
  });
  it("with the stack's clusterName, exits 1 when the detections lack it and 0 when they carry it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-demo-cluster-"));
    const outputsFile = path.join(dir, "outputs.json");
    await writeFile(
      outputsFile,
      JSON.stringify({
        namespace: "falco",
        falcoPods: { namespace: "falco", labelSelector: "app.kubernetes.io/name=falco", container: "falco" },
        ui: { enabled: true, namespace: "falco", serviceName: "falcosidekick-ui", port: 2802 },
        uiUser,
        uiPassword,
        demo: { enabled: true, namespace: "demo", podName: "www", container: "www" },
        clusterName: "prod",
      }),
    );
    /** Each trigger's detection into the UI, with falcosidekick's custom field when `cluster` is given. */
    const detectionsInto =
      (cluster: string | undefined): ExecScript =>
      async (session) => {
        const command = session.request.command;
        const isHtmlWrite = command[2]?.includes(HTML_FILE) ?? false;
        const changes = {
          rule: isHtmlWrite ? NGINX_WRITE_RULE : TERMINAL_SHELL_RULE,
          priority: isHtmlWrite ? "Warning" : "Notice",
          time: new Date(),
          namespace: "demo",
          pod: "www",
          cmdline: isHtmlWrite ? `sh -c echo >> ${HTML_FILE}` : command.length > 1 ? "sh -c ls /" : "sh",
          uuid: `cluster-${cluster ?? "none"}-${sockets.execs.length}`,
        };
        ui.events.push(cluster === undefined ? payloadLike(changes) : clusterPayload(cluster, changes));
        await shellLikeScript(session);
      };
    const demo = () =>
      runCommand(registerDemoCommand, [
        "demo",
        "--outputs-file",
        outputsFile,
        "--via",
        "ui",
        "--timeout",
        "10",
      ]).done;

    sockets.script = detectionsInto(undefined);
    const without = await demo();
    assert.equal(without.code, 1, without.stderr);
    assert.match(without.stderr, /^cluster prod: each detection must carry cluster=prod$/m);
    assert.match(without.stdout, /^cluster: prod$/m);
    assert.match(without.stdout, /^3 of 3 arrived without the cluster field \(cluster=prod\)$/m);
    assert.match(
      without.stdout,
      /^no cluster: "Write inside nginx html folder" after append to \/usr\/share\/nginx\/html\/index\.html arrived via ui without the cluster field/m,
    );
    assert.ok(!hasStackTrace(without.stderr));
    await Promise.all(sockets.portForwards.map((forward) => forward.closed));

    ui.events.length = 0;
    sockets.script = detectionsInto("prod");
    const withCluster = await demo();
    assert.equal(withCluster.code, 0, withCluster.stderr + withCluster.stdout);
    assert.match(withCluster.stdout, /^all 3 expected detections arrived via ui, each with cluster=prod$/m);
    assert.match(withCluster.stdout, /Write inside nginx html folder +Warning +ui +\d+\.\ds +prod$/m);
  });
});
