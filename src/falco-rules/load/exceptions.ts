/**
 * Rule exceptions as Falco compiles them (`F:userspace/engine/rule_loader_compiler.cpp`): each
 * exception becomes text spliced after the condition, `(cond) and not (…)`, values quoted as list
 * items are.
 */
import type { Entry, ExceptionInfo } from "./item-model.ts";
import type { RuleInfo } from "./collect.ts";
import {
  ConditionSyntaxError,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  STRING_OPERATORS,
  UNARY_OPERATORS,
} from "../condition/ast.ts";
import { checkCondition } from "../condition/checks.ts";
import type { FieldCatalog } from "../fields/catalog.ts";
import { parseCondition } from "../condition/parser.ts";
import { quoteItem } from "./lists.ts";
import { LocatedText } from "./located-text.ts";
import { LoadError } from "./reader.ts";

const LIST_OPERATOR_SET = new Set<string>(LIST_OPERATORS);
const ALL_OPERATORS = new Set<string>([
  ...UNARY_OPERATORS,
  ...NUMERIC_OPERATORS,
  ...STRING_OPERATORS,
  ...LIST_OPERATORS,
]);
const STR_OPERATORS_WITH_MODIFIER = new Set<string>(STRING_OPERATORS);

/** Exception comps: every operator, and string operators with a modifier (`= oneof`, ...). */
export function isStrOperatorWithModifier(op: string): boolean {
  const match = /^(\S+) (oneof|anyof|allof)$/.exec(op);
  return match !== null && STR_OPERATORS_WITH_MODIFIER.has(match[1] as string);
}

/** Falco's `paren_item`: a value for a list operator gets parentheses unless it has them. */
function parenItem(item: string): string {
  return item[0] !== "(" ? `(${item})` : item;
}

/** The rule's condition with its exceptions applied; throws LoadError for a malformed value. */
export function conditionWithExceptions(rule: RuleInfo): LocatedText {
  const known = rule.exceptions.filter((ex) => !ex.opaque);
  if (known.length === 0) return rule.cond;
  const parts: LocatedText[] = [
    LocatedText.synthetic("(", rule.at),
    rule.cond,
    LocatedText.synthetic(")", rule.at),
  ];
  for (const ex of known) {
    const fields = ex.fields as Entry;
    const comps = ex.comps as Entry;
    const piece: LocatedText[] = [];
    const syn = (text: string, at: number): void => {
      piece.push(LocatedText.synthetic(text, at));
    };
    if (!fields.isList) {
      const comp = comps.isList ? "in" : comps.item;
      let first = true;
      for (const value of ex.values) {
        if (value.isList) {
          throw new LoadError(
            "LOAD_ERR_VALIDATE",
            "Expected values array to contain a list of strings",
            value.at,
          );
        }
        syn(first ? `(${fields.item} ${comp} (` : ", ", first ? fields.at : value.at);
        syn(quoteItem(value.item), value.at);
        first = false;
      }
      if (!first) syn("))", ex.at);
    } else {
      syn("(", ex.at);
      let firstTuple = true;
      for (const values of ex.values) {
        const tuple = values.isList ? values.items : [values];
        if (fields.items.length !== tuple.length) {
          throw new LoadError("LOAD_ERR_VALIDATE", "Fields and values lists must have equal length", ex.at);
        }
        syn(firstTuple ? "(" : " or (", values.at);
        firstTuple = false;
        fields.items.forEach((field, k) => {
          const value = tuple[k] as Entry;
          const comp = comps.isList ? ((comps.items[k] as Entry & { isList: false }).item ?? "=") : "=";
          let valueText: string;
          if (value.isList) {
            valueText = `(${value.items.map((v) => (v.isList ? "" : quoteItem(v.item))).join(", ")})`;
          } else if (LIST_OPERATOR_SET.has(comp) || isStrOperatorWithModifier(comp)) {
            valueText = parenItem(value.item);
          } else {
            valueText = quoteItem(value.item);
          }
          syn(`${k === 0 ? "" : " and "} ${field.isList ? "" : field.item} ${comp} `, field.at);
          syn(valueText, value.at);
        });
        syn(")", values.at);
      }
      syn(")", ex.at);
      if (firstTuple) piece.length = 0;
    }
    if (piece.length > 0) parts.push(LocatedText.synthetic(" and not ", ex.at), ...piece);
  }
  return LocatedText.concat(parts);
}

/** An exception with a new name is added; one with a known name gets its values appended. */
export function appendException(
  prev: RuleInfo,
  ex: ExceptionInfo,
  source: string | undefined,
  knownFields: FieldCatalog,
): void {
  const existing = prev.exceptions.find((other) => other.name === ex.name);
  if (!existing) {
    if (!ex.fields) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        "Rule exception must have fields property with a list of fields",
        ex.at,
      );
    }
    if (ex.values.length === 0) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        "Rule exception must have values property with a list of values",
        ex.at,
      );
    }
    validateException(ex, source, knownFields);
    prev.exceptions.push(ex);
    return;
  }
  if (ex.fields) {
    throw new LoadError(
      "LOAD_ERR_VALIDATE",
      "Can not append exception fields to existing exception, only values",
      ex.at,
    );
  }
  if (ex.comps) {
    throw new LoadError(
      "LOAD_ERR_VALIDATE",
      "Can not append exception comps to existing exception, only values",
      ex.at,
    );
  }
  existing.values.push(...ex.values);
}

/** Checks an exception's fields and comps, and fills in the default comps. */
export function validateException(
  ex: ExceptionInfo,
  source: string | undefined,
  knownFields: FieldCatalog,
): void {
  const fields = ex.fields;
  if (!fields) {
    throw new LoadError(
      "LOAD_ERR_VALIDATE",
      "Rule exception item must have fields property with a list of fields",
      ex.at,
    );
  }
  if (fields.isList) {
    ex.comps ??= {
      isList: true,
      items: fields.items.map((field): Entry => ({ isList: false, item: "=", at: field.at })),
      at: ex.at,
    };
    const comps = ex.comps;
    if (!comps.isList || comps.items.length !== fields.items.length) {
      throw new LoadError("LOAD_ERR_VALIDATE", "Fields and comps lists must have equal length", ex.at);
    }
    for (const comp of comps.items) {
      if (comp.isList) throw new LoadError("LOAD_ERR_VALIDATE", "Exception comps must be strings", comp.at);
      comp.item = comp.item.trim();
      if (!ALL_OPERATORS.has(comp.item) && !isStrOperatorWithModifier(comp.item)) {
        throw new LoadError(
          "LOAD_ERR_VALIDATE",
          `'${comp.item}' is not a supported comparison operator`,
          comp.at,
        );
      }
    }
    if (source) {
      for (const field of fields.items) {
        if (field.isList || !isValidLhsField(field.item, knownFields)) {
          const written = field.isList ? "(list)" : field.item;
          throw new LoadError("LOAD_ERR_VALIDATE", `'${written}' is not a supported filter field`, field.at);
        }
      }
    }
    return;
  }
  ex.comps ??= { isList: false, item: "in", at: ex.at };
  const comps = ex.comps;
  if (comps.isList)
    throw new LoadError("LOAD_ERR_VALIDATE", "Fields and comps must both be strings", comps.at);
  comps.item = comps.item.trim();
  if (!["in", "pmatch", "intersects"].includes(comps.item) && !isStrOperatorWithModifier(comps.item)) {
    throw new LoadError(
      "LOAD_ERR_VALIDATE",
      "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
      comps.at,
    );
  }
  if (source && !isValidLhsField(fields.item, knownFields)) {
    throw new LoadError("LOAD_ERR_VALIDATE", `'${fields.item}' is not a supported filter field`, fields.at);
  }
}

function isValidLhsField(text: string, knownFields: FieldCatalog): boolean {
  try {
    const expr = parseCondition(`${text} exists`);
    return (
      expr.kind === "unary" &&
      checkCondition(expr, { fields: knownFields }).every((issue) => issue.severity !== "error")
    );
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return false;
    throw error;
  }
}
