import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/errors.ts";
import { readStackConfig, readStackFile, StackFileError } from "../../src/config/stack-file.ts";
import { renderStack } from "../../src/render/render.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-file-"));
let count = 0;

/** Writes `content` as a stack file and returns its path. */
function stackFile(content: string | Buffer): string {
  const file = path.join(dir, `Pulumi.case${count++}.yaml`);
  fs.writeFileSync(file, content);
  return file;
}

/** The message render gives for a stack file, after checking it is a clean user-facing refusal. */
function refusal(content: string | Buffer, env: Record<string, string> = {}): string {
  const file = stackFile(content);
  try {
    renderStack({ file, env });
  } catch (error) {
    assert.ok(
      error instanceof StackFileError || error instanceof ConfigError,
      `expected a clean refusal, got ${String(error)}`,
    );
    assert.ok(error.message.includes(file), `names the file: ${error.message}`);
    return error.message;
  }
  assert.fail(`rendered:\n${String(content)}`);
}

const STORAGE = "config:\n  falco-stack:ui:\n    storageClass: standard\n";

describe("stack files that are not stack files say so (issue 13, item 12)", () => {
  it("an empty or comment-only file", () => {
    for (const content of ["", "\n\n", "# just a comment\n# and another\n"]) {
      const message = refusal(content);
      assert.match(message, /holds no settings \(it is empty or only comments\)/);
      assert.doesNotMatch(message, /storageClass is required/);
    }
  });

  it("a top-level list or plain text", () => {
    assert.match(refusal("- falco-stack:ui: {}\n"), /is a list; a stack file is a map with config:/);
    assert.match(refusal("just some words\n"), /is plain text; a stack file is a map with config:/);
  });

  it("UTF-16 and binary garbage", () => {
    assert.match(refusal(Buffer.from(`\ufeff${STORAGE}`, "utf16le")), /is UTF-16 text; save it as UTF-8/);
    assert.match(refusal(Buffer.from(STORAGE, "utf16le")), /is UTF-16 text/);
    assert.match(
      refusal(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])),
      /not a text file/,
    );
    assert.match(refusal(Buffer.from([0x63, 0x6f, 0xff, 0xfe, 0xc3, 0x28, 0x0a])), /not valid UTF-8/);
  });

  it("a misspelt config:, and falco-stack keys outside it", () => {
    const typo = refusal("confg:\n  falco-stack:ui:\n    storageClass: standard\n");
    assert.match(typo, /:1:1: unknown top-level key "confg": did you mean config\?/);
    assert.doesNotMatch(typo, /storageClass is required/);
    assert.match(refusal("Config:\n  falco-stack:namespace: falco\n"), /did you mean config\?/);
    assert.match(
      refusal("falco-stack:ui:\n  storageClass: standard\n"),
      /falco-stack:ui is at the top level; falco-stack: keys go under config:/,
    );
    assert.match(refusal("secretsprovider: passphrase\n"), /has no config: settings/);
  });

  it("replicas out of range says the range", () => {
    const message = refusal(`${STORAGE}  falco-stack:sidekick:\n    replicas: 0\n`);
    assert.match(message, /falco-stack:sidekick\.replicas: must be a whole number from 1 to 20/);
    assert.match(
      refusal(`${STORAGE}    replicas: 1.5\n`),
      /falco-stack:ui\.replicas: must be a whole number from 1 to 10/,
    );
  });

  it("a nested setting written as one key (pulumi config set without --path) gets the --path command", () => {
    const message = refusal(`${STORAGE}  falco-stack:ui.storageSize: 20Gi\n`);
    assert.match(
      message,
      /falco-stack:ui\.storageSize: is one key named "ui\.storageSize", .*pulumi config set --path 'falco-stack:ui\.storageSize' VALUE/,
    );
    // The storage class given this way is not reported a second time as missing.
    const storageClass = refusal("config:\n  falco-stack:ui.storageClass: gp3\n");
    assert.equal(storageClass.match(/^ {2}falco-stack:ui\.storageClass:/gm)?.length, 1, storageClass);
  });

  it("values nested thousands deep are refused, without overflowing the stack", () => {
    for (const depth of [100, 3000]) {
      const flow = `${STORAGE}  falco-stack:sidekick:\n    values:\n      deep: ${"[".repeat(depth)}${"]".repeat(depth)}\n`;
      assert.match(refusal(flow), /nest(s)? (too deeply|deeper than 64 levels)/);
      let block = `${STORAGE}  falco-stack:falco:\n    values:\n`;
      for (let i = 0; i < depth; i++) block += `${" ".repeat(6 + 2 * i)}a:\n`;
      assert.match(refusal(block), /nest(s)? (too deeply|deeper than 64 levels)/);
    }
  });
});

describe("YAML anchors, aliases and merge keys resolve as Pulumi reads them (issue 13, item 10)", () => {
  it("an alias repeats the anchored value; a merge key merges it", () => {
    const file = stackFile(
      [
        "config:",
        "  falco-stack:ui: &ui",
        "    storageClass: &class standard",
        "    storageSize: 2Gi",
        "  falco-stack:sidekick:",
        "    values:",
        "      podLabels:",
        "        storage: *class",
        "  falco-stack:falco:",
        "    resources:",
        "      requests: &small { cpu: 100m, memory: 512Mi }",
        "      limits:",
        "        <<: *small",
        "        cpu: 500m",
        "",
      ].join("\n"),
    );
    const { config } = readStackConfig({ file });
    assert.equal(config.ui.storageSize, "2Gi");
    assert.deepEqual(config.falco.resources.limits, { cpu: "500m", memory: "512Mi" });
    assert.deepEqual(config.sidekick.values, { podLabels: { storage: "standard" } });
  });

  it("an alias bomb is refused with a bound, not expanded", () => {
    const lines = [
      "config:",
      "  falco-stack:ui:",
      "    storageClass: standard",
      "  falco-stack:falco:",
      "    values:",
    ];
    lines.push("      l0: &l0 [x, x, x, x, x, x, x, x, x, x]");
    for (let i = 1; i < 9; i++)
      lines.push(
        `      l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    assert.match(refusal(`${lines.join("\n")}\n`), /aliases expand too far/);
  });
});

describe("encrypted values render cannot read say so (issue 13, item 9)", () => {
  it("an encrypted setting outside the outputs", () => {
    const message = refusal(
      "config:\n  falco-stack:namespace:\n    secure: v1:abc\n  falco-stack:ui:\n    storageClass:\n      secure: v1:def\n",
    );
    assert.match(message, /falco-stack:namespace: is encrypted \(secure:\), so it cannot be read offline/);
    assert.match(
      message,
      /falco-stack:ui\.storageClass: is encrypted .*pulumi config set --path 'falco-stack:ui\.storageClass' VALUE/,
    );
    assert.doesNotMatch(message, /storageClass: is required/);
  });

  it("outputs encrypted as a whole, or one output encrypted as a whole", () => {
    const whole = refusal(`${STORAGE}  falco-stack:outputs:\n    secure: v1:abc\n`);
    assert.match(
      whole,
      /falco-stack:outputs: is encrypted as a whole, so it cannot be read offline and render would deploy no outputs at all/,
    );
    assert.match(whole, /pulumi config set --secret --path 'falco-stack:outputs\.<output>\.<key>'/);
    const block = refusal(`${STORAGE}  falco-stack:outputs:\n    slack:\n      secure: v1:abc\n`);
    assert.match(block, /falco-stack:outputs\.slack: is encrypted as a whole/);
  });

  it("an encrypted leaf of an output still renders as a placeholder", () => {
    const file = stackFile(
      `${STORAGE}  falco-stack:outputs:\n    slack:\n      webhookurl:\n        secure: v1:abc\n`,
    );
    assert.equal(renderStack({ file, env: {} }).placeholders.length, 1);
    assert.deepEqual([...readStackFile({ file }).securePaths], ["outputs.slack.webhookurl"]);
  });
});

describe("one run reports every mistake of a stack file (issue 13, item 11)", () => {
  it("a bad volume size, a misspelt output and a missing rules folder together", () => {
    const message = refusal(
      "config:\n  falco-stack:ui:\n    storageClass: standard\n    storageSize: 10GB\n  falco-stack:outputs:\n    slak:\n      webhookurl: https://hooks.slack.com/x\n  falco-stack:rules:\n    files: [no-such-folder]\n",
    );
    assert.match(message, /falco-stack:ui\.storageSize: /);
    assert.match(message, /falco-stack:outputs\.slak: unknown output/);
    assert.match(message, /falco-stack:rules\.files\[0\]: "no-such-folder" does not exist/);
  });

  it("a broken rule joins the config's mistakes", () => {
    const rules = path.join(dir, "broken-rules");
    fs.mkdirSync(rules);
    fs.writeFileSync(
      path.join(rules, "bad.yaml"),
      "- rule: x\n  desc: x\n  condition: evt.type = open and\n  output: x\n  priority: WARNING\n",
    );
    const message = refusal(
      `config:\n  falco-stack:ui:\n    storageClass: standard\n    storageSize: 0\n  falco-stack:rules:\n    files: [${rules}]\n`,
    );
    assert.match(message, /falco-stack:ui\.storageSize: /);
    assert.match(message, /falco-stack:rules\.files: .*bad\.yaml:\d+:\d+: error: /);
  });
});
