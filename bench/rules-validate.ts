import path from "node:path";
import { parseAllDocuments } from "yaml";
import { hasErrors, loadRuleset, validateRules, withPlainProcessEnv, type RulesFile } from "./shipped.ts";
import type { Bench, BenchFigure } from "./types.ts";
import { timeAlternated, upstreamRulesFiles } from "./rules-timing.ts";

const RATIO_GOAL = 1.3;
const GROWTH_GOAL = 4.4;
const LARGEST_GOAL_MS = 1000;

function validateOrThrow(label: string, set: readonly RulesFile[]): void {
  if (hasErrors(validateRules(set, { upstreamRulesets: [] }))) throw new Error(`${label} has errors`);
}

/**
 * Validating the upstream rules files (YAML read included) against parsing the same YAML alone with
 * `yaml.parseAllDocuments`, measured in turns in one process; then how validation grows with input.
 */
export const run: Bench = async () => {
  const files = upstreamRulesFiles();
  const figures: BenchFigure[] = [];
  // Every measurement runs once before any is timed: the first one timed would otherwise also
  // pay for compiling the code the others share.
  for (const file of files) {
    parseAllDocuments(file.text);
    validateOrThrow(file.path, [file]);
  }
  const measure = (label: string, set: readonly RulesFile[]): void => {
    const [parse, validate] = timeAlternated(
      [
        () => {
          for (const file of set) parseAllDocuments(file.text);
        },
        () => validateOrThrow(label, set),
      ],
      21,
    ) as [number, number];
    const ratio = validate / parse;
    figures.push({ name: `${label}: YAML parse (median)`, value: parse, unit: "ms" });
    figures.push({ name: `${label}: validate (median)`, value: validate, unit: "ms" });
    figures.push({
      name: `${label}: validate / YAML parse`,
      value: ratio,
      unit: "x",
      goal: `<= ${RATIO_GOAL}x`,
      met: ratio <= RATIO_GOAL,
    });
  };
  for (const file of files) measure(path.basename(file.path), [file]);
  measure("all three", files);
  figures.push(withoutEnvLookups(files[0] as RulesFile));
  figures.push(...growth(files[0] as RulesFile));
  return figures;
};

/**
 * For reference, no goal: the ratio when the YAML parse alone also runs with a plain
 * `process.env` (the `yaml` library reads `process.env.LOG_TOKENS` per token; our reader spares
 * itself those lookups), so that only the validator's own work is above 1.
 */
function withoutEnvLookups(file: RulesFile): BenchFigure {
  const [parse, validate] = timeAlternated(
    [() => withPlainProcessEnv(() => parseAllDocuments(file.text)), () => validateOrThrow(file.path, [file])],
    21,
  ) as [number, number];
  return {
    name: `${path.basename(file.path)}: validate / YAML parse, the parse also without env lookups (reference)`,
    value: validate / parse,
    unit: "x",
  };
}

/**
 * Validation time of falco_rules.yaml copied 4, 16 and 64 times into one file, every copy with its
 * own list, macro and rule names (so the ruleset really grows, as a big organisation's would).
 */
function growth(base: RulesFile): BenchFigure[] {
  const { ruleset } = loadRuleset([base], { upstreamRulesets: [] });
  // Names without an underscore (`container`, `dup`, …) double as event or plugin names: left shared.
  const names = [...ruleset.lists, ...ruleset.macros]
    .map((item) => item.name)
    .filter((name) => name.includes("_"));
  const nameRegex = new RegExp(`(?<![\\w.])(${names.map(escapeRegex).join("|")})(?![\\w.])`, "g");
  const copy = (index: number): string =>
    base.text
      .replace(/^required_engine_version:.*$/gm, "")
      .replace(nameRegex, `$1_c${index}`)
      .replace(/^(- rule: )(.*)$/gm, `$1$2 (copy ${index})`);
  const scaled = (factor: number): RulesFile => ({
    path: `falco_rules x${factor}.yaml`,
    text: Array.from({ length: factor }, (_, index) => copy(index)).join("\n"),
  });
  const factors = [4, 16, 64];
  const validateTimes = new Map<number, number>();
  const parseTimes = new Map<number, number>();
  for (const factor of factors) {
    const file = scaled(factor);
    const runs = factor >= 64 ? 5 : factor >= 16 ? 13 : 25;
    const [parse, validate] = timeAlternated(
      [() => parseAllDocuments(file.text), () => validateOrThrow(file.path, [file])],
      runs,
      2,
    ) as [number, number];
    parseTimes.set(factor, parse);
    validateTimes.set(factor, validate);
  }
  const figures: BenchFigure[] = factors.map((factor) => ({
    name: `falco_rules.yaml x${factor} (distinct names): validate (median)`,
    value: validateTimes.get(factor) as number,
    unit: "ms",
    ...(factor === 64
      ? { goal: `<= ${LARGEST_GOAL_MS} ms`, met: (validateTimes.get(factor) as number) <= LARGEST_GOAL_MS }
      : {}),
  }));
  for (const [from, to] of [
    [4, 16],
    [16, 64],
  ] as const) {
    const ratio = (validateTimes.get(to) as number) / (validateTimes.get(from) as number);
    figures.push({
      name: `validation growth x${from} -> x${to} input`,
      value: ratio,
      unit: "x",
      goal: `<= ${GROWTH_GOAL}x per 4x input`,
      met: ratio <= GROWTH_GOAL,
    });
    // Context: the YAML parse of the same files, which validation includes.
    figures.push({
      name: `YAML parse growth x${from} -> x${to} input (reference)`,
      value: (parseTimes.get(to) as number) / (parseTimes.get(from) as number),
      unit: "x",
    });
  }
  return figures;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
