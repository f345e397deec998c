import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { OutputPathError } from "../../src/errors.ts";
import { renderStack, writeRenderedStack } from "../../src/render/render.ts";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-out-"));
}

/** The OutputPathError message writing the staging render to `out` gives. */
function refusal(out: string): string {
  const rendered = renderStack({ stack: "staging" });
  try {
    writeRenderedStack(rendered, out);
  } catch (error) {
    assert.ok(error instanceof OutputPathError, `expected OutputPathError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`wrote into ${out}`);
}

describe("render --out: the folder is checked before anything is written", () => {
  it("refuses /proc at once, instead of retrying mkdir forever", { timeout: 10_000 }, () => {
    assert.match(refusal("/proc/x"), /^--out \/proc\/x: lies under \/proc, .*give an ordinary folder/);
    assert.match(refusal("/sys/falco"), /lies under \/sys/);
    assert.match(refusal("/dev/falco/out"), /lies under \/dev/);
  });

  it("refuses a file, and a folder under a file", () => {
    const file = path.join(tempDir(), "taken");
    fs.writeFileSync(file, "x");
    assert.match(refusal(file), /is a file, or lies under one; give a directory/);
    assert.match(refusal(path.join(file, "out")), /lies under .*taken, which is a file/);
  });

  it("still creates a missing folder in an ordinary place", () => {
    const out = path.join(tempDir(), "a", "b");
    const written = writeRenderedStack(renderStack({ stack: "staging", outDir: out }), out);
    assert.ok(written.includes(path.join(out, "manifests.yaml")), written.join(", "));
    assert.ok(fs.statSync(path.join(out, "install.sh")).isFile());
  });
});
