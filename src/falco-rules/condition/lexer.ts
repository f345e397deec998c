/**
 * The condition lexer: anchored regexes and fixed words matched at the cursor over the raw text,
 * as in libs 0.25.4 (`libsinsp/filter/parser.cpp`), with the escapes of quoted strings.
 */
import {
  ConditionSyntaxError,
  LIST_OPERATORS,
  MODIFIERS,
  NUMERIC_OPERATORS,
  STRING_OPERATORS,
  TRANSFORMER_NAMES,
  UNARY_OPERATORS,
  type TransformerName,
} from "./ast.ts";

export const RE_NOT_BLANK = /not[ \t\n\v\f\r]+/y;
export const RE_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
export const RE_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
export const RE_FIELD_ARG_BARE = /[^\]["' \t\n\v\f\r]+/y;
export const RE_HEX = /0[xX][0-9a-fA-F]+/y;
export const RE_NUMBER = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
export const RE_BARE_STR = /[^()"' \t\n\v\f\r=,]+/y;

export const NUM_OPS = NUMERIC_OPERATORS;
/** Word operators need a blank after them; symbol operators do not. */
export const STR_OPS: readonly (readonly [string, boolean])[] = STRING_OPERATORS.map((op) => [
  op,
  /^[a-z]/.test(op),
]);
export const LIST_OPS = LIST_OPERATORS;
export const MODIFIER_WORDS = MODIFIERS;
export const TRANSFORMERS: readonly TransformerName[] = TRANSFORMER_NAMES;
/** As libs lists them in its errors. */
export const SUPPORTED_OPERATORS = [
  ...UNARY_OPERATORS,
  ...NUMERIC_OPERATORS,
  ...STRING_OPERATORS,
  ...LIST_OPERATORS,
]
  .map((op) => `'${op}'`)
  .join(", ");
export const SUPPORTED_TRANSFORMERS = ["val", ...TRANSFORMER_NAMES].map((name) => `'${name}'`).join(", ");

/** Our own nesting limit: libs 0.25.4 declares one but never enforces it. */
export const MAX_CONDITION_DEPTH = 1000;

export function isBlank(code: number): boolean {
  // " " "\t" "\b" "\r" "\n", as lex_blank
  return code === 32 || code === 9 || code === 8 || code === 13 || code === 10;
}

export function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/**
 * Unescapes a quoted token (quotes included), as libs `unescape_str` does.
 * Throws a message (not positioned) for an invalid escape.
 */
export function unescapeQuoted(token: string): string {
  const quote = token[0];
  let out = "";
  let escaped = false;
  for (let i = 1; i < token.length - 1; i++) {
    const c = token[i] as string;
    if (!escaped) {
      if (c === "\\") escaped = true;
      else out += c;
      continue;
    }
    escaped = false;
    switch (c) {
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case " ": // legacy: backslash-space becomes a backslash
      case "\\":
        out += "\\";
        break;
      case "/":
        out += "/";
        break;
      case '"':
        if (quote !== '"') throw new Error("invalid \\\" escape in '-quoted string");
        out += '"';
        break;
      case "'":
        if (quote !== "'") throw new Error("invalid \\' escape in \"-quoted string");
        out += "'";
        break;
      default:
        throw new Error(`unsupported string escape sequence: \\${c}`);
    }
  }
  return out;
}

/** Cursor and token matching; the parser extends it with the grammar. */
export class Lexer {
  protected pos = 0;
  protected lastToken = "";
  protected depth = 0;
  protected readonly length: number;

  constructor(protected readonly input: string) {
    this.length = input.length;
  }

  /** The formatter's entry: one field or transformer at the start, the rest is left unread. */
  protected fail(message: string, offset = this.pos): ConditionSyntaxError {
    return new ConditionSyntaxError(message, offset);
  }

  /** Counts parenthesis and transformer nesting, the only unbounded recursion. */
  protected nest(): void {
    if (++this.depth > MAX_CONDITION_DEPTH) {
      throw this.fail(`exceeded max depth limit of ${MAX_CONDITION_DEPTH}`);
    }
  }

  // --- lexing helpers -------------------------------------------------------------------------

  protected lexBlank(): boolean {
    const start = this.pos;
    while (this.pos < this.length && isBlank(this.input.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  protected lexStr(str: string): boolean {
    if (this.input.startsWith(str, this.pos)) {
      this.lastToken = str;
      this.pos += str.length;
      return true;
    }
    return false;
  }

  protected lexRegex(re: RegExp): boolean {
    re.lastIndex = this.pos;
    const match = re.exec(this.input);
    if (!match) return false;
    this.lastToken = match[0];
    this.pos += match[0].length;
    return true;
  }

  /** Word operators backtrack when no blank follows. */
  protected lexOperator(word: string, needsBlank: boolean): boolean {
    if (!needsBlank) return this.lexStr(word);
    const savedPos = this.pos;
    const savedToken = this.lastToken;
    if (this.lexStr(word)) {
      if (this.lexBlank()) {
        this.lastToken = word + " ";
        return true;
      }
      this.pos = savedPos;
      this.lastToken = savedToken;
    }
    return false;
  }

  protected lexQuoted(): boolean {
    const delimiter = this.input[this.pos];
    if (delimiter !== "'" && delimiter !== '"') return false;
    let prev = "\\";
    for (let i = this.pos; i < this.length; i++) {
      const c = this.input[i] as string;
      if (c === delimiter && prev !== "\\") {
        const start = this.pos;
        // libs has already moved past the string when unescaping fails; a caller that catches
        // the error (the head of a list) continues from there.
        this.pos = i + 1;
        try {
          this.lastToken = unescapeQuoted(this.input.slice(start, i + 1));
        } catch (error) {
          throw this.fail((error as Error).message, start);
        }
        return true;
      }
      prev = c;
    }
    return false;
  }

  protected lexTransformerType(): TransformerName | undefined {
    for (const name of TRANSFORMERS) {
      if (this.input.startsWith(name, this.pos) && this.input[this.pos + name.length] === "(") {
        this.pos += name.length + 1;
        this.lastToken = name + "(";
        return name;
      }
    }
    return undefined;
  }

  // --- grammar ---------------------------------------------------------------------------------
}
