import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot, sharedPath } from "../helpers/shared.ts";
import { hasStackTrace, runCommand, type CliOutcome } from "../helpers/cli-in-process.ts";
import { registerRulesCheckCommand } from "../../src/cli/rules-check.ts";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Runs the real binary in a child process: exit code and output as a user sees them. */
function spawnCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(
    process.execPath,
    [path.join(projectRoot, "bin", "falco-stack.cjs"), "rules", "check", ...args],
    {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs the command in this process (fast), with captured output and main's exit-code mapping. */
function cli(...args: string[]): Promise<CliOutcome> {
  return runCommand(
    (program, result, io) => registerRulesCheckCommand(program, result, io),
    ["check", ...args],
  ).done;
}

describe("falco-stack rules check", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rules-check-"));
    mkdirSync(path.join(dir, "rules.d"));
    writeFileSync(
      path.join(dir, "rules.d", "bad.yaml"),
      "- rule: r1\n  desc: d\n  condition: >\n    evt.type = open\n    and proc.nme = x\n  output: o\n  priority: INFO\n",
    );
    writeFileSync(path.join(dir, "rules.d", "notes.txt"), "not a rules file");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("passes the tutorial's rule with Falco's %container.info warning, on top of falco-rules", () => {
    const seed = sharedPath("data", "seed", "nginx-custom-rule.yaml");
    const lines = readFileSync(seed, "utf8").split("\n");
    const line = lines.findIndex((text) => text.includes("%container.info"));
    const col = (lines[line] as string).indexOf("%container.info") + 1;
    const run = spawnCli(seed);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^${escape(seed)}:${line + 1}:${col}: warning: %container\\.info is deprecated`),
    );
    assert.equal(run.stdout.split("\n").length, 2, "exactly one finding");
  });

  it("prints one line per finding, at the offending token, and exits 1 on errors (folders are read)", async () => {
    const run = await cli(path.join(dir, "rules.d"));
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      `${path.join(dir, "rules.d", "bad.yaml")}:5:9: error: filter_check called with nonexistent field proc.nme\n`,
    );
    assert.match(run.stderr, /1 error\(s\), 0 warning\(s\) in 1 file\(s\)/);
  });

  it("prints JSON findings with codes, loading --with files first", async () => {
    const run = await cli(
      "--format",
      "json",
      "--with",
      sharedPath("data", "falco", "rules", "falco_rules.yaml"),
      path.join(dir, "rules.d", "bad.yaml"),
    );
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { errors: number; findings: { code: string; line: number }[] };
    assert.equal(report.errors, 1);
    assert.deepEqual(
      report.findings.map((finding) => [finding.code, finding.line]),
      [["LOAD_ERR_COMPILE_CONDITION", 5]],
    );
  });

  it("exits 2 naming an unreadable path, and on usage errors, without a stack trace", async () => {
    const missing = path.join(dir, "missing.yaml");
    const unreadable = await cli(missing);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, new RegExp(`cannot read ${escape(missing)}: no such file or folder`));
    const usage = await cli("--format", "xml", missing);
    assert.equal(usage.code, 2);
    assert.ok(!hasStackTrace(unreadable.stderr + usage.stderr));
  });
});
