import { ConditionSyntaxError, loadRuleset, parseCondition, type Ruleset } from "./shipped.ts";
import type { Bench } from "./types.ts";
import { timeAlternated, upstreamRulesFiles } from "./rules-timing.ts";

const GOAL_MICROSECONDS = 5;

/**
 * Condition parse time per condition: every macro and rule condition of the three upstream files
 * (as Falco parses them, lists substituted), and the same conditions broken near their end so the
 * parser rejects them after reading most of the text.
 */
export const run: Bench = async () => {
  const { ruleset } = loadRuleset(upstreamRulesFiles(), { upstreamRulesets: [] });
  const accepted = conditionTexts(ruleset);
  const rejected = accepted.map((text) => `${text.slice(0, Math.floor(text.length * 0.9))} and ) (`);
  for (const text of rejected) {
    if (!throwsSyntaxError(text)) throw new Error(`expected a syntax error: ${text}`);
  }
  const parseAll = (texts: readonly string[], expectError: boolean) => (): void => {
    for (const text of texts) {
      try {
        parseCondition(text);
      } catch (error) {
        if (!expectError || !(error instanceof ConditionSyntaxError)) throw error;
      }
    }
  };
  const [acceptedMs, rejectedMs] = timeAlternated(
    [parseAll(accepted, false), parseAll(rejected, true)],
    31,
    5,
  ) as [number, number];
  const perAccepted = (acceptedMs * 1000) / accepted.length;
  const perRejected = (rejectedMs * 1000) / rejected.length;
  return [
    {
      name: `condition parse, accepted (${accepted.length} upstream conditions)`,
      value: perAccepted,
      unit: "µs",
      goal: `<= ${GOAL_MICROSECONDS} µs`,
      met: perAccepted <= GOAL_MICROSECONDS,
    },
    {
      name: `condition parse, rejected (the same, broken near the end)`,
      value: perRejected,
      unit: "µs",
      goal: `<= ${GOAL_MICROSECONDS} µs`,
      met: perRejected <= GOAL_MICROSECONDS,
    },
  ];
};

function conditionTexts(ruleset: Ruleset): string[] {
  return [...ruleset.macros, ...ruleset.rules]
    .filter((item) => item.condition !== undefined)
    .map((item) => item.conditionText.text);
}

function throwsSyntaxError(text: string): boolean {
  try {
    parseCondition(text);
    return false;
  } catch (error) {
    return error instanceof ConditionSyntaxError;
  }
}
