import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { buildProblem } from "../../src/cli/deploy.ts";
import { projectRoot } from "../helpers/shared.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-build-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(root: string, file: string, mtime: Date): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), "");
  fs.utimesSync(path.join(root, file), mtime, mtime);
}

describe("the build in dist/", () => {
  it("the compiled modules find the package root and its values/ from dist/, as the sources do", () => {
    const script = `
      const { PROJECT_ROOT } = require("./dist/src/config/stack-file.js");
      const { BASE_VALUES_DIR } = require("./dist/src/builders/base-values.js");
      console.log(JSON.stringify({ PROJECT_ROOT, BASE_VALUES_DIR }));
    `;
    const output = execFileSync(process.execPath, ["-e", script], { cwd: projectRoot, encoding: "utf8" });
    assert.deepEqual(JSON.parse(output), {
      PROJECT_ROOT: projectRoot,
      BASE_VALUES_DIR: path.join(projectRoot, "values"),
    });
  });

  it("deploy refuses a missing or outdated dist/ and says how to build", () => {
    const root = path.join(tmp, "project");
    const old = new Date("2026-01-01T00:00:00Z");
    const newer = new Date("2026-01-02T00:00:00Z");
    write(root, "src/config/schema.ts", old);
    assert.match(buildProblem(root) ?? "", /dist\/index\.js is missing: run `npm run build`/);
    write(root, "dist/index.js", newer);
    assert.equal(buildProblem(root), undefined);
    write(root, "components/sidekick.ts", new Date("2026-01-03T00:00:00Z"));
    assert.match(
      buildProblem(root) ?? "",
      /dist\/ is older than components\/sidekick\.ts: run `npm run build` \(`npm run deploy` builds first\)/,
    );
  });

  it("the CLI without a build says to build instead of failing with a stack trace", () => {
    const bare = path.join(tmp, "unbuilt");
    fs.mkdirSync(path.join(bare, "bin"), { recursive: true });
    fs.copyFileSync(
      path.join(projectRoot, "bin", "falco-stack.cjs"),
      path.join(bare, "bin", "falco-stack.cjs"),
    );
    const run = spawnSync(process.execPath, [path.join(bare, "bin", "falco-stack.cjs"), "--help"], {
      encoding: "utf8",
    });
    assert.equal(run.status, 2);
    assert.equal(run.stderr, "falco-stack: the CLI is not built; run `npm run build` (or `npm ci`) first\n");
  });
});
