import { literalValues, type BinaryCheck, type Expr } from "../condition/ast.ts";
import { fieldCatalogFor, type FieldCatalog } from "../fields/catalog.ts";
import type { LoadedRule, Ruleset } from "../model.ts";
import { compileBinary } from "./compare.ts";
import {
  compileOperand,
  derivation,
  EvaluatorCompileError,
  fieldKey,
  type EventFields,
  type Predicate,
} from "./extract.ts";

export { EvaluatorCompileError, type EventFields, type EventValue } from "./extract.ts";

/**
 * Offline evaluation of loaded rules against one event given as field values, with Falco's
 * semantics: a field the event does not give has no value, so every comparison on it is false and
 * `exists` is false; macros are inlined; lists were substituted and exceptions applied by the loader.
 */

/**
 * Falco's `rule_matching`: `first` (Falco's default) raises only the first rule, in load order, that
 * matches an event; `all` raises every matching rule.
 */
export type RuleMatching = "first" | "all";
export const RULE_MATCHING_MODES = ["first", "all"] as const satisfies readonly RuleMatching[];

/** What Falco raises for one event, and the matching rules `first` keeps quiet. */
export interface RaisedRules {
  raised: LoadedRule[];
  /** Rules that match too but are not raised (always empty under `all`). */
  shadowed: LoadedRule[];
}

/** A rule the evaluator cannot run (e.g. an undefined macro): Falco would refuse to load it. */
export interface EvaluatorProblem {
  rule: string;
  message: string;
}

interface CompiledRule {
  rule: LoadedRule;
  predicate: Predicate;
  /** Event types the rule can match; undefined when it is not restricted by `evt.type`. */
  eventTypes?: ReadonlySet<string>;
}

/** Rules compiled once for a ruleset, then run against any number of events. */
export class RuleEvaluator {
  readonly problems: EvaluatorProblem[] = [];
  private readonly byEventType = new Map<string, CompiledRule[]>();
  private readonly unrestricted: CompiledRule[] = [];
  private readonly compiled: CompiledRule[] = [];
  private readonly macroPredicates = new Map<string, Predicate>();
  private readonly macroTypes = new Map<string, TypeSet>();
  private readonly candidatesByType = new Map<string, readonly CompiledRule[]>();
  /** Per macro, the event number its remembered result is for, and that result. */
  private readonly macroStamps: number[] = [];
  private readonly macroResults: boolean[] = [];
  private eventNumber = 0;
  /** The fields of the plugins the ruleset was loaded with: list and typed fields compare as such. */
  private readonly fields: FieldCatalog;

  constructor(private readonly ruleset: Ruleset) {
    this.fields = fieldCatalogFor(ruleset.plugins);
    for (const rule of ruleset.rules) {
      // Disabled rules are compiled by Falco but never run; rules Falco skips are not run either.
      if (!rule.enabled || rule.skipped || rule.source !== "syscall") continue;
      if (!rule.condition) {
        this.problems.push({ rule: rule.name, message: "its condition did not parse" });
        continue;
      }
      try {
        const predicate = this.compileExpr(rule.condition, []);
        const types = this.eventTypesOf(rule.condition, false, []);
        const compiled: CompiledRule = { rule, predicate, eventTypes: types === ALL ? undefined : types };
        this.compiled.push(compiled);
      } catch (error) {
        if (!(error instanceof EvaluatorCompileError)) throw error;
        this.problems.push({ rule: rule.name, message: error.message });
      }
    }
    for (const compiled of this.compiled) {
      if (!compiled.eventTypes) {
        this.unrestricted.push(compiled);
        continue;
      }
      for (const type of compiled.eventTypes) {
        const bucket = this.byEventType.get(type) ?? [];
        bucket.push(compiled);
        this.byEventType.set(type, bucket);
      }
    }
  }

  /** The enabled rules that fire on the event, in load order. */
  matchingRules(event: EventFields): LoadedRule[] {
    this.eventNumber++;
    const type = event["evt.type"];
    const candidates = typeof type === "string" ? this.candidatesFor(type) : this.unrestricted;
    const fired: LoadedRule[] = [];
    for (const candidate of candidates) {
      if (candidate.predicate(event)) fired.push(candidate.rule);
    }
    return fired;
  }

  /** The rules Falco raises for the event under `mode`, and those the first match shadows. */
  raisedRules(event: EventFields, mode: RuleMatching): RaisedRules {
    const matching = this.matchingRules(event);
    if (mode === "all" || matching.length <= 1) return { raised: matching, shadowed: [] };
    return { raised: matching.slice(0, 1), shadowed: matching.slice(1) };
  }

  /** Rules that can match an event type (its bucket plus the unrestricted rules), in load order. */
  private candidatesFor(type: string): readonly CompiledRule[] {
    let candidates = this.candidatesByType.get(type);
    if (!candidates) {
      const wanted = new Set([...(this.byEventType.get(type) ?? []), ...this.unrestricted]);
      candidates = this.compiled.filter((rule) => wanted.has(rule));
      this.candidatesByType.set(type, candidates);
    }
    return candidates;
  }

  /** Names of the rules that fire, in load order. */
  evaluate(event: EventFields): string[] {
    return this.matchingRules(event).map((rule) => rule.name);
  }

  private compileExpr(expr: Expr, macroStack: readonly string[]): Predicate {
    switch (expr.kind) {
      case "and":
        return allOf(expr.children.map((child) => this.compileExpr(child, macroStack)));
      case "or":
        return anyOf(expr.children.map((child) => this.compileExpr(child, macroStack)));
      case "not": {
        const child = this.compileExpr(expr.child, macroStack);
        return (event) => !child(event);
      }
      case "macro":
        return this.compileMacro(expr.name, macroStack);
      case "unary": {
        const left = expr.left;
        if (left.kind === "field" && derivation(left.name, left.arg) === undefined) {
          const key = fieldKey(left.name, left.arg);
          return (event) => event[key] !== undefined;
        }
        const extract = compileOperand(left, this.fields);
        return (event) => extract(event) !== undefined;
      }
      case "binary":
        return compileBinary(expr, this.fields);
    }
  }

  private compileMacro(name: string, macroStack: readonly string[]): Predicate {
    const cached = this.macroPredicates.get(name);
    if (cached) return cached;
    if (macroStack.includes(name)) throw new EvaluatorCompileError(`reference loop in macro '${name}'`);
    const macro = this.ruleset.macrosByName.get(name);
    if (!macro) throw new EvaluatorCompileError(`undefined macro '${name}'`);
    if (!macro.condition) {
      throw new EvaluatorCompileError(
        macro.conditionKnown ? `macro '${name}' did not parse` : `macro '${name}' has no known condition`,
      );
    }
    const inner = this.compileExpr(macro.condition, [...macroStack, name]);
    // Many rules share a macro (container, spawned_process, …): each is evaluated once per event.
    const slot = this.macroStamps.length;
    this.macroStamps.push(-1);
    this.macroResults.push(false);
    const stamps = this.macroStamps;
    const results = this.macroResults;
    const predicate: Predicate = (event) => {
      if (stamps[slot] === this.eventNumber) return results[slot] as boolean;
      const result = inner(event);
      stamps[slot] = this.eventNumber;
      results[slot] = result;
      return result;
    };
    this.macroPredicates.set(name, predicate);
    return predicate;
  }

  /**
   * The event types an expression can match, over-approximated (ALL when unknown), as Falco's
   * `evt.type` restriction: `and` intersects, `or` unites, `not` is pushed down to the leaves.
   */
  private eventTypesOf(expr: Expr, negated: boolean, macroStack: readonly string[]): TypeSet {
    switch (expr.kind) {
      case "and":
      case "or": {
        const sets = expr.children.map((child) => this.eventTypesOf(child, negated, macroStack));
        const intersect = (expr.kind === "and") !== negated;
        return sets.reduce((acc, set) => (intersect ? intersectTypes(acc, set) : uniteTypes(acc, set)));
      }
      case "not":
        return this.eventTypesOf(expr.child, !negated, macroStack);
      case "macro": {
        const key = `${negated ? "!" : ""}${expr.name}`;
        const cached = this.macroTypes.get(key);
        if (cached) return cached;
        const macro = this.ruleset.macrosByName.get(expr.name);
        if (!macro?.condition || macroStack.includes(expr.name)) return ALL;
        const types = this.eventTypesOf(macro.condition, negated, [...macroStack, expr.name]);
        this.macroTypes.set(key, types);
        return types;
      }
      case "unary":
        return ALL;
      case "binary":
        return checkEventTypes(expr, negated);
    }
  }
}

// Loops instead of every/some: these run for every event and every rule.
function allOf(children: readonly Predicate[]): Predicate {
  if (children.length === 2) {
    const [first, second] = children as [Predicate, Predicate];
    return (event) => first(event) && second(event);
  }
  return (event) => {
    for (const child of children) if (!child(event)) return false;
    return true;
  };
}

function anyOf(children: readonly Predicate[]): Predicate {
  if (children.length === 2) {
    const [first, second] = children as [Predicate, Predicate];
    return (event) => first(event) || second(event);
  }
  return (event) => {
    for (const child of children) if (child(event)) return true;
    return false;
  };
}

const ALL = "all" as const;
type TypeSet = ReadonlySet<string> | typeof ALL;

function intersectTypes(a: TypeSet, b: TypeSet): TypeSet {
  if (a === ALL) return b;
  if (b === ALL) return a;
  return new Set([...a].filter((type) => b.has(type)));
}

function uniteTypes(a: TypeSet, b: TypeSet): TypeSet {
  if (a === ALL || b === ALL) return ALL;
  return new Set([...a, ...b]);
}

function checkEventTypes(check: BinaryCheck, negated: boolean): TypeSet {
  if (check.left.kind !== "field" || check.left.arg !== undefined || check.modifier) return ALL;
  // Only evt.type: the index looks events up by their evt.type value.
  if (check.left.name !== "evt.type") return ALL;
  const values = literalValues(check.right);
  if (!values) return ALL;
  const positive = check.operator === "=" || check.operator === "==" || check.operator === "in";
  if (positive && !negated) return new Set(values);
  if (check.operator === "!=" && negated) return new Set(values);
  return ALL;
}

const evaluators = new WeakMap<Ruleset, RuleEvaluator>();

/** The compiled evaluator of a ruleset, built once per ruleset object. */
export function evaluatorFor(ruleset: Ruleset): RuleEvaluator {
  let evaluator = evaluators.get(ruleset);
  if (!evaluator) {
    evaluator = new RuleEvaluator(ruleset);
    evaluators.set(ruleset, evaluator);
  }
  return evaluator;
}

/** Names of the enabled rules of `ruleset` that fire on `event`, in load order. */
export function evaluateEvent(ruleset: Ruleset, event: EventFields): string[] {
  return evaluatorFor(ruleset).evaluate(event);
}
