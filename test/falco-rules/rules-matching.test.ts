import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildFalcoValues } from "../../src/builders/falco-values.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseStackConfig } from "../../src/config/schema.ts";
import { FalcoStackError } from "../../src/errors.ts";
import { OVERLAPPING_RULES, runRulesTestCapturing, scratchFolder } from "../helpers/rules-test-run.ts";
import { projectRoot, sharedPath } from "../helpers/shared.ts";

const FALCO_RULES = sharedPath("data", "falco", "rules", "falco_rules.yaml");
const INCUBATING_RULES = sharedPath("data", "falco", "rules", "falco-incubating_rules.yaml");
const ownRules = ["falco-stack-detections.yaml", "nginx-html-write.yaml"].map((name) =>
  path.join(projectRoot, "rules", name),
);
const PACKAGE_CASES = path.join(projectRoot, "test", "rules", "package-install.yaml");
const APK_CASE =
  "apk add run straight through kubectl exec in an alpine container (also a new exec'd process)";

const run = runRulesTestCapturing;

/** The lines printed for one case: its PASS/FAIL line and the indented lines after it. */
function caseLines(lines: readonly string[], name: string): string[] {
  const start = lines.findIndex((line) => /^(PASS|FAIL) {2}/.test(line) && line.includes(`  ${name}  (`));
  assert.ok(start >= 0, `case "${name}" not printed`);
  const block = [lines[start] as string];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("      ")) break;
    block.push(line.trim());
  }
  return block;
}

const scratch = scratchFolder("falco-stack-rule-matching-");
const scratchFile = scratch.file;

describe("rule_matching: one execve that two rules match", () => {
  const withFiles = [FALCO_RULES, INCUBATING_RULES, ...ownRules];

  it("first (the default): raises only the upstream rule, which loads first, and names the shadowed one", () => {
    const { code, lines } = run({ cases: [PACKAGE_CASES], withFiles });
    assert.equal(code, 0);
    assert.equal(lines[1], "rule_matching: first");
    const block = caseLines(lines, APK_CASE);
    assert.match(block[0] as string, /^PASS/);
    assert.deepEqual(block.slice(1), [
      "fired: Launch Package Management Process in Container",
      "also matches, not raised under rule_matching first: Process launched in container by exec",
    ]);
  });

  it("all: raises both, so the case that expects one fails and says which rule was extra", () => {
    const { code, lines } = run({ cases: [PACKAGE_CASES], withFiles, ruleMatching: "all" });
    assert.equal(code, 1);
    assert.equal(lines[1], "rule_matching: all");
    const block = caseLines(lines, APK_CASE);
    assert.match(block[0] as string, /^FAIL/);
    assert.deepEqual(block.slice(1), [
      "fired: Launch Package Management Process in Container, Process launched in container by exec",
      "fired but not expected: Process launched in container by exec",
    ]);
  });

  it("first: a case expecting the shadowed rule fails and says which rule is raised instead", () => {
    const cases = scratchFile(
      "shadowed.yaml",
      `- name: expects ours
  event:
    evt.type: execve
    proc.name: apk
    proc.exepath: /sbin/apk
    proc.cmdline: apk add --no-cache socat
    proc.pname: runc
    proc.vpid: 19
    proc.tty: 0
    user.name: root
    container.id: 4c5d6e7f8a9b
    container.image.repository: docker.io/library/alpine
  expect: [Process launched in container by exec]
`,
    );
    const { code, lines } = run({ cases: [cases], withFiles });
    assert.equal(code, 1);
    assert.ok(
      lines.includes(
        "      expected but did not fire: Process launched in container by exec (matches, but Launch Package Management Process in Container is raised first)",
      ),
      lines.join("\n"),
    );
  });
});

describe("rule_matching with --stack", () => {
  let root: string;
  const cases = `- name: bash
  event: {evt.type: execve, proc.name: bash}
  expect: [Shell, Any exec]
`;
  before(() => {
    root = path.join(scratch.dir(), "project");
    mkdirSync(path.join(root, "rules"), { recursive: true });
    writeFileSync(path.join(root, "rules", "r.yaml"), OVERLAPPING_RULES);
    writeFileSync(
      path.join(root, "Pulumi.all.yaml"),
      "config:\n  falco-stack:ui:\n    storageClass: standard\n  falco-stack:falco:\n    ruleMatching: all\n  falco-stack:rules:\n    rulesets: [falco-rules]\n",
    );
  });

  it("uses the stack's falco.ruleMatching", () => {
    const { code, lines } = run({
      cases: [scratchFile("stack-cases.yaml", cases)],
      stack: "all",
      withFiles: [FALCO_RULES],
      projectRoot: root,
    });
    assert.equal(lines[1], "rule_matching: all (falco.ruleMatching of stack all)");
    assert.equal(code, 0);
  });

  it("refuses a --rule-matching that contradicts the stack", () => {
    assert.throws(
      () =>
        run({
          cases: [scratchFile("stack-cases.yaml", cases)],
          stack: "all",
          withFiles: [FALCO_RULES],
          projectRoot: root,
          ruleMatching: "first",
        }),
      (error: unknown) =>
        error instanceof FalcoStackError &&
        error.exitCode === 2 &&
        /--rule-matching first contradicts stack all, whose falco\.ruleMatching is all/.test(error.message),
    );
  });
});

describe("load order with --stack", () => {
  it("follows rules.rulesets, the order the stack writes Falco's rules_files in", () => {
    const root = path.join(scratch.dir(), "ordered");
    mkdirSync(path.join(root, "rules"), { recursive: true });
    writeFileSync(
      path.join(root, "Pulumi.o.yaml"),
      "config:\n  falco-stack:ui:\n    storageClass: standard\n  falco-stack:rules:\n    rulesets: [falco-incubating-rules, falco-rules]\n",
    );
    const cases = scratchFile(
      "ordered-cases.yaml",
      "- name: nothing\n  event: {evt.type: close}\n  expect: []\n",
    );
    const { lines } = run({
      cases: [cases],
      stack: "o",
      withFiles: [FALCO_RULES, INCUBATING_RULES],
      projectRoot: root,
    });
    assert.equal(
      lines[0],
      `rules: ${INCUBATING_RULES} [falco-incubating-rules from --with], ${FALCO_RULES} [falco-rules from --with]`,
    );
  });
});

describe("falco.ruleMatching in the stack config", () => {
  const withStorage = { ui: { storageClass: "standard" } };
  const values = (falco: Record<string, unknown>) =>
    buildFalcoValues({
      namespace: "falco",
      falco: parseStackConfig({ ...withStorage, falco }).falco,
      rulesets: ["falco-rules"],
      rulesChecksum: "0",
    }) as { falco: { rule_matching: unknown } };

  it("defaults to first and is written to Falco's config as falco.rule_matching", () => {
    assert.equal(values({}).falco.rule_matching, "first");
    assert.equal(values({ ruleMatching: "all" }).falco.rule_matching, "all");
  });

  it("refuses other modes, and the raw chart value the stack owns", () => {
    for (const falco of [{ ruleMatching: "last" }, { values: { falco: { rule_matching: "all" } } }]) {
      assert.throws(
        () => parseStackConfig({ ...withStorage, falco }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.issues.some((issue) => /ruleMatching|rule_matching/.test(`${issue.key} ${issue.message}`)),
      );
    }
  });
});
