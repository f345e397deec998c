import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { providerIdentity, startPluginHost } from "../helpers/analyzer.ts";
import { projectRoot } from "../helpers/shared.ts";

const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  main: string;
};

describe("the multi-language plugin package (pulumi package add)", () => {
  it("PulumiPlugin.yaml declares a nodejs plugin whose entry is package.json main, the compiled provider", () => {
    const plugin = parse(fs.readFileSync(path.join(projectRoot, "PulumiPlugin.yaml"), "utf8")) as {
      runtime: string;
      main?: string;
    };
    assert.equal(plugin.runtime, "nodejs");
    assert.equal(plugin.main, undefined, "the repository root is the plugin directory");
    assert.equal(manifest.main, "dist/provider.js");
    // The provider name comes from package.json: the component's token is falco-stack:index:...
    assert.deepEqual(providerIdentity(manifest.name), { name: "falco-stack" });
  });

  it("the entry exposes exactly FalcoSecurityStack and registers nothing when imported", () => {
    // Plain node, as the plugin host loads it: require(plugin dir) is package.json main.
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const { getPulumiComponents } = require("@pulumi/pulumi/provider/experimental");
      let registered = 0;
      pulumi.runtime
        .setMocks({ newResource(a) { registered++; return { id: "id", state: a.inputs }; }, call(a) { return a.inputs; } })
        .then(() => {
          const names = getPulumiComponents(require(${JSON.stringify(projectRoot)})).map((c) => c.name);
          setTimeout(() => console.log(JSON.stringify({ names, registered })), 200);
        });
    `;
    const output = execFileSync(process.execPath, ["-e", script], { cwd: projectRoot, encoding: "utf8" });
    const { names, registered } = JSON.parse(output) as { names: string[]; registered: number };
    assert.deepEqual(names, ["FalcoSecurityStack"]);
    assert.equal(registered, 0);
  });

  it("the Node SDK's plugin host, as pulumi-language-nodejs starts it, serves the package and reports its version", async () => {
    const host = await startPluginHost(projectRoot);
    try {
      assert.equal(await host.pluginInfo(), manifest.version);
    } finally {
      host.stop();
    }
  });
});
