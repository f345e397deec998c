import { readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { validateRules } from "../src/falco-rules/index.ts";
import { UPSTREAM_RULESETS } from "../src/falco-rules/index.ts";
import type { RulesFile } from "../src/falco-rules/index.ts";
import type { Bench, BenchFigure } from "./types.ts";

const WARMUP = 5;
const RUNS = 15;

function sharedDir(): string {
  return path.resolve(__dirname, "..", process.env.FALCO_STACK_SHARED ?? "../shared");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median wall time of `work` in ms, after warm-up runs. */
function time(work: () => void): number {
  for (let i = 0; i < WARMUP; i++) work();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/**
 * Validating the upstream rules files (YAML read included) against parsing the same YAML alone
 * with `yaml.parseAllDocuments`. Goal: at most 3x the YAML parse, and under 100 ms for
 * falco_rules.yaml.
 */
export const run: Bench = async () => {
  const files: RulesFile[] = UPSTREAM_RULESETS.map((ruleset) => {
    const file = path.join(sharedDir(), "data", "falco", "rules", ruleset.fileName);
    return { path: file, text: readFileSync(file, "utf8") };
  });
  const figures: BenchFigure[] = [];
  const measure = (label: string, set: RulesFile[], absoluteGoal: boolean): void => {
    const parse = time(() => {
      for (const file of set) parseAllDocuments(file.text);
    });
    const validate = time(() => {
      const findings = validateRules(set, { upstreamRulesets: [] });
      if (findings.some((finding) => finding.severity === "error")) throw new Error(`${label} has errors`);
    });
    const ratio = validate / parse;
    figures.push({ name: `${label}: YAML parse (median)`, value: parse, unit: "ms" });
    figures.push(
      absoluteGoal
        ? {
            name: `${label}: validate (median)`,
            value: validate,
            unit: "ms",
            goal: "< 100 ms",
            met: validate < 100,
          }
        : { name: `${label}: validate (median)`, value: validate, unit: "ms" },
    );
    figures.push({
      name: `${label}: validate / parse`,
      value: ratio,
      unit: "x",
      goal: "<= 3x",
      met: ratio <= 3,
    });
  };
  for (const file of files)
    measure(path.basename(file.path), [file], path.basename(file.path) === "falco_rules.yaml");
  measure("all three", files, false);
  return figures;
};
