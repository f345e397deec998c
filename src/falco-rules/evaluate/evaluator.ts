import {
  literalValues,
  type BinaryCheck,
  type Expr,
  type FieldRef,
  type Modifier,
  type Operand,
  type StringValue,
  type TransformerArg,
  type TransformerCall,
} from "../condition/ast.ts";
import { isNumericType, resolveField } from "../fields/catalog.ts";
import type { LoadedRule, Ruleset } from "../model.ts";
import {
  basename,
  bytesHex,
  canonicalIp,
  numericValue,
  decodeBase64,
  getopt,
  globToRegExp,
  ipInNetwork,
  pathPrefixMatch,
} from "./transformers.ts";

/**
 * Offline evaluation of loaded rules against one event given as field values, with Falco's
 * semantics: a field the event does not give has no value, so every comparison on it is false and
 * `exists` is false; macros are inlined; lists were substituted and exceptions applied by the loader.
 */

/** A field value as Falco would extract it; a list for list fields and for the ancestors of `proc.a*` fields. */
export type EventValue = string | readonly string[];
/** Field name (with its `[arg]` when it has one, e.g. `proc.aname[2]`) to value. */
export type EventFields = Readonly<Record<string, EventValue>>;

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

export class EvaluatorCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluatorCompileError";
  }
}

/**
 * Extracted values: `one` value; `any`, several candidates where a check holds if it holds for one
 * of them (ancestors for `proc.aname`, client or server for `fd.ip`); `list`, a list field
 * (`in` needs every element in the set, `intersects` one).
 */
type Extracted =
  | { kind: "one"; value: string }
  | { kind: "any"; values: readonly string[] }
  | { kind: "list"; values: readonly string[] };

type Predicate = (event: EventFields) => boolean;
type Extractor = (event: EventFields) => Extracted | undefined;

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

  constructor(private readonly ruleset: Ruleset) {
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
        const extract = compileOperand(left);
        return (event) => extract(event) !== undefined;
      }
      case "binary":
        return compileBinary(expr);
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

// ---------------------------------------------------------------------------------------------
// Checks

/** How a field's values compare. */
type FieldKind = "number" | "bool" | "ipaddr" | "ipnet" | "bytes" | "list" | "string";

function fieldKind(operand: Operand): FieldKind {
  if (operand.kind === "transformer") return operand.name === "len" ? "number" : "string";
  return kindOfField(operand.name, operand.arg);
}

function kindOfField(name: string, arg: string | undefined): FieldKind {
  const resolved = resolveField(name, arg);
  if (!resolved.ok) return "string";
  const { info, type } = resolved.field;
  if (info.isList) return "list";
  if (isNumericType(type)) return "number";
  switch (type) {
    case "BOOL":
      return "bool";
    case "IPADDR":
      return "ipaddr";
    case "IPNET":
      return "ipnet";
    case "BYTEBUF":
      return "bytes";
    case "DYNAMIC":
      // `evt.rawarg.X` takes the type of the event parameter; numbers are the common case.
      return "number";
    default:
      return "string";
  }
}

type Compare = (left: string) => boolean;

function compileBinary(check: BinaryCheck): Predicate {
  const extract = compileOperand(check.left);
  const kind = fieldKind(check.left);
  const { operator, modifier, right } = check;
  const listOperator = operator === "in" || operator === "intersects" || operator === "pmatch";

  if (right.kind === "val" || right.kind === "transformer") {
    const extractRight = right.kind === "val" ? compileField(right.field) : compileTransformer(right);
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

// ---------------------------------------------------------------------------------------------
// Extraction

function compileOperand(operand: Operand): Extractor {
  return operand.kind === "field" ? compileField(operand) : compileTransformer(operand);
}

function wrap(isList: boolean, value: EventValue): Extracted {
  if (typeof value === "string") return { kind: "one", value };
  return isList ? { kind: "list", values: value } : { kind: "any", values: value };
}

function fieldKey(name: string, arg: string | undefined): string {
  return arg === undefined ? name : `${name}[${arg}]`;
}

function compileField(ref: FieldRef): Extractor {
  const key = fieldKey(ref.name, ref.arg);
  const derive = derivation(ref.name, ref.arg);
  const isList = kindOfField(ref.name, ref.arg) === "list";
  return (event) => {
    const given = event[key];
    if (given !== undefined) return wrap(isList, given);
    return derive ? derive(event) : undefined;
  };
}

/** `proc.a*` ancestor fields, with the field giving the process itself and its parent. */
const ANCESTOR_FIELDS: Readonly<Record<string, { self: string; parent: string }>> = {
  "proc.aname": { self: "proc.name", parent: "proc.pname" },
  "proc.apid": { self: "proc.pid", parent: "proc.ppid" },
  "proc.aexe": { self: "proc.exe", parent: "proc.pexe" },
  "proc.aexepath": { self: "proc.exepath", parent: "proc.pexepath" },
  "proc.acmdline": { self: "proc.cmdline", parent: "proc.pcmdline" },
};
const PARENT_FIELDS = new Map(
  Object.entries(ANCESTOR_FIELDS).map(([ancestor, { parent }]) => [parent, ancestor]),
);
/** `fd.ip`-style fields that match the client or the server side. */
const EITHER_SIDE: Readonly<Record<string, readonly string[]>> = {
  "fd.ip": ["fd.cip", "fd.sip"],
  "fd.port": ["fd.cport", "fd.sport"],
  "fd.proto": ["fd.cproto", "fd.sproto"],
  "fd.net": ["fd.cip", "fd.sip"],
};
const NETWORK_OF: Readonly<Record<string, string>> = {
  "fd.cnet": "fd.cip",
  "fd.snet": "fd.sip",
  "fd.lnet": "fd.lip",
  "fd.rnet": "fd.rip",
};

function single(event: EventFields, key: string): string | undefined {
  const value = event[key];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value[0];
}

/** The ancestors of the process (parent first) as far as the event tells them. */
function ancestors(event: EventFields, field: string): readonly string[] | undefined {
  const given = event[field];
  if (given !== undefined) return typeof given === "string" ? [given] : given;
  const parent = event[levelKey(field, 1)] ?? event[(ANCESTOR_FIELDS[field] as { parent: string }).parent];
  if (parent === undefined) return undefined;
  const found: string[] = [typeof parent === "string" ? parent : (parent[0] ?? "")];
  for (let level = 2; ; level++) {
    const next = event[levelKey(field, level)];
    if (next === undefined) break;
    found.push(typeof next === "string" ? next : (next[0] ?? ""));
  }
  return found;
}

const levelKeys = new Map<string, string[]>();

/** `proc.aname[3]`, built once: these lookups run for every event a rule checks. */
function levelKey(field: string, level: number): string {
  let keys = levelKeys.get(field);
  if (!keys) levelKeys.set(field, (keys = []));
  return (keys[level] ??= `${field}[${level}]`);
}

/** How to get a field from others the event gives, when it does not give the field itself. */
function derivation(name: string, arg: string | undefined): Extractor | undefined {
  const ancestor = ANCESTOR_FIELDS[name];
  if (ancestor) {
    if (arg === undefined) {
      return (event) => {
        const values = ancestors(event, name);
        return values && values.length > 0 ? { kind: "any", values } : undefined;
      };
    }
    const level = Number(arg);
    if (!Number.isInteger(level) || level < 0) return undefined;
    if (level === 0) return (event) => oneOf(single(event, ancestor.self));
    return (event) => {
      if (level === 1) {
        const parent = single(event, ancestor.parent);
        if (parent !== undefined) return { kind: "one", value: parent };
      }
      const list = event[name];
      if (list === undefined) return undefined;
      const values = typeof list === "string" ? [list] : list;
      return oneOf(values[level - 1]);
    };
  }
  const parentOf = PARENT_FIELDS.get(name);
  if (parentOf && arg === undefined) {
    return (event) => {
      const given = event[levelKey(parentOf, 1)] ?? event[parentOf];
      if (given === undefined) return undefined;
      return oneOf(typeof given === "string" ? given : given[0]);
    };
  }
  const sides = EITHER_SIDE[name];
  if (sides && arg === undefined) {
    return (event) => {
      const values = sides.flatMap((side) => {
        const value = single(event, side);
        return value === undefined ? [] : [value];
      });
      return values.length > 0 ? { kind: "any", values } : undefined;
    };
  }
  const networkSource = NETWORK_OF[name];
  if (networkSource && arg === undefined) return (event) => oneOf(single(event, networkSource));
  if (name === "fd.directory" || name === "fd.filename") {
    const wantDirectory = name === "fd.directory";
    return (event) => {
      const file = single(event, "fd.name");
      if (file === undefined || !file.startsWith("/")) return undefined;
      const slash = file.lastIndexOf("/");
      return oneOf(wantDirectory ? file.slice(0, slash) || "/" : file.slice(slash + 1));
    };
  }
  if (name.startsWith("evt.arg.") && arg === undefined) {
    const bracket = `evt.arg[${name.slice("evt.arg.".length)}]`;
    return (event) => oneOf(single(event, bracket));
  }
  if (name === "evt.arg" && arg !== undefined && !/^\d+$/.test(arg)) {
    const dotted = `evt.arg.${arg}`;
    return (event) => oneOf(single(event, dotted));
  }
  return undefined;
}

function oneOf(value: string | undefined): Extracted | undefined {
  return value === undefined ? undefined : { kind: "one", value };
}

function mapExtracted(value: Extracted, map: (text: string) => string | undefined): Extracted | undefined {
  if (value.kind === "one") return oneOf(map(value.value));
  const values = value.values.flatMap((text) => {
    const mapped = map(text);
    return mapped === undefined ? [] : [mapped];
  });
  return { kind: value.kind, values };
}

function valuesOf(value: Extracted): readonly string[] {
  return value.kind === "one" ? [value.value] : value.values;
}

function compileTransformerArg(arg: TransformerArg): Extractor {
  switch (arg.kind) {
    case "field":
      return compileField(arg);
    case "transformer":
      return compileTransformer(arg);
    case "string": {
      const constant: Extracted = { kind: "one", value: arg.value };
      return () => constant;
    }
    case "transformer-list": {
      const items = arg.items.map((item) => compileTransformerArg(item));
      return (event) => ({
        kind: "list",
        values: items.flatMap((item) => {
          const value = item(event);
          return value === undefined ? [] : valuesOf(value);
        }),
      });
    }
  }
}

function compileTransformer(call: TransformerCall): Extractor {
  const args = call.args.map((arg) => compileTransformerArg(arg));
  const first = args[0];
  if (!first) throw new EvaluatorCompileError(`${call.name}() needs an argument`);
  switch (call.name) {
    case "tolower":
      return (event) => mapOver(first(event), (text) => text.toLowerCase());
    case "toupper":
      return (event) => mapOver(first(event), (text) => text.toUpperCase());
    case "basename":
      return (event) => mapOver(first(event), basename);
    case "b64":
      return (event) => mapOver(first(event), decodeBase64);
    case "len":
      return (event) => {
        const value = first(event);
        if (value === undefined) return undefined;
        if (value.kind === "list") return { kind: "one", value: String(value.values.length) };
        return mapExtracted(value, (text) => String(text.length));
      };
    case "join": {
      const list = args[1];
      if (!list) throw new EvaluatorCompileError("join() takes a separator and a list");
      return (event) => {
        const separator = first(event);
        const items = list(event);
        if (separator?.kind !== "one" || items === undefined) return undefined;
        return { kind: "one", value: valuesOf(items).join(separator.value) };
      };
    }
    case "concat":
      return (event) => {
        let text = "";
        for (const arg of args) {
          const value = arg(event);
          if (value?.kind !== "one") return undefined;
          text += value.value;
        }
        return { kind: "one", value: text };
      };
    case "getopt": {
      const optstring = args[1];
      if (!optstring) throw new EvaluatorCompileError("getopt() takes an argument list and an option string");
      return (event) => {
        const list = first(event);
        const options = optstring(event);
        if (list === undefined || options?.kind !== "one") return undefined;
        const argv =
          list.kind === "one" ? list.value.split(/\s+/).filter((word) => word !== "") : list.values;
        const result = getopt(argv, options.value, call.arg);
        if (result === undefined) return undefined;
        return typeof result === "string" ? { kind: "one", value: result } : { kind: "list", values: result };
      };
    }
  }
}

function mapOver(
  value: Extracted | undefined,
  map: (text: string) => string | undefined,
): Extracted | undefined {
  return value === undefined ? undefined : mapExtracted(value, map);
}
