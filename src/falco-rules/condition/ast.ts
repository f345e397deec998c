/**
 * Syntax tree of a Falco condition, shaped after the libs 0.25.4 parser (`libsinsp/filter/ast.h`).
 * Every node carries `start`/`end`: offsets into the exact text that was parsed (for rule and macro
 * conditions that is the text after list substitution; see `ConditionText` in model.ts for mapping
 * offsets back to files).
 */

export interface Span {
  /** Offset of the node's first character in the parsed text. */
  start: number;
  /** Offset just past the node's last character. */
  end: number;
}

export const TRANSFORMER_NAMES = [
  "tolower",
  "toupper",
  "b64",
  "basename",
  "len",
  "join",
  "concat",
  "getopt",
] as const;
export type TransformerName = (typeof TRANSFORMER_NAMES)[number];

export const UNARY_OPERATORS = ["exists"] as const;
export const NUMERIC_OPERATORS = ["<=", "<", ">=", ">"] as const;
export const STRING_OPERATORS = [
  "==",
  "=",
  "!=",
  "glob",
  "iglob",
  "contains",
  "icontains",
  "bcontains",
  "startswith",
  "bstartswith",
  "endswith",
  "regex",
] as const;
export const LIST_OPERATORS = ["intersects", "in", "pmatch"] as const;
export const MODIFIERS = ["oneof", "anyof", "allof"] as const;

export type UnaryOperator = (typeof UNARY_OPERATORS)[number];
export type BinaryOperator =
  (typeof NUMERIC_OPERATORS)[number] | (typeof STRING_OPERATORS)[number] | (typeof LIST_OPERATORS)[number];
export type Modifier = (typeof MODIFIERS)[number];

/** A boolean expression: the whole condition, or any part of it. */
export type Expr = AndExpr | OrExpr | NotExpr | UnaryCheck | BinaryCheck | MacroRef;

export interface AndExpr extends Span {
  kind: "and";
  /** Two or more children, left to right. */
  children: Expr[];
}

export interface OrExpr extends Span {
  kind: "or";
  children: Expr[];
}

export interface NotExpr extends Span {
  kind: "not";
  child: Expr;
}

/**
 * A bare identifier in check position: a macro reference. Macro references are kept as they are
 * in rule and macro trees; resolve them with the ruleset's `macros` map.
 */
export interface MacroRef extends Span {
  kind: "macro";
  name: string;
}

/** `field exists`. */
export interface UnaryCheck extends Span {
  kind: "unary";
  operator: UnaryOperator;
  left: Operand;
}

/** `field op value`; `modifier` is set for `startswith oneof (…)` and the like. */
export interface BinaryCheck extends Span {
  kind: "binary";
  operator: BinaryOperator;
  modifier?: Modifier;
  left: Operand;
  right: RightValue;
}

/** A field reference such as `proc.name`, `proc.aname[2]`, `evt.arg.flags` (arg stays in the name). */
export interface FieldRef extends Span {
  kind: "field";
  /** The field name token, e.g. `proc.aname` or `evt.arg.flags`. */
  name: string;
  /** The bracket argument, already unescaped when it was quoted (`[""]` gives ""). */
  arg?: string;
}

/** `tolower(proc.name)`, `join(",", (a.b, c.d))`, `getopt(proc.args)[n]`. */
export interface TransformerCall extends Span {
  kind: "transformer";
  name: TransformerName;
  args: TransformerArg[];
  /** Optional `[arg]` after the closing parenthesis. */
  arg?: string;
}

/** `val(field)` on the right-hand side: compare against another field of the same event. */
export interface FieldValue extends Span {
  kind: "val";
  field: FieldRef;
  arg?: string;
}

/** A literal: bare word, number or quoted string (already unescaped). */
export interface StringValue extends Span {
  kind: "string";
  value: string;
  /** True when written with quotes. */
  quoted: boolean;
}

/** `(a, "b c", d)`; after list substitution the items of referenced lists appear here. */
export interface ListValue extends Span {
  kind: "list";
  values: StringValue[];
}

/** `(a.b, "x", 3)` inside a transformer call. */
export interface TransformerList extends Span {
  kind: "transformer-list";
  items: (FieldRef | TransformerCall | StringValue)[];
}

export type Operand = FieldRef | TransformerCall;
export type TransformerArg = FieldRef | TransformerCall | StringValue | TransformerList;
/**
 * Right-hand side. A bare identifier after a list operator (`in my_list` with no list of that name)
 * is a `string` value, as in libs.
 */
export type RightValue = StringValue | ListValue | FieldValue | TransformerCall;

/** A parse failure: `offset` is the position in the source text where the parser stopped. */
/** The literal values of a right-hand side (`x` or `(x, y)`); undefined for `val()` and transformers. */
export function literalValues(right: RightValue): string[] | undefined {
  if (right.kind === "string") return [right.value];
  if (right.kind === "list") return right.values.map((value) => value.value);
  return undefined;
}

export class ConditionSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    // A rejected condition is an answer, not a bug: capturing a stack trace would cost as much as
    // the parse, and the parser also throws these while backtracking.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.offset = offset;
    this.name = "ConditionSyntaxError";
  }
}

/** Calls `visit` for every boolean node and check, depth first, parents before children. */
export function walkExpr(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case "and":
    case "or":
      for (const child of expr.children) walkExpr(child, visit);
      break;
    case "not":
      walkExpr(expr.child, visit);
      break;
    default:
      break;
  }
}
