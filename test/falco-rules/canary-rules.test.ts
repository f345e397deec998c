import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CANARY_RULE } from "../../src/builders/canary.ts";
import { runRulesTest } from "../../src/cli/rules-test.ts";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { loadCases } from "../../src/falco-rules/index.ts";
import { loadRuleset } from "../../src/falco-rules/index.ts";
import { runCases } from "../../src/falco-rules/index.ts";
import { projectRoot, sharedPath } from "../helpers/shared.ts";

/**
 * The canary rule proves detection only if the canary's event raises it and nothing else, and no
 * other event raises it. The evaluator raises every matching rule (`rule_matching: all`), so a case
 * that raises exactly the canary rule with everything loaded also proves that under
 * `rule_matching: first` no rule can shadow it, wherever it sits in the load order.
 */

const upstream = (name: string) => sharedPath("data", "falco", "rules", name);
const RULESETS = {
  "falco-rules": upstream("falco_rules.yaml"),
  "falco-incubating-rules": upstream("falco-incubating_rules.yaml"),
  "falco-sandbox-rules": upstream("falco-sandbox_rules.yaml"),
};
const caseDir = path.join(projectRoot, "test", "rules");
const canaryCases = path.join(caseDir, "canary.yaml");
const ordinaryCases = path.join(caseDir, "canary-ordinary.yaml");
const ownRules = fs
  .readdirSync(path.join(projectRoot, "rules"))
  .filter((name) => name.endsWith(".yaml"))
  .sort()
  .map((name) => path.join(projectRoot, "rules", name));

function run(cases: string[], options: { stack?: string; withFiles: string[] }) {
  const lines: string[] = [];
  const code = runRulesTest({
    cases,
    ...options,
    projectRoot,
    out: (line) => lines.push(line),
    err: () => undefined,
  });
  return { code, failures: lines.filter((line) => line.startsWith("FAIL")).join("\n") };
}

describe("canary rule", () => {
  for (const stack of ["prod", "staging", "dev"]) {
    it(`${stack}: the canary raises it, and only it, with everything the stack loads`, () => {
      const enabled = readStackConfig({ stack }).config.rules.rulesets;
      const outcome = run([canaryCases, ordinaryCases], {
        stack,
        withFiles: enabled.map((name) => RULESETS[name]),
      });
      assert.equal(outcome.failures, "");
      assert.equal(outcome.code, 0);
    });
  }

  it("is not matched by any other rule of every upstream ruleset a stack can enable, so none can shadow it", () => {
    const outcome = run([canaryCases], { withFiles: [...Object.values(RULESETS), ...ownRules] });
    assert.equal(outcome.failures, "");
    assert.equal(outcome.code, 0);
    const files = [...Object.values(RULESETS), ...ownRules].map((file) => ({
      path: file,
      text: fs.readFileSync(file, "utf8"),
    }));
    const { ruleset } = loadRuleset(files, { upstreamRulesets: [] });
    const { cases } = loadCases([canaryCases]);
    const raised = runCases(ruleset, cases).results.filter((result) => result.fired.includes(CANARY_RULE));
    assert.ok(raised.length >= 2, "the scheduled and the triggered beacon");
    for (const result of raised) {
      assert.deepEqual(result.fired, [CANARY_RULE], `${result.testCase.name}: the first match is the canary`);
    }
  });

  it("is raised by no ordinary event: not by any other case in test/rules", () => {
    const files = [RULESETS["falco-rules"], RULESETS["falco-incubating-rules"], ...ownRules].map((file) => ({
      path: file,
      text: fs.readFileSync(file, "utf8"),
    }));
    const { ruleset } = loadRuleset(files, { upstreamRulesets: [] });
    const { cases, issues } = loadCases([caseDir]);
    assert.deepEqual(issues, []);
    const ordinary = cases.filter((testCase) => testCase.position.file !== canaryCases);
    assert.ok(ordinary.length > 40, "shells, package installs, file writes, the demo's triggers");
    const raised = runCases(ruleset, ordinary)
      .results.filter((result) => result.fired.includes(CANARY_RULE))
      .map((result) => result.testCase.name);
    assert.deepEqual(raised, []);
  });
});
