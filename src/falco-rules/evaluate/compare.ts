/** How a check compares an extracted value with its right-hand side, per field type (`flt_compare` in libs). */
import type { BinaryCheck, Modifier, Operand, StringValue } from "../condition/ast.ts";
import type { FieldCatalog } from "../fields/catalog.ts";
import {
  compileField,
  compileOperand,
  compileTransformer,
  EvaluatorCompileError,
  fieldKey,
  kindOfField,
  wrap,
  type FieldKind,
  type Extracted,
  type Predicate,
} from "./extract.ts";
import {
  bytesHex,
  canonicalIp,
  globToRegExp,
  ipInNetwork,
  numericValue,
  pathPrefixMatch,
} from "./transformers.ts";

// ---------------------------------------------------------------------------------------------
// Checks

function fieldKind(operand: Operand, fields: FieldCatalog): FieldKind {
  if (operand.kind === "transformer") return operand.name === "len" ? "number" : "string";
  return kindOfField(operand.name, operand.arg, fields);
}

type Compare = (left: string) => boolean;

export function compileBinary(check: BinaryCheck, fields: FieldCatalog): Predicate {
  const extract = compileOperand(check.left, fields);
  const kind = fieldKind(check.left, fields);
  const { operator, modifier, right } = check;
  const listOperator = operator === "in" || operator === "intersects" || operator === "pmatch";

  if (right.kind === "val" || right.kind === "transformer") {
    const extractRight =
      right.kind === "val" ? compileField(right.field, fields) : compileTransformer(right, fields);
    return (event) => {
      const left = extract(event);
      const other = extractRight(event);
      if (left === undefined || other === undefined) return false;
      const values = other.kind === "one" ? [other.value] : other.values;
      const compare = listOperator
        ? setComparison(operator, kind, values)
        : (value: string) => values.some((candidate) => singleComparison(operator, kind, candidate)(value));
      return applyToExtracted(left, compare, operator);
    };
  }

  const literals = right.kind === "list" ? right.values.map((value) => value.value) : [right.value];
  let compare: Compare;
  if (modifier) compare = modifierComparison(operator, modifier, kind, literals);
  else if (listOperator) compare = setComparison(operator, kind, literals);
  else compare = singleComparison(operator, kind, (right as StringValue).value);
  const left = check.left;
  if (left.kind === "field") {
    // The common case, without building an extracted value: a field the event gives as one string.
    const key = fieldKey(left.name, left.arg);
    const isList = kind === "list";
    return (event) => {
      const given = event[key];
      if (typeof given === "string") return compare(given);
      const value = given === undefined ? extract(event) : wrap(isList, given);
      return value !== undefined && applyToExtracted(value, compare, operator);
    };
  }
  return (event) => {
    const value = extract(event);
    return value !== undefined && applyToExtracted(value, compare, operator);
  };
}

function applyToExtracted(left: Extracted, compare: Compare, operator: string): boolean {
  if (left.kind === "one") return compare(left.value);
  if (left.kind === "any") return left.values.some(compare);
  if (operator === "in") return left.values.length > 0 && left.values.every(compare);
  return left.values.some(compare);
}

function modifierComparison(
  operator: string,
  modifier: Modifier,
  kind: FieldKind,
  items: readonly string[],
): Compare {
  const comparisons = items.map((item) => singleComparison(operator, kind, item));
  return (value) => {
    const matches = comparisons.filter((compare) => compare(value)).length;
    if (modifier === "oneof") return matches === 1;
    if (modifier === "anyof") return matches >= 1;
    return matches === comparisons.length;
  };
}

function setComparison(operator: string, kind: FieldKind, items: readonly string[]): Compare {
  if (operator === "pmatch") return (value) => pathPrefixMatch(value, items);
  if (kind === "string" || kind === "list" || kind === "bytes") {
    const set = new Set(items);
    return (value) => set.has(value);
  }
  const equals = items.map((item) => singleComparison("=", kind, item));
  return (value) => equals.some((compare) => compare(value));
}

function singleComparison(operator: string, kind: FieldKind, right: string): Compare {
  switch (operator) {
    case "=":
    case "==":
      return equality(kind, right);
    case "!=": {
      const equal = equality(kind, right);
      return (value) => !equal(value);
    }
    case "<":
      return numberComparison(right, (order) => order < 0);
    case "<=":
      return numberComparison(right, (order) => order <= 0);
    case ">":
      return numberComparison(right, (order) => order > 0);
    case ">=":
      return numberComparison(right, (order) => order >= 0);
    case "contains":
      return (value) => value.includes(right);
    case "icontains": {
      const lower = right.toLowerCase();
      return (value) => value.toLowerCase().includes(lower);
    }
    case "startswith":
      return (value) => value.startsWith(right);
    case "endswith":
      return (value) => value.endsWith(right);
    case "bcontains": {
      const hex = right.toLowerCase();
      return (value) => containsAtByte(bytesHex(value), hex);
    }
    case "bstartswith": {
      const hex = right.toLowerCase();
      return (value) => bytesHex(value).startsWith(hex);
    }
    case "glob":
    case "iglob": {
      const pattern = globToRegExp(right, operator === "iglob");
      return (value) => pattern.test(value);
    }
    case "regex": {
      let pattern: RegExp;
      try {
        // RE2 full match: the pattern must match the whole value.
        pattern = new RegExp(`^(?:${right})$`, "s");
      } catch {
        throw new EvaluatorCompileError(`invalid regex pattern '${right}'`);
      }
      return (value) => pattern.test(value);
    }
    case "in":
    case "intersects":
    case "pmatch":
      return setComparison(operator, kind, [right]);
    default:
      throw new EvaluatorCompileError(`unsupported operator '${operator}'`);
  }
}

/** Compares the value with a number fixed at compile time; text that is no number never matches. */
function numberComparison(right: string, holds: (order: number) => boolean): Compare {
  const wanted = numericValue(right);
  if (wanted === undefined) return () => false;
  return (value) => {
    const number = numericValue(value);
    return number !== undefined && holds(number < wanted ? -1 : number > wanted ? 1 : 0);
  };
}

/** A hex match must start on a byte boundary. */
function containsAtByte(haystack: string, needle: string): boolean {
  let index = haystack.indexOf(needle);
  while (index >= 0) {
    if (index % 2 === 0) return true;
    index = haystack.indexOf(needle, index + 1);
  }
  return false;
}

function equality(kind: FieldKind, right: string): Compare {
  switch (kind) {
    case "number":
      return numberComparison(right, (order) => order === 0);
    case "bool": {
      const wanted = right.trim().toLowerCase();
      return (value) => value.trim().toLowerCase() === wanted;
    }
    case "ipaddr": {
      if (right.includes("/")) return (value) => ipInNetwork(value, right);
      const wanted = canonicalIp(right) ?? right;
      return (value) => value === wanted || (canonicalIp(value) ?? value) === wanted;
    }
    case "ipnet":
      return (value) => ipInNetwork(value, right);
    default:
      return (value) => value === right;
  }
}
