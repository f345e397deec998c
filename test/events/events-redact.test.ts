import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { redactUrl, redactUrlsIn } from "../../src/redact.ts";
import { main } from "../../src/cli/main.ts";
import { freePort } from "../helpers/nats-server.ts";

describe("redacting credentials in URLs", () => {
  it("replaces the user info of every URL in a text, and nothing else", () => {
    assert.equal(redactUrl("nats://falco:s3cret@127.0.0.1:4222"), "nats://***@127.0.0.1:4222");
    assert.equal(redactUrl("nats://t0ken@nats.falco.svc"), "nats://***@nats.falco.svc");
    assert.equal(redactUrl("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
    assert.equal(
      redactUrlsIn('cannot reach nats://a:p@ss@h:1 and "https://u:v@ui.example/api?x=a@b"'),
      'cannot reach nats://***@h:1 and "https://***@ui.example/api?x=a@b"',
    );
    assert.equal(redactUrlsIn("mail me at someone@example.com"), "mail me at someone@example.com");
    assert.equal(redactUrlsIn("http://h/path@x"), "http://h/path@x");
  });
});

/** Runs the real CLI entry point in-process with captured output. */
async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    const code = await main(["node", "falco-stack", ...args], {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
    });
    return { code, stdout, stderr };
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  }
}

describe("no command prints a credential from a URL", () => {
  it("events, demo and rules fetch print URLs with ***@ in their errors", async () => {
    const port = await freePort();
    const secret = "hunter2-secret";
    const cache = await mkdtemp(path.join(os.tmpdir(), "falco-stack-cache-"));
    const runs = [
      await cli(["events", "--nats", `nats://falco:${secret}@127.0.0.1:${port}`, "--timeout", "2"]),
      await cli(["events", "--nats", `nats://${secret}@127.0.0.1:${port}`, "--timeout", "2"]),
      await cli(["events", "--nats", `http://falco:${secret}@127.0.0.1:${port}`]),
      await cli(["events", "--ui", `ftp://falco:${secret}@127.0.0.1:${port}`, "--user", "u"], {
        FALCO_STACK_UI_PASSWORD: "p",
      }),
      await cli(
        ["demo", "--pod", "www", "--via", "nats", "--nats", `nats://falco:${secret}@127.0.0.1:${port}`],
        {
          KUBECONFIG: path.join(cache, "absent-kubeconfig"),
        },
      ),
      await cli(["rules", "fetch", "--force", "--base-url", `http://falco:${secret}@127.0.0.1:${port}`], {
        FALCO_STACK_CACHE: cache,
      }),
    ];
    for (const run of runs) {
      assert.equal(run.code, 2, run.stderr);
      assert.ok(!(run.stdout + run.stderr).includes(secret), run.stderr);
    }
    assert.match(
      runs[0]!.stderr,
      new RegExp(`cannot reach NATS at nats://\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
    );
    assert.match(runs[1]!.stderr, /nats:\/\/\*\*\*@127\.0\.0\.1/);
    assert.match(runs[2]!.stderr, /"http:\/\/\*\*\*@127\.0\.0\.1:\d+" is not a NATS URL/);
    assert.match(runs[5]!.stderr, /http:\/\/\*\*\*@127\.0\.0\.1/);
  });
});
