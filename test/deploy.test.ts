import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { deploy, PULUMI_MISSING_MESSAGE, type Runner } from "../src/cli/deploy.ts";
import { UserError } from "../src/cli/errors.ts";
import { projectRoot } from "./helpers/shared.ts";

interface Call {
  command: string;
  args: readonly string[];
  backend?: string;
}

function recordingRunner(statuses: Record<string, number> = {}): { run: Runner; calls: Call[] } {
  const calls: Call[] = [];
  const run: Runner = (command, args, env) => {
    calls.push({ command, args, backend: env.PULUMI_BACKEND_URL });
    return { status: statuses[args[0] ?? ""] ?? 0, error: undefined };
  };
  return { run, calls };
}

describe("npm run deploy", () => {
  it("explains how to install Pulumi, and that render works without it, when the CLI is missing", () => {
    const missing: Runner = () => ({
      status: null,
      error: Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" }),
    });
    assert.throws(
      () => deploy({ stack: "dev", upArgs: [], env: {}, run: missing }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.message, PULUMI_MISSING_MESSAGE);
        assert.match(error.message, /get\.pulumi\.com/);
        assert.match(error.message, /falco-stack render --stack NAME --out DIR/);
        return true;
      },
    );
  });

  it("selects or creates the stack, then runs pulumi up on the local file backend", () => {
    const { run, calls } = recordingRunner();
    const code = deploy({ stack: "dev", upArgs: ["--yes"], env: {}, run });
    assert.equal(code, 0);
    assert.deepEqual(
      calls.map((c) => [c.command, ...c.args]),
      [
        ["pulumi", "version"],
        ["pulumi", "stack", "select", "--create", "dev"],
        ["pulumi", "up", "--stack", "dev", "--yes"],
      ],
    );
    assert.ok(calls.every((c) => c.backend === `file://${path.join(projectRoot, ".pulumi")}`));
  });

  it("keeps the backend the user chose", () => {
    const { run, calls } = recordingRunner();
    deploy({ stack: "prod", upArgs: [], env: { PULUMI_BACKEND_URL: "https://api.pulumi.com" }, run });
    assert.ok(calls.every((c) => c.backend === "https://api.pulumi.com"));
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
