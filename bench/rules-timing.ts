import { readFileSync } from "node:fs";
import { UPSTREAM_RULESETS, type RulesFile } from "./shipped.ts";
import { sharedPath } from "../test/helpers/shared.ts";

/** Shared helpers of the rules benches: medians, alternated timing, the upstream files. */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Median wall time in ms of each of `works`, measured in turns (a, b, a, b, …) after warm-up, so a
 * noisy neighbour or a GC pause costs both sides alike and their ratio stays meaningful.
 */
export function timeAlternated(works: readonly (() => void)[], runs: number, warmup = 3): number[] {
  for (let i = 0; i < warmup; i++) for (const work of works) work();
  const samples = works.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    works.forEach((work, index) => {
      const start = performance.now();
      work();
      (samples[index] as number[]).push(performance.now() - start);
    });
  }
  return samples.map(median);
}

export function upstreamRulesFiles(): RulesFile[] {
  return UPSTREAM_RULESETS.map((ruleset) => {
    const file = sharedPath("data", "falco", "rules", ruleset.fileName);
    return { path: file, text: readFileSync(file, "utf8") };
  });
}
