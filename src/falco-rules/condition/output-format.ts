/**
 * Rule output formats, as the libs 0.25.4 formatter reads them: literal text and `%` tokens, each an
 * optional pad width then a field or transformer; the longest prefix that parses and compiles wins.
 * There is no escape for a literal `%`.
 */
import { ConditionSyntaxError, type Operand } from "./ast.ts";
import { checkOutputOperand } from "./checks.ts";
import { FALCO_FIELDS, type FieldCatalog } from "../fields/catalog.ts";
import { parseFieldOrTransformer } from "./parser.ts";

export interface OutputToken {
  /** Offset of the `%` in the format. */
  start: number;
  /** Offset just past the token. */
  end: number;
  /** Pad width given as `%20proc.name`, 0 when none. */
  width: number;
  operand: Operand;
  /** The token text after `%` and the width, e.g. `proc.name` or `tolower(proc.name)`. */
  text: string;
}

export type OutputParse =
  { ok: true; tokens: OutputToken[] } | { ok: false; message: string; offset: number; tokens: OutputToken[] };

const FIELD_START = /[a-zA-Z]/;

/**
 * Splits a format into tokens and checks each against `fields` (default: Falco 0.44.1 as shipped),
 * as the formatter does when a rule loads.
 */
export function parseOutputFormat(format: string, fields: FieldCatalog = FALCO_FIELDS): OutputParse {
  const tokens: OutputToken[] = [];
  if (format.length === 0) return { ok: false, message: "empty formatting token", offset: 0, tokens };
  for (let j = 0; j < format.length; j++) {
    if (format[j] !== "%") continue;
    const start = j;
    if (j === format.length - 1) {
      return {
        ok: false,
        message: "invalid formatting syntax: formatting cannot end with a %",
        offset: j,
        tokens,
      };
    }
    let width = 0;
    if (/[0-9]/.test(format[j + 1] as string)) {
      const digits = /^[0-9]+/.exec(format.slice(j + 1))?.[0] ?? "";
      width = Number.parseInt(digits, 10);
      j += digits.length;
      if (j >= format.length - 1) {
        return {
          ok: false,
          message: "invalid formatting syntax: formatting cannot end with a number",
          offset: start,
          tokens,
        };
      }
    }
    const rest = format.slice(j + 1);
    let size = rest.length;
    let lastError = "";
    // libs reports the error of its last (shortest) attempt; the first compile error says more.
    let compileError: string | undefined;
    let found: { operand: Operand; end: number } | undefined;
    // Nothing can parse when the token does not start like a field or a transformer.
    if (!FIELD_START.test(rest[0] ?? "")) {
      size = 0;
      lastError = `unexpected token after ''`;
    }
    while (size > 0) {
      try {
        const parsed = parseFieldOrTransformer(rest.slice(0, size));
        const problem = checkOutputOperand(parsed.operand, fields);
        if (!problem) {
          found = parsed;
          break;
        }
        lastError = problem;
        compileError ??= problem;
        // Shorter prefixes down to the parsed end give the same tree, so skip them.
        size = Math.min(size - 1, parsed.end - 1);
      } catch (error) {
        if (!(error instanceof ConditionSyntaxError)) throw error;
        lastError = error.message;
        size--;
      }
    }
    if (!found) {
      return { ok: false, message: `unknown filter: ${compileError ?? lastError}`, offset: start, tokens };
    }
    tokens.push({
      start,
      end: j + 1 + found.end,
      width,
      operand: found.operand,
      text: rest.slice(0, found.end),
    });
    j += found.end;
  }
  return { ok: true, tokens };
}
