import { configKey, type ConfigIssue } from "./errors.ts";

/** How deep a value may nest: the deepest real setting is a few levels; this bounds any recursion over it. */
export const MAX_VALUE_DEPTH = 64;

/** The issue for a value nested deeper than MAX_VALUE_DEPTH, at path `at` (its first parts name the key). */
export function tooDeepIssue(at: readonly string[]): ConfigIssue {
  const shown = at.length > 8 ? `${at.slice(0, 8).join(".")}...` : at.join(".");
  return {
    key: configKey(at.slice(0, 4)),
    message: `nests deeper than ${MAX_VALUE_DEPTH} levels (at ${shown}); no setting is that deep`,
  };
}

/** Issues for values nested deeper than MAX_VALUE_DEPTH; the walk itself stops at that depth. */
export function tooDeepIssues(raw: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (value: unknown, at: string[]): void => {
    if (typeof value !== "object" || value === null) return;
    if (at.length > MAX_VALUE_DEPTH) {
      issues.push(tooDeepIssue(at));
      return;
    }
    for (const [key, child] of Object.entries(value)) visit(child, [...at, key]);
  };
  for (const [name, value] of Object.entries(raw)) visit(value, [name]);
  return issues;
}
