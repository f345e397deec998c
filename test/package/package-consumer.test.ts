import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { buildProblem } from "../../src/cli/deploy.ts";
import { projectRoot } from "../helpers/shared.ts";

/**
 * The package as a consumer gets it: the files `npm pack` ships (dist/ from `npm run build`, which
 * `pretest` runs), installed by name next to a consumer project copied from test/fixtures/consumer.
 */
const FIXTURE = path.join(projectRoot, "test", "fixtures", "consumer");
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/consumer-test";
/** The auto-name the mocks give the consumer's StorageClass, as the Kubernetes provider would. */
const STORAGE_CLASS_NAME = "fast-auto";
const CONSUMER_RULE_FILE = "consumer-tmp-write.yaml";

interface ConsumerRun {
  resources: string[];
  found: Record<string, { resource: string; secret: boolean }[]>;
  outputs: Record<string, unknown>;
}

let tmp: string;
let packageDir: string;
let consumerDir: string;
let packedFiles: string[];

function packedFileList(): string[] {
  // --ignore-scripts: listing the files must not rebuild dist/ under the other tests.
  const json = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: projectRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const [pack] = JSON.parse(json) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((file) => file.path).sort();
}

function link(target: string, at: string): void {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, "dir");
}

before(() => {
  assert.equal(buildProblem(projectRoot), undefined, "dist/ is built and current");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-consumer-"));
  packageDir = path.join(tmp, "falco-stack");
  consumerDir = path.join(tmp, "consumer");
  packedFiles = packedFileList();
  for (const file of packedFiles) {
    fs.mkdirSync(path.dirname(path.join(packageDir, file)), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, file), path.join(packageDir, file));
  }
  // The package's own dependencies, as npm would install them beside it.
  link(path.join(projectRoot, "node_modules"), path.join(packageDir, "node_modules"));
  fs.cpSync(FIXTURE, consumerDir, { recursive: true });
  link(packageDir, path.join(consumerDir, "node_modules", "falco-stack"));
  for (const scope of ["@pulumi", "@types"]) {
    link(path.join(projectRoot, "node_modules", scope), path.join(consumerDir, "node_modules", scope));
  }
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the built package, installed in a consumer project", () => {
  it("ships the compiled entry, its types, the CLI and the files read at run time, and no TypeScript sources", () => {
    for (const file of [
      "package.json",
      "dist/library.js",
      "dist/library.d.ts",
      "dist/provider.js",
      "dist/src/cli/main.js",
      "bin/falco-stack.cjs",
      "values/falco.yaml",
      "values/falcosidekick.yaml",
      "rules/nginx-html-write.yaml",
    ]) {
      assert.ok(packedFiles.includes(file), `ships ${file}`);
    }
    const sources = packedFiles.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
    assert.deepEqual(sources, []);
  });

  let compiled = false;

  it("compiles a consumer with module nodenext, strict and no skipLibCheck, importing the package by name", () => {
    const tsc = spawnSync(
      process.execPath,
      [path.join(projectRoot, "node_modules", "typescript", "bin", "tsc"), "-p", consumerDir],
      { encoding: "utf8" },
    );
    assert.equal(tsc.stdout + tsc.stderr, "", "no compiler errors");
    assert.equal(tsc.status, 0);
    compiled = true;
  });

  it("runs the compiled consumer under mocks: the stack registers, the secret stays secret, the Output and the consumer's rules arrive", () => {
    assert.ok(compiled, "the consumer compiled");
    const output = execFileSync(process.execPath, [path.join(consumerDir, "run-under-mocks.cjs")], {
      cwd: consumerDir,
      encoding: "utf8",
      env: {
        ...process.env,
        CONSUMER_SLACK_WEBHOOK: WEBHOOK,
        CONSUMER_FIND: JSON.stringify([WEBHOOK, STORAGE_CLASS_NAME, CONSUMER_RULE_FILE]),
      },
    });
    const run = JSON.parse(output) as ConsumerRun;
    for (const resource of [
      "falco-stack:index:FalcoSecurityStack::security",
      "kubernetes:helm.sh/v4:Chart::security-falco",
      "kubernetes:helm.sh/v4:Chart::security-sidekick",
    ]) {
      assert.ok(run.resources.includes(resource), `registers ${resource}; got ${run.resources.join(", ")}`);
    }
    const webhook = run.found[WEBHOOK] ?? [];
    assert.ok(webhook.length > 0, "the webhook reaches a resource");
    assert.deepEqual(
      webhook.filter((use) => !use.secret),
      [],
      "the webhook never reaches the engine in plain text",
    );
    const storageClass = (run.found[STORAGE_CLASS_NAME] ?? []).filter(
      (use) => !use.resource.startsWith("kubernetes:storage.k8s.io/v1:StorageClass::"),
    );
    assert.ok(storageClass.length > 0, "the StorageClass name, an Output, reaches the stack");
    assert.ok(
      (run.found[CONSUMER_RULE_FILE] ?? []).some((use) =>
        use.resource.startsWith("kubernetes:core/v1:ConfigMap::"),
      ),
      "rule files relative to the consumer's project end up in the rules ConfigMap",
    );
    assert.equal(run.outputs.namespace, "security");
  });

  it("runs the installed CLI with plain node from the consumer's project", () => {
    const cli = path.join(consumerDir, "node_modules", "falco-stack", "bin", "falco-stack.cjs");
    const check = spawnSync(process.execPath, [cli, "rules", "check", "my-rules"], {
      cwd: consumerDir,
      encoding: "utf8",
    });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout + check.stderr, /0 error\(s\), 0 warning\(s\) in 1 file\(s\)/);
  });
});
