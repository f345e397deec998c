import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../components/program.ts";
import { failureUnderMocks } from "../helpers/pulumi-mocks.ts";

/** The message `pulumi up` stops with for this config map, after checking nothing was registered. */
async function upRefusal(config: Record<string, string>): Promise<string> {
  const { error, registered } = await failureUnderMocks(runProgram, config, { stack: "dev" });
  assert.ok(error instanceof pulumi.RunError, `a RunError, got ${String(error)}`);
  assert.equal(registered, 0, "nothing registered");
  assert.doesNotMatch(error.message, /\n\s+at /, "no stack trace");
  return error.message;
}

describe("pulumi up reads the config as render does (issue 13)", () => {
  it("a nested setting set without --path gets the --path command", async () => {
    const message = await upRefusal({
      "falco-stack:ui": JSON.stringify({ storageClass: "standard" }),
      "falco-stack:ui.storageSize": "20Gi",
    });
    assert.match(
      message,
      /falco-stack:ui\.storageSize: is one key .*pulumi config set --path 'falco-stack:ui\.storageSize' VALUE/,
    );
  });

  it("settings, outputs and rule files are reported together", async () => {
    const message = await upRefusal({
      "falco-stack:ui": JSON.stringify({ storageClass: "standard", storageSize: "10GB" }),
      "falco-stack:outputs": JSON.stringify({ slak: { webhookurl: "https://hooks.slack.com/x" } }),
      "falco-stack:rules": JSON.stringify({ files: ["no-such-folder"] }),
      "falco-stak:demo": JSON.stringify({ enabled: true }),
    });
    assert.match(message, /falco-stack:ui\.storageSize: /);
    assert.match(message, /falco-stack:outputs\.slak: unknown output/);
    assert.match(message, /falco-stack:rules\.files\[0\]: "no-such-folder" does not exist/);
    assert.match(message, /falco-stak:demo: unknown config namespace/);
  });

  it("a value nested thousands deep is refused before anything recurses over it", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    const message = await upRefusal({
      "falco-stack:ui": JSON.stringify({ storageClass: "standard" }),
      "falco-stack:sidekick": JSON.stringify({ values: deep }),
    });
    assert.match(message, /falco-stack:sidekick\.values\.a\.a: nests deeper than 64 levels/);
  });
});
