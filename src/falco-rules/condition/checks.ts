/**
 * What the libs 0.25.4 filter compiler checks once a condition parses: fields and their arguments,
 * operators per field type, values per type, `evt.type` names, transformers and `val()`, plus the
 * compiler's warnings. Offsets refer to the text the tree was parsed from.
 */
import type { BinaryCheck, Expr, FieldRef, Operand, RightValue, TransformerCall } from "./ast.ts";
import {
  isEventType,
  isNumericType,
  operatorAllowed,
  type FieldCatalog,
  type FieldType,
} from "../fields/catalog.ts";
import { regexProblem, valueProblem, valueWarnings } from "./value-checks.ts";

export interface CheckIssue {
  severity: "error" | "warning";
  message: string;
  offset: number;
  /** Falco skips the rule instead of failing when `skip-if-unknown-filter` is set and this is true. */
  unknownFilter?: boolean;
  /** Falco's load-result code for it. */
  code: "LOAD_ERR_COMPILE_CONDITION" | "LOAD_COMPILE_CONDITION" | "LOAD_DEPRECATED_ITEM";
}

/** The type of an operand after its transformers. `UNKNOWN` turns value checks off. */
export interface OperandType {
  type: FieldType | "UNKNOWN";
  isList: boolean;
  noRhs: boolean;
}

class CheckFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const DEPRECATED_FIELD_PREFIXES = ["evt.dir", "evt.latency", "evt.wait_latency"];

export interface CheckOptions {
  /** The fields Falco knows with the plugins it loads. */
  fields: FieldCatalog;
  /** Values standing for list items the checker cannot see (upstream index lists): no type checks. */
  isOpaqueValue?: (value: string) => boolean;
  /** Warnings collected here (deprecated fields). */
  warnings?: CheckIssue[];
}

/** Resolves an operand (field or transformer chain) and returns its type; throws CheckFailure. */
function operandType(operand: Operand, options: CheckOptions, inTransformer: boolean): OperandType {
  if (operand.kind === "field") return fieldType(operand, options, inTransformer);
  return transformerType(operand, options);
}

function fieldType(field: FieldRef, options: CheckOptions, inTransformer: boolean): OperandType {
  const resolution = options.fields.resolve(field.name, field.arg);
  if (!resolution.ok) throw new CheckFailure(resolution.message, field.start);
  const { info } = resolution.field;
  if (inTransformer && info.noTransformer) {
    throw new CheckFailure(`filter error: field '${info.name}' does not support transformers`, field.start);
  }
  if (DEPRECATED_FIELD_PREFIXES.some((prefix) => field.name.startsWith(prefix))) {
    options.warnings?.push({
      severity: "warning",
      code: "LOAD_DEPRECATED_ITEM",
      message: `usage of deprecated field '${field.name}' has been detected in the rule condition`,
      offset: field.start,
    });
  }
  return {
    type: info.type === "DYNAMIC" ? "UNKNOWN" : info.type,
    isList: info.isList,
    noRhs: info.noRhs,
  };
}

function isStringType(type: FieldType | "UNKNOWN"): boolean {
  return type === "CHARBUF" || type === "UNKNOWN";
}

function transformerType(call: TransformerCall, options: CheckOptions): OperandType {
  const args = call.args.map((arg) => {
    if (arg.kind === "string")
      return { type: "CHARBUF" as const, isList: false, noRhs: false, literal: true };
    if (arg.kind === "transformer-list") {
      for (const item of arg.items) {
        if (item.kind !== "string") operandType(item, options, true);
      }
      return { type: "CHARBUF" as const, isList: true, noRhs: false, literal: false };
    }
    return { ...operandType(arg, options, true), literal: false };
  });
  const name = call.name;
  if (args.length === 1) {
    if (call.arg !== undefined) {
      throw new CheckFailure(
        `filter error: transformer '${name}' does not support field arguments`,
        call.start,
      );
    }
    const input = args[0] as OperandType;
    switch (name) {
      case "tolower":
      case "toupper":
      case "basename":
        if (!isStringType(input.type)) {
          throw new CheckFailure(
            `filter error: transformer '${name}' is not supported on type ${input.type}`,
            call.start,
          );
        }
        return { type: input.type, isList: input.isList, noRhs: false };
      case "b64":
        if (!isStringType(input.type) && input.type !== "BYTEBUF") {
          throw new CheckFailure(
            `filter error: transformer 'b64' is not supported on type ${input.type}`,
            call.start,
          );
        }
        return { type: input.type, isList: input.isList, noRhs: false };
      case "len":
        if (!isStringType(input.type) && input.type !== "BYTEBUF" && !input.isList) {
          throw new CheckFailure(
            `filter error: transformer 'len' is not supported on type ${input.type}`,
            call.start,
          );
        }
        return { type: "UINT64", isList: false, noRhs: false };
      default:
        throw new CheckFailure(
          `filter error: transformer '${name}' requires more than one argument`,
          call.start,
        );
    }
  }
  switch (name) {
    case "join": {
      if (args.length !== 2) {
        throw new CheckFailure("filter error: transformer 'join' requires exactly two arguments", call.start);
      }
      const separator = args[0] as OperandType;
      const list = args[1] as OperandType;
      if (separator.isList) {
        throw new CheckFailure(
          "filter error: the first argument of 'join' must be a single value",
          call.start,
        );
      }
      if (!list.isList) {
        throw new CheckFailure(
          "filter error: the second argument of 'join' must be a list: a (…) transformer list or a list field",
          call.start,
        );
      }
      return { type: "CHARBUF", isList: false, noRhs: false };
    }
    case "concat":
      for (const arg of args) {
        if (arg.isList || !isStringType(arg.type)) {
          throw new CheckFailure("filter error: 'concat' accepts only single string values", call.start);
        }
      }
      return { type: "CHARBUF", isList: false, noRhs: false };
    case "getopt": {
      if (args.length !== 2) {
        throw new CheckFailure(
          "filter error: transformer 'getopt' requires exactly two arguments",
          call.start,
        );
      }
      const [input, optstring] = args as [OperandType, OperandType & { literal: boolean }];
      if (!input.isList && !isStringType(input.type)) {
        throw new CheckFailure(
          "filter error: the first argument of 'getopt' must be a list of strings",
          call.start,
        );
      }
      if (!optstring.literal) {
        throw new CheckFailure(
          "filter error: the second argument of 'getopt' must be a quoted option string",
          call.start,
        );
      }
      if (call.arg !== undefined && call.arg.length !== 1) {
        throw new CheckFailure("filter error: 'getopt' selects a single option character", call.start);
      }
      return { type: "CHARBUF", isList: call.arg === undefined, noRhs: false };
    }
    default:
      throw new CheckFailure(`filter error: transformer '${name}' accepts exactly one argument`, call.start);
  }
}

function checkRightOperand(
  check: BinaryCheck,
  left: OperandType,
  right: RightValue,
  options: CheckOptions,
): void {
  if (right.kind === "val" || right.kind === "transformer") {
    if (right.kind === "val" && right.arg !== undefined) {
      throw new CheckFailure("filter error: transformer 'val' does not support field arguments", right.start);
    }
    const rightType =
      right.kind === "val" ? fieldType(right.field, options, false) : transformerType(right, options);
    if (check.operator === "pmatch" || check.operator === "regex") {
      throw new CheckFailure(
        `filter error: operator '${check.operator}' does not support a field on the right-hand side`,
        right.start,
      );
    }
    if (left.type === "IPNET") {
      throw new CheckFailure(
        "filter error: IP network fields do not support a field on the right-hand side",
        right.start,
      );
    }
    if (left.noRhs || rightType.noRhs) {
      throw new CheckFailure(
        "filter error: a field that does not support comparison with other fields was used with a right-hand side field",
        right.start,
      );
    }
  }
}

function checkValues(
  check: BinaryCheck,
  left: OperandType,
  isEvtType: boolean,
  options: CheckOptions,
  issues: CheckIssue[],
): void {
  const right = check.right;
  const values = right.kind === "string" ? [right] : right.kind === "list" ? right.values : [];
  for (const value of values) {
    if (options.isOpaqueValue?.(value.value)) continue;
    const problem = valueProblem(value.value, left.isList ? "CHARBUF" : left.type, check.operator);
    if (problem) throw new CheckFailure(problem, value.start);
    if (check.operator === "regex") {
      const regexError = regexProblem(value.value);
      if (regexError) throw new CheckFailure(regexError, value.start);
    }
    if (
      isEvtType &&
      !isEventType(value.value) &&
      (check.operator === "=" ||
        check.operator === "==" ||
        check.operator === "!=" ||
        check.operator === "in" ||
        check.operator === "intersects")
    ) {
      throw new CheckFailure(`unknown event type ${value.value}`, value.start);
    }
    valueWarnings(value, check.operator, options.fields, issues);
  }
}

/**
 * Checks the checks of `expr` (not the bodies of the macros it references). Returns the first
 * error, as Falco stops there, plus every warning found before it.
 */
export function checkCondition(expr: Expr, options: CheckOptions): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const warnings: CheckIssue[] = [];
  const withWarnings: CheckOptions = { ...options, warnings };
  const visit = (node: Expr): void => {
    switch (node.kind) {
      case "and":
      case "or":
        for (const child of node.children) visit(child);
        return;
      case "not":
        visit(node.child);
        return;
      case "macro":
        return;
      case "unary":
        operandType(node.left, withWarnings, false);
        return;
      case "binary": {
        const left = operandType(node.left, withWarnings, false);
        const operator = node.operator;
        if (!operatorAllowed(operator, left.type === "UNKNOWN" ? "CHARBUF" : left.type, left.isList)) {
          const what =
            node.left.kind === "field" ? `field '${node.left.name}'` : `transformer '${node.left.name}'`;
          const family = left.isList
            ? "list"
            : isNumericType(left.type as FieldType)
              ? "numeric"
              : left.type === "BOOL"
                ? "numeric"
                : left.type === "IPADDR" || left.type === "IPNET"
                  ? "ip address and network"
                  : left.type === "BYTEBUF"
                    ? "buffer"
                    : "string";
          throw new CheckFailure(
            `'${operator}' operator not supported for ${family} filters (${what} is ${left.isList ? "a list" : left.type})`,
            node.start,
          );
        }
        checkRightOperand(node, left, node.right, withWarnings);
        const isEvtType =
          node.left.kind === "field" && node.left.name === "evt.type" && node.left.arg === undefined;
        checkValues(node, left, isEvtType, withWarnings, issues);
        return;
      }
    }
  };
  try {
    visit(expr);
  } catch (error) {
    if (!(error instanceof CheckFailure)) throw error;
    const unknownFilter =
      /nonexistent field|invalid formatting token|unknown event type|unknown filter:/.test(error.message);
    issues.push({
      severity: "error",
      code: "LOAD_ERR_COMPILE_CONDITION",
      message: error.message,
      offset: error.offset,
      unknownFilter,
    });
  }
  return [...warnings, ...issues];
}

/** Compiles one output token (`%field` or `%transformer(…)`); returns an error message or undefined. */
export function checkOutputOperand(operand: Operand, fields: FieldCatalog): string | undefined {
  try {
    operandType(operand, { fields }, false);
    return undefined;
  } catch (error) {
    if (error instanceof CheckFailure) return error.message;
    throw error;
  }
}
