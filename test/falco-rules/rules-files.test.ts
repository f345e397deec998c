import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { registerRulesCheckCommand } from "../../src/cli/rules-check.ts";
import { runRulesTest } from "../../src/cli/rules-test.ts";
import {
  collectStackRuleFiles,
  loadCases,
  readRulesPaths,
  readRulesText,
  validateRules,
} from "../../src/falco-rules/index.ts";
import { runCommand } from "../helpers/cli-in-process.ts";
import { sharedPath } from "../helpers/shared.ts";

const RULE =
  "- rule: r1\n  desc: d\n  condition: evt.type = open and proc.name = x\n  output: o\n  priority: INFO\n";
const BOM = "\ufeff";

function check(...args: string[]) {
  return runCommand(
    (program, result, io) => registerRulesCheckCommand(program, result, io),
    ["check", "--ruleset", "falco-rules", ...args],
  ).done;
}

let dir = "";
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "rules-files-"));
  // A rules folder as a user has it: rules, a subfolder, notes, and a folder that looks like a file.
  mkdirSync(path.join(dir, "rules", "sub"), { recursive: true });
  mkdirSync(path.join(dir, "rules", "x.yaml"));
  writeFileSync(path.join(dir, "rules", "b.yml"), RULE.replace("r1", "r2"));
  writeFileSync(path.join(dir, "rules", "a.yaml"), RULE);
  writeFileSync(path.join(dir, "rules", "notes.txt"), "not rules");
  writeFileSync(path.join(dir, "rules", "sub", "broken.yaml"), "- rule: [\n");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("rules folders, as Falco reads them", () => {
  it("rules check reads a folder's .yaml/.yml files in name order, not its subfolders, and says what it skipped", async () => {
    const folder = path.join(dir, "rules");
    const run = await check(folder);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout, "");
    assert.deepEqual(run.stderr.split("\n").slice(0, -2), [
      `skipped ${path.join(folder, "notes.txt")}: does not end in .yaml or .yml`,
      `skipped ${path.join(folder, "sub")}: is a folder; Falco does not read the folders inside a rules folder`,
      `skipped ${path.join(folder, "x.yaml")}: is a folder; Falco does not read the folders inside a rules folder`,
    ]);
    assert.match(run.stderr, /0 error\(s\), 0 warning\(s\) in 2 file\(s\)\n$/);
  });

  it("the stack's rules.files takes the same files from the same folder, and a folder named x.yaml is no EISDIR", () => {
    const stack = collectStackRuleFiles(["rules"], dir);
    assert.deepEqual(stack.issues, []);
    assert.deepEqual(
      stack.files.map((file) => file.key),
      ["a.yaml", "b.yml"],
    );
    assert.deepEqual(
      readRulesPaths([path.join(dir, "rules")]).files.map((file) => path.basename(file.path)),
      ["a.yaml", "b.yml"],
    );
    assert.deepEqual(
      stack.skipped.map((entry) => path.basename(entry.path)),
      ["notes.txt", "sub", "x.yaml"],
    );
  });

  it("rules test --stack names the skipped entries of the stack's folders", () => {
    const root = path.join(dir, "project");
    mkdirSync(path.join(root, "rules", "old"), { recursive: true });
    writeFileSync(path.join(root, "rules", "a.yaml"), RULE);
    writeFileSync(
      path.join(root, "Pulumi.t.yaml"),
      "config:\n  falco-stack:ui:\n    storageClass: standard\n  falco-stack:rules:\n    rulesets: [falco-rules]\n",
    );
    const cases = path.join(dir, "cases.yaml");
    writeFileSync(cases, "- name: open x\n  event: {evt.type: open, proc.name: x}\n  expect: [r1]\n");
    const errors: string[] = [];
    const code = runRulesTest({
      cases: [cases],
      stack: "t",
      withFiles: [sharedPath("data", "falco", "rules", "falco_rules.yaml")],
      projectRoot: root,
      out: () => {},
      err: (line) => errors.push(line),
    });
    assert.equal(code, 0);
    assert.ok(
      errors.includes(
        `note: skipped ${path.join(root, "rules", "old")}: is a folder; Falco does not read the folders inside a rules folder`,
      ),
      errors.join("\n"),
    );
  });
});

describe("rules file encoding", () => {
  it("accepts a UTF-8 byte-order mark, as Falco's YAML reader does, and ships the file unchanged", () => {
    const root = path.join(dir, "bom");
    mkdirSync(root);
    writeFileSync(path.join(root, "a.yaml"), BOM + RULE.replace("proc.name = x", "proc.nme = x"));
    const text = readRulesText(path.join(root, "a.yaml"));
    assert.equal(text, BOM + RULE.replace("proc.name = x", "proc.nme = x"));
    // Positions are those an editor shows: the mark takes no column.
    assert.deepEqual(
      validateRules([{ path: "a.yaml", text }], { upstreamRulesets: [] }).map(
        (finding) => `${finding.line}:${finding.col}: ${finding.message}`,
      ),
      ["3:34: filter_check called with nonexistent field proc.nme"],
    );
    assert.equal(
      collectStackRuleFiles(["."], root).files[0]?.content,
      readFileSync(path.join(root, "a.yaml"), "utf8"),
    );
  });

  it("refuses invalid UTF-8 at its line and column instead of replacing it", async () => {
    const file = path.join(dir, "latin1.yaml");
    const bytes = Buffer.concat([
      Buffer.from("- list: l\n  items: [caf"),
      Buffer.from([0xe9]),
      Buffer.from("]\n"),
    ]);
    writeFileSync(file, bytes);
    const run = await check(file);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:14: invalid UTF-8 \\(byte 0xe9`),
    );
    assert.match(
      collectStackRuleFiles([file], dir).issues[0]?.message ?? "",
      /latin1\.yaml:2:14: invalid UTF-8/,
    );
    const cases = path.join(dir, "latin1-cases.yaml");
    writeFileSync(cases, Buffer.concat([Buffer.from("- name: caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    assert.deepEqual(
      loadCases([cases]).issues.map((issue) => [issue.line, issue.col, issue.message.split(" (")[0]]),
      [[1, 12, "invalid UTF-8"]],
    );
  });
});
