import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { runRulesTest, type RulesTestOptions } from "../../src/cli/rules-test.ts";
import { FalcoStackError } from "../../src/errors.ts";

export type RunOptions = Omit<RulesTestOptions, "out" | "err">;

/** Two rules that both match `execve` by bash, in this load order: rule_matching decides what is raised. */
export const OVERLAPPING_RULES = `- rule: Shell
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: o
  priority: NOTICE
- rule: Any exec
  desc: d
  condition: evt.type = execve
  output: o
  priority: INFO
`;

/** Runs `rules test` in-process; returns the exit code and what it printed. */
export function runRulesTestCapturing(options: RunOptions): {
  code: number;
  lines: string[];
  errors: string[];
} {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = runRulesTest({
    ...options,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
  });
  return { code, lines, errors };
}

/** The message of the FalcoStackError `runRulesTest` throws for bad input (exit 2). */
export function rulesTestBadInput(options: RunOptions): string {
  try {
    runRulesTestCapturing(options);
  } catch (error) {
    assert.ok(error instanceof FalcoStackError, `expected a FalcoStackError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail("expected bad input to be rejected");
}

/**
 * A temporary folder for the test file, removed after it: `dir()` is its path (set once the file's
 * tests start), `file(name, text)` writes a file in it and returns its path.
 */
export function scratchFolder(prefix: string): {
  dir: () => string;
  file: (name: string, text: string) => string;
} {
  let scratch: string | undefined;
  before(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  const dir = (): string => {
    assert.ok(scratch, "the scratch folder exists once the tests run");
    return scratch;
  };
  return {
    dir,
    file: (name, text) => {
      const file = path.join(dir(), name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
  };
}
