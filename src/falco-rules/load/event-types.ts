/**
 * A rule's event-type set as Falco computes it for `LOAD_NO_EVTTYPE`
 * (`L:userspace/libsinsp/filter/ppm_codes.cpp`): `and` intersects, `or` unites, `not` is pushed
 * down to the leaves; only `evt.type`/`syscall.type` with `= == != in intersects` set codes.
 */
import { literalValues, type Expr } from "../condition/ast.ts";

/** A set of event types, or its complement when `negated`. */
export interface TypeSet {
  negated: boolean;
  names: ReadonlySet<string>;
}

export interface EventTypeContext {
  /** The parsed body of a macro, undefined when unknown. */
  macroBody(name: string): Expr | undefined;
  /** Values the checker cannot see (upstream index lists): the set is unknown. */
  isOpaqueValue(value: string): boolean;
  opaqueCondition: string;
}

const ANY_TYPE: TypeSet = { negated: true, names: new Set<string>() };

/** Event-type sets of rule conditions, each macro's computed once per polarity. */
export class EventTypes {
  private readonly macroSets = new Map<string, TypeSet | undefined>();

  constructor(private readonly context: EventTypeContext) {}

  /** The expression's event-type set; undefined when it cannot be known. */
  of(expr: Expr, negated = false, visiting = new Set<string>()): TypeSet | undefined {
    switch (expr.kind) {
      case "and":
      case "or": {
        const intersect = (expr.kind === "and") !== negated;
        let acc: TypeSet | undefined;
        for (const child of expr.children) {
          const set = this.of(child, negated, visiting);
          if (!set) return undefined;
          acc = acc ? combineSets(acc, set, intersect) : set;
        }
        return acc;
      }
      case "not":
        return this.of(expr.child, !negated, visiting);
      case "macro":
        return this.ofMacro(expr.name, negated, visiting);
      case "unary":
        return ANY_TYPE;
      case "binary":
        return this.ofCheck(expr, negated);
    }
  }

  private ofMacro(name: string, negated: boolean, visiting: Set<string>): TypeSet | undefined {
    if (name === this.context.opaqueCondition || visiting.has(name)) return undefined;
    const key = negated ? `!${name}` : name;
    if (this.macroSets.has(key)) return this.macroSets.get(key);
    const body = this.context.macroBody(name);
    if (!body) return undefined;
    visiting.add(name);
    const set = this.of(body, negated, visiting);
    visiting.delete(name);
    // Only a top-level result is free of the caller's path (a loop would be cut short).
    if (visiting.size === 0) this.macroSets.set(key, set);
    return set;
  }

  private ofCheck(expr: Extract<Expr, { kind: "binary" }>, negated: boolean): TypeSet | undefined {
    const left = expr.left;
    if (
      left.kind !== "field" ||
      (left.name !== "evt.type" && left.name !== "syscall.type") ||
      left.arg !== undefined
    ) {
      return ANY_TYPE;
    }
    const values = literalValues(expr.right);
    if (!values) return ANY_TYPE;
    if (values.some(this.context.isOpaqueValue)) return undefined;
    const operator = expr.operator;
    let positive: boolean;
    if (operator === "=" || operator === "==" || operator === "in" || operator === "intersects")
      positive = true;
    else if (operator === "!=") positive = false;
    else return ANY_TYPE;
    return { negated: positive === negated, names: new Set(values) };
  }
}

function union(x: ReadonlySet<string>, y: ReadonlySet<string>): Set<string> {
  const result = new Set(x);
  for (const value of y) result.add(value);
  return result;
}

function intersection(x: ReadonlySet<string>, y: ReadonlySet<string>): Set<string> {
  const result = new Set<string>();
  for (const value of x) if (y.has(value)) result.add(value);
  return result;
}

function difference(x: ReadonlySet<string>, y: ReadonlySet<string>): Set<string> {
  const result = new Set<string>();
  for (const value of x) if (!y.has(value)) result.add(value);
  return result;
}

function combineSets(a: TypeSet, b: TypeSet, intersect: boolean): TypeSet {
  if (intersect) {
    if (!a.negated && !b.negated) return { negated: false, names: intersection(a.names, b.names) };
    if (!a.negated) return { negated: false, names: difference(a.names, b.names) };
    if (!b.negated) return { negated: false, names: difference(b.names, a.names) };
    return { negated: true, names: union(a.names, b.names) };
  }
  if (!a.negated && !b.negated) return { negated: false, names: union(a.names, b.names) };
  if (!a.negated) return { negated: true, names: difference(b.names, a.names) };
  if (!b.negated) return { negated: true, names: difference(a.names, b.names) };
  return { negated: true, names: intersection(a.names, b.names) };
}
