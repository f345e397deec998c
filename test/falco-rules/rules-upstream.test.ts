import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { sharedPath } from "../helpers/shared.ts";
import { UPSTREAM_FILE_NAMES, upstreamFile } from "../helpers/rules-files.ts";
import { validateRules, loadRuleset, formatFinding } from "../../src/falco-rules/index.ts";

describe("the upstream rules files", () => {
  for (const name of UPSTREAM_FILE_NAMES) {
    it(`${name} validates alone with no error and no warning`, () => {
      const findings = validateRules([upstreamFile(name)], { upstreamRulesets: [] });
      assert.deepEqual(findings.map(formatFinding), []);
    });
  }

  it("validate together, in the order the stack installs them", () => {
    const findings = validateRules(UPSTREAM_FILE_NAMES.map(upstreamFile), { upstreamRulesets: [] });
    assert.deepEqual(findings.map(formatFinding), []);
  });

  it("load into a ruleset with expanded lists and parsed conditions", () => {
    const { ruleset } = loadRuleset([upstreamFile("falco_rules.yaml")], { upstreamRulesets: [] });
    const shell = ruleset.rulesByName.get("Terminal shell in container");
    assert.ok(shell?.condition, "the rule's condition parsed");
    assert.equal(shell.source, "syscall");
    assert.ok(ruleset.macrosByName.get("spawned_process")?.condition);
    // shell_binaries holds plain names; no list item survives as another list's name
    const shells = ruleset.listsByName.get("shell_binaries")?.items ?? [];
    assert.ok(shells.includes("bash"));
    for (const list of ruleset.lists) {
      for (const item of list.items) {
        const referenced = ruleset.listsByName.get(item);
        assert.ok(
          !referenced ||
            referenced.location === undefined ||
            (list.location?.line ?? 0) < (referenced.location.line ?? 0),
          `${list.name} keeps ${item}`,
        );
      }
    }
  });
});

interface LoaderCase {
  name: string;
  expect: string;
  rules: string;
}

describe("loader-cases.yaml (each loaded after falco_rules.yaml)", () => {
  const cases = parse(readFileSync(sharedPath("data", "falco", "loader-cases.yaml"), "utf8")) as LoaderCase[];
  const context = [upstreamFile("falco_rules.yaml")];

  it("has cases", () => {
    assert.ok(cases.length >= 20);
  });

  for (const testCase of cases) {
    it(`${testCase.name} gives ${testCase.expect}`, () => {
      const path = `${testCase.name}.yaml`;
      const findings = validateRules([{ path, text: testCase.rules }], { contextFiles: context });
      assert.ok(
        findings.every((finding) => finding.file === path),
        "the context file stays clean",
      );
      const firstError = findings.find((finding) => finding.severity === "error");
      if (testCase.expect === "ok") {
        assert.equal(firstError, undefined, firstError && formatFinding(firstError));
      } else if (testCase.expect.startsWith("LOAD_ERR")) {
        assert.equal(firstError?.code, testCase.expect, findings.map(formatFinding).join("\n"));
      } else {
        assert.equal(firstError, undefined, firstError && formatFinding(firstError));
        assert.ok(
          findings.some((finding) => finding.severity === "warning" && finding.code === testCase.expect),
          findings.map(formatFinding).join("\n"),
        );
      }
    });
  }
});
