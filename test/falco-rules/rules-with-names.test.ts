import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { registerRulesCheckCommand } from "../../src/cli/rules-check.ts";
import { runRulesTest, type RulesTestOptions } from "../../src/cli/rules-test.ts";
import { FalcoStackError } from "../../src/errors.ts";
import { cachedRulesetPath, upstreamRuleset } from "../../src/falco-rules/index.ts";
import { runCommand } from "../helpers/cli-in-process.ts";
import { sharedPath } from "../helpers/shared.ts";

const FALCO_RULES = sharedPath("data", "falco", "rules", "falco_rules.yaml");

let dir = "";
let cacheDir = "";
let emptyCache = "";
let cases = "";
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "rules-with-names-"));
  cacheDir = path.join(dir, "cache");
  emptyCache = path.join(dir, "empty-cache");
  const cached = cachedRulesetPath(upstreamRuleset("falco-rules"), cacheDir);
  mkdirSync(path.dirname(cached), { recursive: true });
  copyFileSync(FALCO_RULES, cached);
  cases = path.join(dir, "cases.yaml");
  writeFileSync(
    cases,
    "- name: shell\n  event: {evt.type: execve, proc.name: bash, proc.pname: runc, proc.tty: 34816, container.id: abc}\n  expect: [Terminal shell in container]\n",
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

function run(options: Omit<RulesTestOptions, "out" | "err">): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runRulesTest({ ...options, out: (line) => lines.push(line), err: () => {} });
  return { code, lines };
}

describe("--with and --ruleset take the ruleset names the stack uses", () => {
  it("rules test --with falco-rules loads the pinned copy from the cache", () => {
    const { code, lines } = run({ cases: [cases], withFiles: ["falco-rules"], cacheDir });
    assert.equal(code, 0, lines.join("\n"));
    assert.equal(
      lines[0],
      `rules: ${cachedRulesetPath(upstreamRuleset("falco-rules"), cacheDir)} [falco-rules 5.1.0 (cache)]`,
    );
  });

  it("says where the cache is and how to fill it when the ruleset is not there", () => {
    assert.throws(
      () => run({ cases: [cases], withFiles: ["falco-rules"], cacheDir: emptyCache }),
      (error: unknown) =>
        error instanceof FalcoStackError &&
        error.exitCode === 2 &&
        error.message.includes(`the cache is ${emptyCache}`) &&
        error.message.includes('run "npx falco-stack rules fetch"'),
    );
  });

  it("rules check --with falco-rules resolves a name from the cache ($FALCO_STACK_CACHE)", async () => {
    const rules = path.join(dir, "custom.yaml");
    writeFileSync(
      rules,
      "- rule: Terminal shell in container\n  priority: ERROR\n  override:\n    priority: replace\n",
    );
    const saved = process.env.FALCO_STACK_CACHE;
    process.env.FALCO_STACK_CACHE = cacheDir;
    try {
      const outcome = await runCommand(
        (program, result, io) => registerRulesCheckCommand(program, result, io),
        ["check", "--ruleset", "falco-sandbox-rules", "--with", "falco-rules", rules],
      ).done;
      assert.equal(outcome.code, 0, outcome.stdout + outcome.stderr);
      assert.match(
        outcome.stderr,
        /0 error\(s\), 0 warning\(s\) in 1 file\(s\) \(after 1 --with file\(s\)\)/,
      );
    } finally {
      if (saved === undefined) delete process.env.FALCO_STACK_CACHE;
      else process.env.FALCO_STACK_CACHE = saved;
    }
  });
});
