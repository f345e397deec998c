import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { pulumiConfigFrom, runUnderMocks } from "../helpers/pulumi-mocks.ts";
import { projectRoot } from "../helpers/shared.ts";

describe("entry points", () => {
  it("the package entry (falco-stack by name) is the compiled library: plain node loads it, registers no TypeScript loader and deploys nothing", () => {
    // A child process with plain node: no tsx loader from the test runner, no Pulumi engine.
    const script = `
      const pulumi = require("@pulumi/pulumi");
      let registered = 0;
      pulumi.runtime
        .setMocks({ newResource(a) { registered++; return { id: "id", state: a.inputs }; }, call(a) { return a.inputs; } })
        .then(() => {
          const lib = require("falco-stack");
          const entry = require.resolve("falco-stack");
          const tsLoader = require.extensions[".ts"] !== undefined;
          setTimeout(() => console.log(JSON.stringify({ names: Object.keys(lib).sort(), registered, entry, tsLoader })), 200);
        });
    `;
    const output = execFileSync(process.execPath, ["-e", script], { cwd: projectRoot, encoding: "utf8" });
    const { names, registered, entry, tsLoader } = JSON.parse(output) as {
      names: string[];
      registered: number;
      entry: string;
      tsLoader: boolean;
    };
    assert.equal(registered, 0, "importing the library registers no resource");
    assert.equal(entry, path.join(projectRoot, "dist", "library.js"));
    assert.equal(tsLoader, false, "no process-wide TypeScript loader");
    for (const name of [
      "FalcoSecurityStack",
      "parseStackConfig",
      "renderStack",
      "buildFalcoValues",
      "buildSidekickValues",
      "planOutputs",
    ]) {
      assert.ok(names.includes(name), `exports ${name}; has ${names.join(", ")}`);
    }
  });

  it("index.ts is the Pulumi program: importing it after setMocks registers the stack", async () => {
    const raw = readStackConfig({ stack: "dev" }).raw;
    const run = await runUnderMocks(
      async () => ({ ...((await import("../../index.ts")) as Record<string, unknown>) }),
      pulumiConfigFrom(raw),
      { stack: "dev" },
    );
    assert.ok(
      run.resources.some((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "falco"),
    );
    assert.ok(
      run.resources.some(
        (r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "falcosidekick",
      ),
    );
    assert.equal(run.outputs.namespace, "falco");
    assert.deepEqual(run.secretOutputs.sort(), ["uiPassword", "uiUser"]);
  });

  it("Pulumi.yaml runs the compiled program, which registers the stack under mocks without tsx", async () => {
    const project = parse(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as {
      main: string;
      runtime: { options?: Record<string, unknown> };
    };
    assert.equal(project.main, "dist/index.js");
    assert.equal(project.runtime.options?.nodeargs, undefined, "no --import tsx");
    const raw = readStackConfig({ stack: "dev" }).raw;
    const run = await runUnderMocks(
      async () => ({ ...((await import(path.join(projectRoot, project.main))) as Record<string, unknown>) }),
      pulumiConfigFrom(raw),
      { stack: "dev" },
    );
    assert.ok(run.resources.some((r) => r.type === "falco-stack:index:FalcoSecurityStack"));
    assert.ok(
      run.resources.some((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "falco"),
    );
    assert.equal(run.outputs.namespace, "falco");
    assert.deepEqual(run.secretOutputs.sort(), ["uiPassword", "uiUser"]);
  });
});
