import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { loadCases, runRulesTest, UPSTREAM_RULESETS } from "./shipped.ts";
import { projectRoot, sharedPath } from "../test/helpers/shared.ts";
import { median } from "./rules-timing.ts";
import type { Bench } from "./types.ts";

const CASES = 10_000;
const GOAL_MS = 1500;

/**
 * `rules test` end to end (read the case file, load the rules, run, print) with 10,000 cases: the
 * cases of test/rules/ repeated under new names, run against the dev stack's files (and the canary's,
 * which test/rules/ also covers) given as --with.
 */
export const run: Bench = async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "falco-stack-bench-cases-"));
  try {
    const caseFile = path.join(folder, "cases.yaml");
    writeFileSync(caseFile, manyCases());
    const withFiles = [
      ...UPSTREAM_RULESETS.filter((ruleset) => ruleset.name !== "falco-sandbox-rules").map((ruleset) =>
        sharedPath("data", "falco", "rules", ruleset.fileName),
      ),
      path.join(projectRoot, "rules", "falco-stack-detections.yaml"),
      path.join(projectRoot, "rules", "nginx-html-write.yaml"),
      // test/rules/ holds the canary's cases too: without its rule every one of them is refused.
      path.join(projectRoot, "rules", "falco-stack-canary.yaml"),
    ];
    let lines = 0;
    const once = (): number => {
      const start = performance.now();
      runRulesTest({ cases: [caseFile], withFiles, out: () => lines++, err: () => lines++ });
      return performance.now() - start;
    };
    once();
    const elapsed = median([once(), once(), once(), once(), once()]);
    return [
      {
        name: `rules test, ${CASES} cases (read, load, run, report)`,
        value: elapsed,
        unit: "ms",
        goal: `<= ${GOAL_MS} ms`,
        met: elapsed <= GOAL_MS,
      },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
};

/** The cases of test/rules/ (top level), repeated with numbered names until there are CASES of them. */
function manyCases(): string {
  const { cases } = loadCases([path.join(projectRoot, "test", "rules")]);
  const out: { name: string; event: unknown; expect: readonly string[] }[] = [];
  for (let index = 0; out.length < CASES; index++) {
    const base = cases[index % cases.length] as (typeof cases)[number];
    out.push({ name: `${base.name} #${index}`, event: base.event, expect: base.expect });
  }
  return stringify(out, { aliasDuplicateObjects: false });
}
