/**
 * Condition parser: a recursive-descent parser over the raw text, accepting and rejecting exactly
 * what the libs 0.25.4 parser (`libsinsp/filter/parser.cpp`) does. Tokens are matched at the cursor;
 * there is no separate token stream, because the grammar's blanks are significant.
 */
import {
  ConditionSyntaxError,
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
import {
  isAlnum,
  Lexer,
  LIST_OPS,
  MODIFIER_WORDS,
  NUM_OPS,
  RE_BARE_STR,
  RE_FIELD_ARG_BARE,
  RE_FIELD_NAME,
  RE_HEX,
  RE_IDENTIFIER,
  RE_NOT_BLANK,
  RE_NUMBER,
  STR_OPS,
  SUPPORTED_OPERATORS,
  SUPPORTED_TRANSFORMERS,
} from "./lexer.ts";

export { MAX_CONDITION_DEPTH, unescapeQuoted } from "./lexer.ts";

class Parser extends Lexer {
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
