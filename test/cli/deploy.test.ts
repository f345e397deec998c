import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { Command } from "commander";
import { deploy, registerDeployCommand } from "../../src/cli/deploy.ts";
import { FalcoStackError } from "../../src/errors.ts";
import {
  PULUMI_MISSING_MESSAGE,
  type AttachedPulumiRunner,
  type PulumiCall,
} from "../../src/cli/pulumi-cli.ts";
import { projectRoot } from "../helpers/shared.ts";

function recordingRunner(statuses: Record<string, number> = {}): {
  run: AttachedPulumiRunner;
  calls: PulumiCall[];
} {
  const calls: PulumiCall[] = [];
  const run: AttachedPulumiRunner = (call) => {
    calls.push(call);
    return { status: statuses[call.args[0] ?? ""] ?? 0 };
  };
  return { run, calls };
}

describe("npm run deploy", () => {
  it("passes the options it does not know to pulumi up: npm run deploy -- --stack dev --yes", async () => {
    const { run, calls } = recordingRunner();
    const result = { exitCode: -1 };
    const program = new Command("falco-stack").exitOverride();
    registerDeployCommand(program, result, run);
    await program.parseAsync(["node", "falco-stack", "deploy", "--stack", "dev", "--yes", "--diff"]);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(calls.at(-1)?.args, ["up", "--stack", "dev", "--yes", "--diff"]);
  });

  it("explains how to install Pulumi, and that render works without it, when the CLI is missing", () => {
    const missing: AttachedPulumiRunner = () => ({
      status: null,
      error: Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" }),
    });
    assert.throws(
      () => deploy({ stack: "dev", upArgs: [], env: {}, run: missing }),
      (error: unknown) => {
        assert.ok(error instanceof FalcoStackError);
        assert.equal(error.message, PULUMI_MISSING_MESSAGE);
        assert.match(error.message, /get\.pulumi\.com/);
        assert.match(error.message, /falco-stack render --stack NAME --out DIR/);
        return true;
      },
    );
  });

  it("explains a pulumi that is there but cannot be run", () => {
    const denied: AttachedPulumiRunner = () => ({
      status: null,
      error: Object.assign(new Error("spawn pulumi EACCES"), { code: "EACCES" }),
    });
    assert.throws(
      () => deploy({ stack: "dev", upArgs: [], env: {}, run: denied }),
      (error: unknown) =>
        error instanceof FalcoStackError &&
        error.message === "cannot run the Pulumi CLI: spawn pulumi EACCES",
    );
  });

  it("selects or creates the stack, then runs pulumi up on the local file backend in the project root", () => {
    const { run, calls } = recordingRunner();
    const code = deploy({
      stack: "dev",
      upArgs: ["--yes"],
      env: { PULUMI_CONFIG_PASSPHRASE: "pass" },
      run,
    });
    assert.equal(code, 0);
    assert.deepEqual(
      calls.map((c) => c.args),
      [["version"], ["stack", "select", "--create", "dev"], ["up", "--stack", "dev", "--yes"]],
    );
    for (const call of calls) {
      assert.equal(call.env.PULUMI_BACKEND_URL, `file://${path.join(projectRoot, ".pulumi")}`);
      assert.equal(call.env.PULUMI_CONFIG_PASSPHRASE, "pass");
      assert.equal(call.cwd, projectRoot);
    }
  });

  it("keeps the backend the user chose", () => {
    const { run, calls } = recordingRunner();
    deploy({ stack: "prod", upArgs: [], env: { PULUMI_BACKEND_URL: "https://api.pulumi.com" }, run });
    assert.equal(calls.length, 3);
    assert.ok(calls.every((c) => c.env.PULUMI_BACKEND_URL === "https://api.pulumi.com"));
  });

  it("fails with exit code 1 when pulumi up fails", () => {
    const { run } = recordingRunner({ up: 255 });
    assert.equal(deploy({ stack: "dev", upArgs: [], env: {}, run }), 1);
  });

  it("checks the stack file before calling Pulumi", () => {
    const { run, calls } = recordingRunner();
    assert.throws(
      () => deploy({ stack: "nope", upArgs: [], env: {}, run }),
      /cannot read stack file .*Pulumi\.nope\.yaml/,
    );
    assert.deepEqual(calls, []);
  });
});
