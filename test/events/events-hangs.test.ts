import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connectTimeout, registerEventsCommand } from "../../src/cli/events.ts";
import { registerDemoCommand } from "../../src/cli/demo.ts";
import { hasStackTrace, runCommand } from "../helpers/cli-in-process.ts";
import { runDemo, runEvents } from "../helpers/cli-commands.ts";
import { runBin } from "../helpers/cli-process.ts";
import { startSilentServer, type SilentServer } from "../helpers/silent-server.ts";

// A server that accepts TCP and never answers: every wait on it must end, with exit 2 naming it.
let silent: SilentServer;
/** Sends a NATS INFO that requires TLS, then never answers the TLS handshake. */
let tlsStall: SilentServer;
/** Sends a NATS INFO, then never answers CONNECT and PING. */
let infoStall: SilentServer;
let silentKubeconfig: string;

const info = (tls: boolean): string =>
  `INFO {"server_id":"stall","version":"2.9.10","proto":1,"max_payload":1048576,"tls_required":${tls}}\r\n`;

before(async () => {
  silent = await startSilentServer();
  tlsStall = await startSilentServer(info(true));
  infoStall = await startSilentServer(info(false));
  const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-silent-"));
  silentKubeconfig = path.join(dir, "config");
  await writeFile(
    silentKubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: silent, cluster: {server: 'http://127.0.0.1:${silent.port}', insecure-skip-tls-verify: true}}]`,
      "users: [{name: tester, user: {token: test-token}}]",
      "contexts: [{name: silent, context: {cluster: silent, user: tester}}]",
      "current-context: silent",
      "",
    ].join("\n"),
  );
});
after(async () => {
  await Promise.all([silent.close(), tlsStall.close(), infoStall.close()]);
});

describe("a server that accepts and never answers", () => {
  it("events --nats (silent, or stalling TLS), events --ui and demo exit 2 by themselves within --timeout, naming what did not answer", async () => {
    // Separate processes, as a user runs them: a leaked socket or timer would keep one alive.
    const [nats, tls, ui, demo] = await Promise.all([
      runBin(["events", "--nats", `nats://127.0.0.1:${silent.port}`, "--timeout", "1"], {
        killAfterMs: 30_000,
      }),
      runBin(["events", "--nats", `nats://127.0.0.1:${tlsStall.port}`, "--timeout", "1"], {
        killAfterMs: 30_000,
      }),
      runBin(["events", "--ui", `http://127.0.0.1:${silent.port}`, "--user", "u", "--timeout", "1"], {
        killAfterMs: 30_000,
        env: { FALCO_STACK_UI_PASSWORD: "p" },
      }),
      runBin(["demo", "--pod", "www", "--timeout", "1"], {
        killAfterMs: 30_000,
        env: { KUBECONFIG: silentKubeconfig },
      }),
    ]);
    const expected: [typeof nats, RegExp][] = [
      [
        nats,
        new RegExp(
          `NATS at nats://127\\.0\\.0\\.1:${silent.port} accepted the connection but did not answer within 1s`,
        ),
      ],
      [
        tls,
        new RegExp(
          `NATS at nats://127\\.0\\.0\\.1:${tlsStall.port} did not complete the TLS handshake within 1s`,
        ),
      ],
      [
        ui,
        new RegExp(`the falcosidekick UI at http://127\\.0\\.0\\.1:${silent.port} did not answer within 2s`),
      ],
      [
        demo,
        new RegExp(
          `the Kubernetes API at http://127\\.0\\.0\\.1:${silent.port} \\(context silent\\) did not answer within 1s for pod demo/www`,
        ),
      ],
    ];
    for (const [outcome, pattern] of expected) {
      assert.equal(outcome.hung, false, `still running after 30 s; stderr: ${outcome.stderr}`);
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, pattern);
      assert.ok(!hasStackTrace(outcome.stderr), outcome.stderr);
    }
  });

  it("events --nats exits 2 when the server sends INFO and never answers CONNECT", async () => {
    const outcome = await runEvents({ nats: `nats://127.0.0.1:${infoStall.port}`, timeout: 1 }).done;
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(
      outcome.stderr,
      /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: no answer to the connection handshake \(CONNECT, PING\) within 1s/,
    );
  });

  it("without --timeout, connecting may take 5 s at most", () => {
    assert.equal(connectTimeout(undefined), 5000);
    assert.equal(connectTimeout(1500), 1500);
    assert.equal(connectTimeout(60_000), 5000);
  });

  it("demo --via nats exits 2 naming a silent NATS server (the kube calls answered)", async () => {
    // In-process, with the cluster faked away: the NATS wait alone must be bounded.
    const { startKubeStandIn, pod } = await import("../helpers/kube-stand-in.ts");
    const kube = await startKubeStandIn();
    kube.pods.push(pod("demo", "www", { app: "www" }, true, "www"));
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kube.kubeconfig;
    try {
      const silentUrl = `nats://127.0.0.1:${silent.port}`;
      const outcome = await runDemo({ pod: "www", via: "nats", nats: silentUrl, timeout: 1 }).done;
      assert.equal(outcome.code, 2, outcome.stderr);
      assert.match(outcome.stderr, /accepted the connection but did not answer within 1s/);
    } finally {
      process.env.KUBECONFIG = previous;
      await kube.close();
    }
  });
});

describe("--timeout is bounded by what a timer can hold", () => {
  it("refuses a --timeout beyond 24 days instead of ending at once (exit 2)", async () => {
    for (const register of [registerEventsCommand, registerDemoCommand]) {
      const name = register === registerEventsCommand ? "events" : "demo";
      const args =
        name === "events"
          ? ["events", "--nats", "nats://127.0.0.1:1", "--timeout", "3000000"]
          : ["demo", "--pod", "www", "--timeout", "3000000"];
      const outcome = await runCommand(register, args).done;
      assert.equal(outcome.code, 2, `${name}: ${outcome.stderr}`);
      assert.match(outcome.stderr, /--timeout must be at most 2147483 seconds \(about 24 days/, name);
    }
    const accepted = await runEvents({ nats: "nats://127.0.0.1:1", timeout: 2147483 }).done;
    assert.doesNotMatch(accepted.stderr, /--timeout must be/);
  });
});
