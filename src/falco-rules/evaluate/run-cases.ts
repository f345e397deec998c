import type { CaseIssue, RuleTestCase } from "./cases.ts";
import { evaluatorFor, type EvaluatorProblem, type RuleMatching } from "./evaluator.ts";
import type { Ruleset } from "../model.ts";

/** The outcome of one rule test case. */
export interface CaseResult {
  testCase: RuleTestCase;
  /** Rules Falco raises under the run's rule_matching, in load order. */
  fired: string[];
  /** Rules that match too but are not raised under rule_matching first, in load order. */
  shadowed: string[];
  passed: boolean;
  /** Expected but did not fire. */
  missing: string[];
  /** Fired but not expected. */
  unexpected: string[];
}

export interface CaseRun {
  ruleMatching: RuleMatching;
  results: CaseResult[];
  passed: number;
  failed: number;
}

export interface RunCasesOptions {
  /** Falco's `rule_matching`; default `first`, as Falco's. */
  ruleMatching?: RuleMatching;
}

/**
 * Runs every case against the ruleset: a case passes when exactly its expected rules are raised,
 * which under rule_matching first is at most one rule per event.
 */
export function runCases(
  ruleset: Ruleset,
  cases: readonly RuleTestCase[],
  options: RunCasesOptions = {},
): CaseRun {
  const ruleMatching = options.ruleMatching ?? "first";
  const evaluator = evaluatorFor(ruleset);
  const results = cases.map((testCase): CaseResult => {
    const outcome = evaluator.raisedRules(testCase.event, ruleMatching);
    const fired = outcome.raised.map((rule) => rule.name);
    const shadowed = outcome.shadowed.map((rule) => rule.name);
    const missing = testCase.expect.filter((rule) => !fired.includes(rule));
    const unexpected = fired.filter((rule) => !testCase.expect.includes(rule));
    const passed = missing.length === 0 && unexpected.length === 0;
    return { testCase, fired, shadowed, passed, missing, unexpected };
  });
  const passed = results.filter((result) => result.passed).length;
  return { ruleMatching, results, passed, failed: results.length - passed };
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
