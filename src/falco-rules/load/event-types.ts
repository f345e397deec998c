/**
 * A rule's event-type set as Falco computes it for `LOAD_NO_EVTTYPE`
 * (`L:userspace/libsinsp/filter/ppm_codes.cpp`): `and` intersects, `or` unites, `not` is pushed
 * down to the leaves; only `evt.type`/`syscall.type` with `= == != in intersects` set codes.
 */
import { literalValues, type Expr } from "../condition/ast.ts";

/** A set of event types, or its complement when `negated`. */
export interface TypeSet {
  negated: boolean;
  names: Set<string>;
}

export interface EventTypeContext {
  /** The parsed body of a macro, undefined when unknown. */
  macroBody(name: string): Expr | undefined;
  /** Values the checker cannot see (upstream index lists): the set is unknown. */
  isOpaqueValue(value: string): boolean;
  opaqueCondition: string;
}

/** The expression's event-type set; undefined when it cannot be known. */
export function eventTypes(
  expr: Expr,
  context: EventTypeContext,
  negated = false,
  visiting = new Set<string>(),
): TypeSet | undefined {
  const all = (): TypeSet => ({ negated: true, names: new Set<string>() });
  switch (expr.kind) {
    case "and":
    case "or": {
      const intersect = (expr.kind === "and") !== negated;
      let acc: TypeSet | undefined;
      for (const child of expr.children) {
        const set = eventTypes(child, context, negated, visiting);
        if (!set) return undefined;
        acc = acc ? combineSets(acc, set, intersect) : set;
      }
      return acc;
    }
    case "not":
      return eventTypes(expr.child, context, !negated, visiting);
    case "macro": {
      if (expr.name === context.opaqueCondition || visiting.has(expr.name)) return undefined;
      const body = context.macroBody(expr.name);
      if (!body) return undefined;
      visiting.add(expr.name);
      const set = eventTypes(body, context, negated, visiting);
      visiting.delete(expr.name);
      return set;
    }
    case "unary":
      return all();
    case "binary": {
      const left = expr.left;
      if (
        left.kind !== "field" ||
        (left.name !== "evt.type" && left.name !== "syscall.type") ||
        left.arg !== undefined
      ) {
        return all();
      }
      const values = literalValues(expr.right);
      if (!values || values.some((value) => context.isOpaqueValue(value))) return values ? undefined : all();
      let set: TypeSet;
      const operator = expr.operator;
      if (operator === "=" || operator === "==" || operator === "in" || operator === "intersects") {
        set = { negated: false, names: new Set(values) };
      } else if (operator === "!=") {
        set = { negated: true, names: new Set(values) };
      } else {
        return all();
      }
      return negated ? { negated: !set.negated, names: set.names } : set;
    }
  }
}

function combineSets(a: TypeSet, b: TypeSet, intersect: boolean): TypeSet {
  const union = (x: Set<string>, y: Set<string>): Set<string> => new Set([...x, ...y]);
  const inter = (x: Set<string>, y: Set<string>): Set<string> => new Set([...x].filter((v) => y.has(v)));
  const minus = (x: Set<string>, y: Set<string>): Set<string> => new Set([...x].filter((v) => !y.has(v)));
  if (intersect) {
    if (!a.negated && !b.negated) return { negated: false, names: inter(a.names, b.names) };
    if (!a.negated) return { negated: false, names: minus(a.names, b.names) };
    if (!b.negated) return { negated: false, names: minus(b.names, a.names) };
    return { negated: true, names: union(a.names, b.names) };
  }
  if (!a.negated && !b.negated) return { negated: false, names: union(a.names, b.names) };
  if (!a.negated) return { negated: true, names: minus(b.names, a.names) };
  if (!b.negated) return { negated: true, names: minus(a.names, b.names) };
  return { negated: true, names: inter(a.names, b.names) };
}
