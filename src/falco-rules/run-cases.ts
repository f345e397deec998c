import type { CaseIssue, RuleTestCase } from "./cases.ts";
import { evaluatorFor, type EvaluatorProblem } from "./evaluate.ts";
import type { Ruleset } from "./model.ts";

/** The outcome of one rule test case. */
export interface CaseResult {
  testCase: RuleTestCase;
  /** Rules that fired, in load order. */
  fired: string[];
  passed: boolean;
  /** Expected but did not fire. */
  missing: string[];
  /** Fired but not expected. */
  unexpected: string[];
}

export interface CaseRun {
  results: CaseResult[];
  passed: number;
  failed: number;
}

/** Runs every case against the ruleset: a case passes when exactly its expected rules fire. */
export function runCases(ruleset: Ruleset, cases: readonly RuleTestCase[]): CaseRun {
  const evaluator = evaluatorFor(ruleset);
  const results = cases.map((testCase): CaseResult => {
    const fired = evaluator.evaluate(testCase.event);
    const missing = testCase.expect.filter((rule) => !fired.includes(rule));
    const unexpected = fired.filter((rule) => !testCase.expect.includes(rule));
    return { testCase, fired, passed: missing.length === 0 && unexpected.length === 0, missing, unexpected };
  });
  const passed = results.filter((result) => result.passed).length;
  return { results, passed, failed: results.length - passed };
}

/** Expected rule names that no loaded rule has: a typo or a ruleset that is not loaded. */
export function unknownExpectedRules(ruleset: Ruleset, cases: readonly RuleTestCase[]): CaseIssue[] {
  const issues: CaseIssue[] = [];
  for (const testCase of cases) {
    testCase.expect.forEach((rule, index) => {
      if (ruleset.rulesByName.has(rule)) return;
      const position = testCase.expectPositions[index] ?? testCase.position;
      issues.push({
        ...position,
        message: `case "${testCase.name}" expects rule "${rule}", which no loaded rules file defines`,
      });
    });
  }
  return issues;
}

/** Rules the evaluator cannot run; Falco would not load such a ruleset. */
export function evaluatorProblems(ruleset: Ruleset): EvaluatorProblem[] {
  return evaluatorFor(ruleset).problems;
}

/** Why an expected rule cannot fire, when the ruleset says so (disabled or skipped). */
export function whyNotFiring(ruleset: Ruleset, rule: string): string | undefined {
  const loaded = ruleset.rulesByName.get(rule);
  if (!loaded) return undefined;
  if (!loaded.enabled) return "disabled";
  if (loaded.skipped) return "skipped by Falco";
  if (loaded.source !== "syscall") return `source ${loaded.source}: only syscall rules are evaluated`;
  return undefined;
}
