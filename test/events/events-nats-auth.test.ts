import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { natsAuthFromFlags, registerEventsCommand } from "../../src/cli/events.ts";
import { natsFeed } from "../../src/events/nats.ts";
import { runDemoScenario } from "../../src/demo/runner.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { makeTestCa, TEST_TLS_NAME, type TestCa } from "../helpers/tls-ca.ts";
import { demoDetectionPayload, seedPayload } from "../helpers/falco-events.ts";
import { hasStackTrace, runCommand, type CliOutcome } from "../helpers/cli-in-process.ts";
import { runDemo, runEvents } from "../helpers/cli-commands.ts";
import type { EventsCommandFlags } from "../helpers/cli-args.ts";
import { publishLikeSidekick } from "../helpers/nats-publish.ts";
import { FakeCluster, readyPod } from "../helpers/demo-fakes.ts";
import { pod, startKubeStandIn } from "../helpers/kube-stand-in.ts";

// Real nats-servers that require a user and password, a token, and TLS from a throw-away CA.
const USER = "falco";
const PASSWORD = "p@ss:w0rd/x";
const TOKEN = "s3cr3t-t0ken";
let userServer: NatsServer;
let tokenServer: NatsServer;
let tlsServer: NatsServer;
let ca: TestCa;
let dir: string;

before(async () => {
  ca = makeTestCa();
  dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-nats-auth-"));
  [userServer, tokenServer, tlsServer] = await Promise.all([
    startNatsServer({ config: `authorization { user: "${USER}", password: "${PASSWORD}" }` }),
    startNatsServer({ config: `authorization { token: "${TOKEN}" }` }),
    startNatsServer({ config: `tls { cert_file: "${ca.certFile}", key_file: "${ca.keyFile}" }` }),
  ]);
});
after(async () => {
  await Promise.all([userServer?.stop(), tokenServer?.stop(), tlsServer?.stop()]);
});

const ENV_NAMES = ["FALCO_STACK_NATS_USER", "FALCO_STACK_NATS_PASSWORD", "FALCO_STACK_NATS_TOKEN"];
afterEach(() => {
  for (const name of ENV_NAMES) Reflect.deleteProperty(process.env, name);
});

function hostPort(server: NatsServer): string {
  return `127.0.0.1:${server.port}`;
}

/** Runs `events ... --count 1 --json`, publishes one event as falcosidekick would, returns the outcome. */
async function followOne(
  flags: EventsCommandFlags,
  publisherOptions: ConnectionOptions,
): Promise<CliOutcome> {
  const run = runEvents({ ...flags, count: 1, json: true, timeout: 10 });
  await Promise.race([run.stderrMatches(/following /), run.done]);
  const publisher: NatsConnection = await connect(publisherOptions);
  try {
    await publishLikeSidekick(publisher, seedPayload());
    return await run.done;
  } finally {
    await publisher.close();
  }
}

function assertNoSecret(outcome: CliOutcome, ...secrets: string[]): void {
  for (const secret of [...secrets, encodeURIComponent(PASSWORD)]) {
    assert.ok(
      !outcome.stdout.includes(secret) && !outcome.stderr.includes(secret),
      `"${secret}" was printed`,
    );
  }
}

describe("events --nats with credentials (real nats-server)", () => {
  const asUser = (): ConnectionOptions => ({ servers: userServer.url, user: USER, pass: PASSWORD });

  it("takes user and password from the URL, and prints the URL as nats://***@", async () => {
    const url = `nats://${USER}:${encodeURIComponent(PASSWORD)}@${hostPort(userServer)}`;
    const outcome = await followOne({ nats: url }, asUser());
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(JSON.parse(outcome.stdout), seedPayload());
    assert.match(
      outcome.stderr,
      new RegExp(`following nats://\\*\\*\\*@${hostPort(userServer)} subject falco\\.>`),
    );
    assertNoSecret(outcome, PASSWORD, USER + ":");
  });

  it("takes the user and password from FALCO_STACK_NATS_USER and FALCO_STACK_NATS_PASSWORD", async () => {
    process.env.FALCO_STACK_NATS_USER = USER;
    process.env.FALCO_STACK_NATS_PASSWORD = PASSWORD;
    const outcome = await followOne({ nats: userServer.url }, asUser());
    assert.equal(outcome.code, 0, outcome.stderr);
    assertNoSecret(outcome, PASSWORD);
  });

  it("takes the password from --nats-password-file", async () => {
    const file = path.join(dir, "nats-password");
    await writeFile(file, `${PASSWORD}\n`);
    const outcome = await followOne(
      { nats: userServer.url, natsUser: USER, natsPasswordFile: file },
      asUser(),
    );
    assert.equal(outcome.code, 0, outcome.stderr);
  });

  it("exits 2 on a refused password, naming the server redacted and never printing the password", async () => {
    const wrong = "wr0ng-secret";
    const refusedUrl = `nats://${USER}:${wrong}@${hostPort(userServer)}`;
    const outcome = await runEvents({ nats: refusedUrl, timeout: 5 }).done;
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(
      outcome.stderr,
      new RegExp(
        `cannot connect to NATS at nats://\\*\\*\\*@${hostPort(userServer)}: .*Authorization Violation`,
        "i",
      ),
    );
    assertNoSecret(outcome, wrong);
    assert.ok(!hasStackTrace(outcome.stderr), outcome.stderr);
  });

  it("exits 2 when no credentials are given to a server that wants them", async () => {
    const outcome = await runEvents({ nats: userServer.url, timeout: 5 }).done;
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /Authorization Violation/i);
  });

  it("takes a token from the URL or FALCO_STACK_NATS_TOKEN, and never prints it", async () => {
    const asToken = { servers: tokenServer.url, token: TOKEN };
    const fromUrl = await followOne({ nats: `nats://${TOKEN}@${hostPort(tokenServer)}` }, asToken);
    assert.equal(fromUrl.code, 0, fromUrl.stderr);
    assertNoSecret(fromUrl, TOKEN);
    process.env.FALCO_STACK_NATS_TOKEN = TOKEN;
    const fromEnv = await followOne({ nats: tokenServer.url }, asToken);
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assertNoSecret(fromEnv, TOKEN);
  });

  it("refuses credentials given twice, a user without a password, and unreadable files (exit 2)", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ["--nats", `nats://${USER}:x@${hostPort(userServer)}`, "--nats-user", USER],
        { FALCO_STACK_NATS_PASSWORD: "y" },
        /NATS credentials given twice/,
      ],
      [
        ["--nats", userServer.url, "--nats-user", USER],
        {},
        /NATS user "falco" needs a password: FALCO_STACK_NATS_PASSWORD or --nats-password-file/,
      ],
      [
        ["--nats", userServer.url],
        { FALCO_STACK_NATS_PASSWORD: "y" },
        /a NATS password needs a user: --nats-user or FALCO_STACK_NATS_USER/,
      ],
      [
        ["--nats", userServer.url, "--nats-creds", path.join(dir, "absent.creds")],
        {},
        /cannot read --nats-creds .*absent\.creds: ENOENT/,
      ],
      [
        ["--nats", userServer.url, "--nats-ca", path.join(dir, "absent.pem")],
        {},
        /cannot read --nats-ca .*absent\.pem: ENOENT/,
      ],
    ];
    for (const [args, env, pattern] of cases) {
      Object.assign(process.env, env);
      const outcome = await runCommand(registerEventsCommand, ["events", ...args]).done;
      for (const name of Object.keys(env)) Reflect.deleteProperty(process.env, name);
      assert.equal(outcome.code, 2, `${args.join(" ")}: ${outcome.stderr}`);
      assert.match(outcome.stderr, pattern);
    }
  });
});

describe("a NATS credentials file", () => {
  // No test server here runs with operator JWTs (that needs nsc): this proves the file is read
  // and handed to the client's credsAuthenticator; a live NATS with JWT auth proves the rest.
  it("is read and passed on whole; an unreadable one is named", async () => {
    const file = path.join(dir, "falco.creds");
    const creds = [
      "-----BEGIN NATS USER JWT-----",
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig",
      "------END NATS USER JWT------",
      "",
      "-----BEGIN USER NKEY SEED-----",
      "SUAEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE",
      "------END USER NKEY SEED------",
      "",
    ].join("\n");
    await writeFile(file, creds);
    assert.deepEqual(natsAuthFromFlags({ natsCreds: file }, {}), { creds });
    assert.deepEqual(natsAuthFromFlags({ natsCa: ca.caFile, natsTlsName: TEST_TLS_NAME }, {}), {
      ca: ca.caPem,
      tlsName: TEST_TLS_NAME,
    });
    assert.throws(
      () => natsAuthFromFlags({ natsCreds: `${file}.absent` }, {}),
      /cannot read --nats-creds .*falco\.creds\.absent: ENOENT/,
    );
  });
});

describe("events --nats over TLS (real nats-server, throw-away CA)", () => {
  it("trusts the CA given with --nats-ca, for tls:// and for a nats:// server that requires TLS", async () => {
    const publisher = { servers: tlsServer.url, tls: { ca: ca.caPem, servername: TEST_TLS_NAME } };
    for (const url of [`tls://${hostPort(tlsServer)}`, tlsServer.url]) {
      const outcome = await followOne(
        { nats: url, natsCa: ca.caFile, natsTlsName: TEST_TLS_NAME },
        publisher,
      );
      assert.equal(outcome.code, 0, `${url}: ${outcome.stderr}`);
      assert.deepEqual(JSON.parse(outcome.stdout), seedPayload());
    }
  });

  it("exits 2 naming the certificate problem without the CA, or without the name in the certificate", async () => {
    const tlsUrl = `tls://${hostPort(tlsServer)}`;
    const outcome = await runEvents({ nats: tlsUrl, timeout: 5 }).done;
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /cannot connect to NATS at tls:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    const unnamed = await runEvents({ nats: tlsUrl, natsCa: ca.caFile, timeout: 5 }).done;
    assert.equal(unnamed.code, 2, unnamed.stderr);
    assert.match(unnamed.stderr, /altnames.*give the name in the certificate with --nats-tls-name/);
  });
});

describe("demo --via nats with credentials", () => {
  it("waits on a server that wants a password (the scenario with an authenticated feed)", async () => {
    const publisher = await connect({ servers: userServer.url, user: USER, pass: PASSWORD });
    try {
      const cluster = new FakeCluster(readyPod, async (step) => {
        await publishLikeSidekick(publisher, demoDetectionPayload(step, { time: new Date() }));
      });
      const report = await runDemoScenario({
        cluster,
        feed: natsFeed({ url: userServer.url, auth: { user: USER, password: PASSWORD } }),
        target: { namespace: "demo", pod: "www", container: "www" },
        timeoutMs: 5000,
        progress: () => undefined,
      });
      assert.equal(report.ok, true);
      assert.equal(report.feedDescription, `${userServer.url} subject falco.>`);
    } finally {
      await publisher.close();
    }
  });

  it("demo reads the NATS password from the environment and never prints URL credentials", async () => {
    const kube = await startKubeStandIn();
    kube.pods.push(pod("demo", "www", { app: "www" }, true, "www"));
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kube.kubeconfig;
    try {
      const wrong = "n0t-the-password";
      const refusedUrl = `nats://${USER}:${wrong}@${hostPort(userServer)}`;
      const refused = await runDemo({ pod: "www", via: "nats", nats: refusedUrl, timeout: 5 }).done;
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(`nats://\\*\\*\\*@${hostPort(userServer)}: .*Authorization Violation`, "i"),
      );
      assertNoSecret(refused, wrong);

      process.env.FALCO_STACK_NATS_USER = USER;
      process.env.FALCO_STACK_NATS_PASSWORD = "also-wrong";
      const fromEnv = await runDemo({ pod: "www", via: "nats", nats: userServer.url, timeout: 5 }).done;
      assert.equal(fromEnv.code, 2, fromEnv.stderr);
      assert.match(
        fromEnv.stderr,
        /Authorization Violation/i,
        "the credentials from the environment were sent",
      );
      assertNoSecret(fromEnv, "also-wrong");
    } finally {
      process.env.KUBECONFIG = previous;
      await kube.close();
    }
  });
});
