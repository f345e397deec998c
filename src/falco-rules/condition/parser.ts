/**
 * Condition parser: a recursive-descent parser over the raw text, accepting and rejecting exactly
 * what the libs 0.25.4 parser (`libsinsp/filter/parser.cpp`) does. Tokens are matched at the cursor;
 * there is no separate token stream, because the grammar's blanks are significant.
 */
import {
  ConditionSyntaxError,
  LIST_OPERATORS,
  MODIFIERS,
  NUMERIC_OPERATORS,
  STRING_OPERATORS,
  TRANSFORMER_NAMES,
  UNARY_OPERATORS,
  type BinaryOperator,
  type Expr,
  type FieldRef,
  type ListValue,
  type Modifier,
  type Operand,
  type RightValue,
  type StringValue,
  type TransformerArg,
  type TransformerCall,
  type TransformerList,
  type TransformerName,
} from "./ast.ts";

const RE_NOT_BLANK = /not[ \t\n\v\f\r]+/y;
const RE_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RE_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RE_FIELD_ARG_BARE = /[^\]["' \t\n\v\f\r]+/y;
const RE_HEX = /0[xX][0-9a-fA-F]+/y;
const RE_NUMBER = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
const RE_BARE_STR = /[^()"' \t\n\v\f\r=,]+/y;

const NUM_OPS = NUMERIC_OPERATORS;
/** Word operators need a blank after them; symbol operators do not. */
const STR_OPS: readonly (readonly [string, boolean])[] = STRING_OPERATORS.map((op) => [
  op,
  /^[a-z]/.test(op),
]);
const LIST_OPS = LIST_OPERATORS;
const MODIFIER_WORDS = MODIFIERS;
const TRANSFORMERS: readonly TransformerName[] = TRANSFORMER_NAMES;
/** As libs lists them in its errors. */
const SUPPORTED_OPERATORS = [...UNARY_OPERATORS, ...NUMERIC_OPERATORS, ...STRING_OPERATORS, ...LIST_OPERATORS]
  .map((op) => `'${op}'`)
  .join(", ");
const SUPPORTED_TRANSFORMERS = ["val", ...TRANSFORMER_NAMES].map((name) => `'${name}'`).join(", ");

/** Our own nesting limit: libs 0.25.4 declares one but never enforces it. */
export const MAX_CONDITION_DEPTH = 1000;

function isBlank(code: number): boolean {
  // " " "\t" "\b" "\r" "\n", as lex_blank
  return code === 32 || code === 9 || code === 8 || code === 13 || code === 10;
}

function isAlnum(code: number): boolean {
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

class Parser {
  private pos = 0;
  private lastToken = "";
  private depth = 0;
  private readonly length: number;

  constructor(private readonly input: string) {
    this.length = input.length;
  }

  /** The formatter's entry: one field or transformer at the start, the rest is left unread. */
  parseFieldOrTransformer(): { operand: Operand; end: number } {
    const start = this.pos;
    if (this.lexRegex(RE_FIELD_NAME)) {
      const operand = this.parseFieldRemainder(this.lastToken, start);
      return { operand, end: this.pos };
    }
    const transformer = this.lexTransformerType();
    if (transformer) {
      this.lexBlank();
      const operand = this.parseTransformerRemainder(transformer, start);
      return { operand, end: this.pos };
    }
    throw this.fail(`unexpected token after '${this.lastToken}`);
  }

  parse(): Expr {
    if (this.length === 0) throw this.fail("filter input string is empty");
    const result = this.parseOr();
    if (this.pos !== this.length) {
      throw this.fail(`unexpected token after '${this.lastToken}', expecting 'or', 'and'`);
    }
    return result;
  }

  private fail(message: string, offset = this.pos): ConditionSyntaxError {
    return new ConditionSyntaxError(message, offset);
  }

  /** Counts parenthesis and transformer nesting, the only unbounded recursion. */
  private nest(): void {
    if (++this.depth > MAX_CONDITION_DEPTH) {
      throw this.fail(`exceeded max depth limit of ${MAX_CONDITION_DEPTH}`);
    }
  }

  // --- lexing helpers -------------------------------------------------------------------------

  private lexBlank(): boolean {
    const start = this.pos;
    while (this.pos < this.length && isBlank(this.input.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }

  private lexStr(str: string): boolean {
    if (this.input.startsWith(str, this.pos)) {
      this.lastToken = str;
      this.pos += str.length;
      return true;
    }
    return false;
  }

  private lexRegex(re: RegExp): boolean {
    re.lastIndex = this.pos;
    const match = re.exec(this.input);
    if (!match) return false;
    this.lastToken = match[0];
    this.pos += match[0].length;
    return true;
  }

  /** Word operators backtrack when no blank follows. */
  private lexOperator(word: string, needsBlank: boolean): boolean {
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

  private lexQuoted(): boolean {
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

  private lexTransformerType(): TransformerName | undefined {
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

  private parseOr(): Expr {
    const start = this.pos;
    this.lexBlank();
    const children = [this.parseAnd()];
    this.lexBlank();
    while (this.lexStr("or")) {
      if (!this.lexBlank()) {
        if (this.lexStr("(")) children.push(this.parseEmbeddedRemainder());
        else throw this.fail("expected blank or '(' after 'or'");
      } else {
        children.push(this.parseAnd());
      }
      this.lexBlank();
    }
    if (children.length > 1) return { kind: "or", children, start, end: lastEnd(children) };
    return children[0] as Expr;
  }

  private parseAnd(): Expr {
    const start = this.pos;
    this.lexBlank();
    const children = [this.parseNot()];
    this.lexBlank();
    while (this.lexStr("and")) {
      if (!this.lexBlank()) {
        if (this.lexStr("(")) children.push(this.parseEmbeddedRemainder());
        else throw this.fail("expected blank or '(' after 'and'");
      } else {
        children.push(this.parseNot());
      }
      this.lexBlank();
    }
    if (children.length > 1) return { kind: "and", children, start, end: lastEnd(children) };
    return children[0] as Expr;
  }

  private parseNot(): Expr {
    const start = this.pos;
    this.lexBlank();
    let negated = false;
    while (this.lexRegex(RE_NOT_BLANK)) negated = !negated;
    let child: Expr;
    if (this.lexStr("not(")) {
      negated = !negated;
      child = this.parseEmbeddedRemainder();
    } else {
      child = this.parseCheck();
    }
    return negated ? { kind: "not", child, start, end: this.pos } : child;
  }

  private parseEmbeddedRemainder(): Expr {
    this.nest();
    this.lexBlank();
    const child = this.parseOr();
    this.lexBlank();
    if (!this.lexStr(")")) throw this.fail("expected a ')' token");
    this.depth--;
    return child;
  }

  private parseCheck(): Expr {
    this.lexBlank();
    const start = this.pos;
    let result: Expr;
    if (this.lexStr("(")) {
      result = this.parseEmbeddedRemainder();
    } else if (this.lexRegex(RE_FIELD_NAME)) {
      const left = this.parseFieldRemainder(this.lastToken, start);
      result = this.parseCondition(left, start);
    } else {
      const transformer = this.lexTransformerType();
      if (transformer) {
        this.lexBlank();
        const left = this.parseTransformerRemainder(transformer, start);
        result = this.parseCondition(left, start);
      } else if (this.lexRegex(RE_IDENTIFIER)) {
        result = { kind: "macro", name: this.lastToken, start, end: this.pos };
      } else {
        throw this.fail("expected a '(' token, a field check, or an identifier");
      }
    }
    return result;
  }

  private parseFieldRemainder(name: string, start: number): FieldRef {
    const arg = this.parseOptionalFieldArg();
    return arg === undefined
      ? { kind: "field", name, start, end: this.pos }
      : { kind: "field", name, arg, start, end: this.pos };
  }

  private parseOptionalFieldArg(): string | undefined {
    if (!this.lexStr("[")) return undefined;
    if (!this.lexQuoted() && !this.lexRegex(RE_FIELD_ARG_BARE)) {
      throw this.fail("expected a valid field argument: a quoted string or a bare string");
    }
    const arg = this.lastToken;
    if (!this.lexStr("]")) throw this.fail("expected a ']' token");
    return arg;
  }

  private parseTransformerRemainder(name: TransformerName, start: number): TransformerCall {
    this.nest();
    this.lexBlank();
    const args: TransformerArg[] = [];
    do {
      args.push(this.parseTransformerArg());
      this.lexBlank();
    } while (this.lexStr(","));
    this.lexBlank();
    if (!this.lexStr(")")) throw this.fail("expected a ')' token closing the transformer");
    const arg = this.parseOptionalFieldArg();
    this.depth--;
    const call: TransformerCall = { kind: "transformer", name, args, start, end: this.pos };
    if (arg !== undefined) call.arg = arg;
    return call;
  }

  private parseTransformerArg(): TransformerArg {
    this.lexBlank();
    const start = this.pos;
    let result: TransformerArg;
    if (this.lexRegex(RE_HEX) || this.lexRegex(RE_NUMBER)) {
      result = { kind: "string", value: this.lastToken, quoted: false, start, end: this.pos };
    } else if (this.lexQuoted()) {
      result = { kind: "string", value: this.lastToken, quoted: true, start, end: this.pos };
    } else if (this.lexStr("(")) {
      result = this.parseTransformerList(start);
    } else {
      const transformer = this.lexTransformerType();
      if (transformer) result = this.parseTransformerRemainder(transformer, start);
      else if (this.lexRegex(RE_FIELD_NAME)) result = this.parseFieldRemainder(this.lastToken, start);
      else
        throw this.fail(
          "expected field transformer argument: field, transformer, quoted string, number, or transformer list",
        );
    }
    return result;
  }

  private parseTransformerList(start: number): TransformerList {
    const items: TransformerList["items"] = [];
    this.lexBlank();
    if (this.lexStr(")")) return { kind: "transformer-list", items, start, end: this.pos };
    items.push(this.parseTransformerListArg());
    this.lexBlank();
    while (this.lexStr(",")) {
      this.lexBlank();
      items.push(this.parseTransformerListArg());
      this.lexBlank();
    }
    if (!this.lexStr(")")) throw this.fail("expected ')'");
    return { kind: "transformer-list", items, start, end: this.pos };
  }

  private parseTransformerListArg(): TransformerList["items"][number] {
    const start = this.pos;
    if (this.lexRegex(RE_FIELD_NAME)) return this.parseFieldRemainder(this.lastToken, start);
    const transformer = this.lexTransformerType();
    if (transformer) {
      this.lexBlank();
      return this.parseTransformerRemainder(transformer, start);
    }
    if (this.lexQuoted())
      return { kind: "string", value: this.lastToken, quoted: true, start, end: this.pos };
    if (this.lexRegex(RE_HEX) || this.lexRegex(RE_NUMBER)) {
      return { kind: "string", value: this.lastToken, quoted: false, start, end: this.pos };
    }
    throw this.fail("expected transformer list argument: field, transformer, quoted string, or number");
  }

  private parseCondition(left: Operand, start: number): Expr {
    this.lexBlank();
    if (this.lexStr("exists")) {
      return { kind: "unary", operator: "exists", left, start, end: this.pos };
    }
    this.lexBlank();
    let operator: BinaryOperator | undefined;
    let modifier: Modifier | undefined;
    let right: RightValue;
    const numOp = NUM_OPS.find((op) => this.lexStr(op));
    if (numOp) {
      operator = numOp;
      right = this.parseNumValueOrTransformer();
    } else {
      const strOp = STR_OPS.find(([op, needsBlank]) => this.lexOperator(op, needsBlank));
      if (strOp) {
        operator = strOp[0] as BinaryOperator;
        const hadBlank = strOp[1] || this.lexBlank();
        const savedPos = this.pos;
        const savedToken = this.lastToken;
        const word = hadBlank ? MODIFIER_WORDS.find((m) => this.lexOperator(m, true)) : undefined;
        if (word && this.listValueFollows() && !this.boolKeywordFollows()) {
          modifier = word;
          right = this.parseListValue();
        } else {
          this.pos = savedPos;
          this.lastToken = savedToken;
          right = this.parseStrValueOrTransformer(false);
        }
      } else {
        const listOp = LIST_OPS.find((op) => this.lexStr(op));
        if (!listOp) throw this.fail(`expected a valid check operator: one of ${SUPPORTED_OPERATORS}`);
        operator = listOp;
        right = this.parseListValueOrTransformer();
      }
    }
    const check: Expr = { kind: "binary", operator, left, right, start, end: this.pos };
    if (modifier) check.modifier = modifier;
    return check;
  }

  private listValueFollows(): boolean {
    if (this.input[this.pos] === "(") return true;
    RE_IDENTIFIER.lastIndex = this.pos;
    return RE_IDENTIFIER.test(this.input);
  }

  private boolKeywordFollows(): boolean {
    for (const keyword of ["and", "or", "not"]) {
      if (this.input.startsWith(keyword, this.pos)) {
        const next = this.pos + keyword.length;
        if (next >= this.length || !isAlnum(this.input.charCodeAt(next))) return true;
      }
    }
    return false;
  }

  private parseNumValueOrTransformer(): RightValue {
    this.lexBlank();
    const start = this.pos;
    const transformer = this.tryParseTransformerOrVal();
    if (transformer) return transformer;
    if (this.lexRegex(RE_HEX) || this.lexRegex(RE_NUMBER)) {
      return { kind: "string", value: this.lastToken, quoted: false, start, end: this.pos };
    }
    throw this.fail(`expected a number value or a field with a valid transformer: ${SUPPORTED_TRANSFORMERS}`);
  }

  private parseStrValueOrTransformer(noTransformer: boolean): RightValue {
    this.lexBlank();
    const start = this.pos;
    if (!noTransformer) {
      const transformer = this.tryParseTransformerOrVal();
      if (transformer) {
        return transformer;
      }
    }
    const quoted = this.lexQuoted();
    if (quoted || this.lexRegex(RE_BARE_STR)) {
      return { kind: "string", value: this.lastToken, quoted, start, end: this.pos };
    }
    if (noTransformer) throw this.fail("expected a string value");
    throw this.fail(`expected a string value or a field with a valid transformer: ${SUPPORTED_TRANSFORMERS}`);
  }

  private tryParseListExpr(): ListValue | undefined {
    const start = this.pos;
    if (!this.lexStr("(")) return undefined;
    const values: StringValue[] = [];
    this.lexBlank();
    let first: RightValue | undefined;
    try {
      first = this.parseStrValueOrTransformer(true);
    } catch (error) {
      // As libs: any failure on the head means "empty list", and the cursor stays where it is.
      if (!(error instanceof ConditionSyntaxError)) throw error;
      first = undefined;
    }
    if (first) {
      values.push(first as StringValue);
      this.lexBlank();
      while (this.lexStr(",")) {
        values.push(this.parseStrValueOrTransformer(true) as StringValue);
        this.lexBlank();
      }
    }
    if (!this.lexStr(")")) throw this.fail("expected a ')' token");
    return { kind: "list", values, start, end: this.pos };
  }

  private parseListValue(): RightValue {
    this.lexBlank();
    const start = this.pos;
    const list = this.tryParseListExpr();
    if (list) return list;
    if (this.lexRegex(RE_IDENTIFIER)) {
      return { kind: "string", value: this.lastToken, quoted: false, start, end: this.pos };
    }
    throw this.fail("expected a list or an identifier");
  }

  private parseListValueOrTransformer(): RightValue {
    this.lexBlank();
    const start = this.pos;
    const list = this.tryParseListExpr();
    if (list) {
      return list;
    }
    const transformer = this.tryParseTransformerOrVal();
    if (transformer) return transformer;
    if (this.lexRegex(RE_IDENTIFIER)) {
      return { kind: "string", value: this.lastToken, quoted: false, start, end: this.pos };
    }
    throw this.fail(
      `expected a list, an identifier, or a field with a valid transformer: ${SUPPORTED_TRANSFORMERS}`,
    );
  }

  private tryParseTransformerOrVal(): RightValue | undefined {
    this.lexBlank();
    const start = this.pos;
    if (this.lexStr("val(")) {
      this.lexBlank();
      const fieldStart = this.pos;
      if (!this.lexRegex(RE_FIELD_NAME)) throw this.fail("expected a field within 'val' transformer");
      const field = this.parseFieldRemainder(this.lastToken, fieldStart);
      this.lexBlank();
      if (!this.lexStr(")")) throw this.fail("expected a ')' token closing the transformer");
      const arg = this.parseOptionalFieldArg();
      return arg === undefined
        ? { kind: "val", field, start, end: this.pos }
        : { kind: "val", field, arg, start, end: this.pos };
    }
    const transformer = this.lexTransformerType();
    if (transformer) {
      this.lexBlank();
      return this.parseTransformerRemainder(transformer, start);
    }
    return undefined;
  }
}

function lastEnd(children: readonly Expr[]): number {
  return (children[children.length - 1] as Expr).end;
}

/**
 * Parses a Falco condition into its syntax tree. Throws `ConditionSyntaxError` (with `offset`, the
 * position in `source` where parsing stopped) when libs 0.25.4 would reject it.
 */
export function parseCondition(source: string): Expr {
  return new Parser(source).parse();
}

/** Parses one field or transformer at the start of `source` (output format tokens); throws like `parseCondition`. */
export function parseFieldOrTransformer(source: string): { operand: Operand; end: number } {
  return new Parser(source).parseFieldOrTransformer();
}
