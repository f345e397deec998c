import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { readStackConfig } from "../src/config/stack-file.ts";
import { pulumiConfigFrom, runUnderMocks } from "./helpers/pulumi-mocks.ts";
import { projectRoot } from "./helpers/shared.ts";

describe("entry points", () => {
  it("the package entry loads with plain node after npm ci, exports the library and deploys nothing", () => {
    // A child process with plain node: no tsx loader from the test runner, no Pulumi engine.
    const script = `
      const pulumi = require("@pulumi/pulumi");
      let registered = 0;
      pulumi.runtime
        .setMocks({ newResource(a) { registered++; return { id: "id", state: a.inputs }; }, call(a) { return a.inputs; } })
        .then(() => {
          const lib = require(${JSON.stringify(projectRoot)});
          setTimeout(() => console.log(JSON.stringify({ names: Object.keys(lib).sort(), registered })), 200);
        });
    `;
    const output = execFileSync(process.execPath, ["-e", script], { cwd: projectRoot, encoding: "utf8" });
    const { names, registered } = JSON.parse(output) as { names: string[]; registered: number };
    assert.equal(registered, 0, "importing the library registers no resource");
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
      async () => ({ ...((await import("../index.ts")) as Record<string, unknown>) }),
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
});
