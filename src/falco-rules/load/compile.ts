/**
 * Falco's `rule_loader::compiler` over everything collected: lists substituted, macro and rule
 * conditions parsed and checked (field, operator and value rules, macro visibility and loops),
 * outputs checked, event-type warnings, unused lists and macros.
 */
import { ConditionSyntaxError, type Expr } from "../condition/ast.ts";
import { checkCondition, type CheckIssue } from "../condition/checks.ts";
import { parseCondition } from "../condition/parser.ts";
import type { ConditionText, LoadedList, LoadedMacro, LoadedRule, SourceLocation } from "../model.ts";
import { OPAQUE_CONDITION, OPAQUE_ITEM_PREFIX, type Collector, type RuleInfo } from "./collect.ts";
import { EventTypes } from "./event-types.ts";
import { conditionWithExceptions } from "./exceptions.ts";
import type { Entry, ExceptionInfo } from "./item-model.ts";
import { ListSubstitution } from "./lists.ts";
import type { LocatedText, SourceFiles } from "./located-text.ts";
import { checkOutput } from "./outputs.ts";
import { LoadError } from "./reader.ts";
import type { FindingSink } from "./report.ts";

const isOpaqueValue = (value: string): boolean => value.startsWith(OPAQUE_ITEM_PREFIX);

interface CompiledMacro {
  expr?: Expr;
  text: LocatedText;
}

interface CompiledRule {
  expr?: Expr;
  text: LocatedText;
  skipped: boolean;
  output: string;
}

export interface CompiledRuleset {
  lists: LoadedList[];
  macros: LoadedMacro[];
  rules: LoadedRule[];
}

export class Compiler {
  private readonly listSubstitution: ListSubstitution;
  private readonly compiledMacros = new Map<string, CompiledMacro>();
  private readonly compiledRules = new Map<RuleInfo, CompiledRule>();
  private checked = false;
  private readonly macroIssues = new Map<string, CheckIssue[]>();
  private readonly reportedMacroIssues = new Set<string>();
  private readonly eventTypes = new EventTypes({
    macroBody: (name) => this.compiledMacros.get(name)?.expr,
    isOpaqueValue,
    opaqueCondition: OPAQUE_CONDITION,
  });

  constructor(
    private readonly collected: Collector,
    private readonly sources: SourceFiles,
    private readonly report: FindingSink,
  ) {
    this.listSubstitution = new ListSubstitution([...collected.lists.values()]);
  }

  /** Every check Falco's compiler makes, reported as findings (once, however often it is called). */
  check(): void {
    if (this.checked) return;
    this.checked = true;
    this.compileMacros();
    for (const rule of this.collected.rules.values()) {
      if (!rule.opaque && !rule.unknownSource) this.compiledRules.set(rule, this.compileRule(rule));
    }
    this.checkIndexMacroChanges();
    this.reportUnused();
  }

  /** The checked ruleset, for evaluation and reports; validation alone never builds it. */
  ruleset(): CompiledRuleset {
    this.check();
    const rules = [...this.collected.rules.values()].map((rule) => this.loadedRule(rule));
    const lists = [...this.collected.lists.values()].map((list): LoadedList => {
      const items = this.listSubstitution.items.get(list.name) ?? [];
      return {
        name: list.name,
        items: list.opaque ? [] : items,
        itemsKnown: !list.opaque && !items.some(isOpaqueValue),
        location: this.location(list.at),
      };
    });
    const macros = [...this.collected.macros.values()].map((macro): LoadedMacro => {
      const compiled = this.compiledMacros.get(macro.name);
      const loaded: LoadedMacro = {
        name: macro.name,
        conditionText: this.conditionText(compiled?.text ?? macro.cond),
        conditionKnown: !macro.opaque,
        location: this.location(macro.at),
      };
      if (compiled?.expr) loaded.condition = compiled.expr;
      return loaded;
    });
    return { lists, macros, rules };
  }

  private parse(text: LocatedText): Expr | undefined {
    try {
      return parseCondition(text.text);
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      this.report.error("LOAD_ERR_COMPILE_CONDITION", error.message, text.globalOffset(error.offset));
      return undefined;
    }
  }

  private compileMacros(): void {
    for (const macro of this.collected.macros.values()) {
      if (macro.opaque) continue;
      const text = this.listSubstitution.substitute(macro.cond);
      this.compiledMacros.set(macro.name, { expr: this.parse(text), text });
    }
    for (const macro of this.collected.macros.values()) {
      const compiled = this.compiledMacros.get(macro.name);
      if (compiled?.expr) this.resolveMacroRefs(compiled.expr, compiled.text, macro.visibility);
    }
    this.reportMacroLoops();
  }

  /** A macro that reaches itself through other macros cannot be inlined: Falco reports the loop. */
  private reportMacroLoops(): void {
    const state = new Map<string, "visiting" | "done">();
    const reported = new Set<string>();
    const visit = (name: string): void => {
      state.set(name, "visiting");
      const compiled = this.compiledMacros.get(name);
      const visibility = this.collected.macros.get(name)?.visibility ?? 0;
      for (const ref of compiled?.expr ? macroRefs(compiled.expr) : []) {
        const target = this.collected.macros.get(ref.name);
        if (!target || target.index >= visibility) continue;
        const targetState = state.get(ref.name);
        if (targetState === "visiting" && !reported.has(ref.name)) {
          reported.add(ref.name);
          const at = (compiled as CompiledMacro).text.globalOffset(ref.start);
          this.report.error("LOAD_ERR_VALIDATE", `reference loop in macro '${ref.name}'`, at);
        } else if (targetState === undefined) visit(ref.name);
      }
      state.set(name, "done");
    };
    for (const name of this.compiledMacros.keys()) if (!state.has(name)) visit(name);
  }

  /** Reports undefined macro references; a macro sees only macros defined before it. False on error. */
  private resolveMacroRefs(expr: Expr, text: LocatedText, visibility: number): boolean {
    let ok = true;
    for (const ref of macroRefs(expr)) {
      if (ref.name === OPAQUE_CONDITION) continue;
      const macro = this.collected.macros.get(ref.name);
      if (!macro && this.collected.failedNames.has(`macro:${ref.name}`)) {
        ok = false;
        continue;
      }
      if (!macro || macro.index >= visibility) {
        const at = text.globalOffset(ref.start);
        this.report.error("LOAD_ERR_VALIDATE", `Undefined macro '${ref.name}' used in filter.`, at);
        ok = false;
        continue;
      }
      macro.used = true;
    }
    return ok;
  }

  /**
   * Falco compiles everything collected so far after each file, so a rule cannot use a macro that
   * only a later file defines, even though rules may use macros defined later in the same file.
   */
  private checkMacroFileOrder(expr: Expr, text: LocatedText): boolean {
    let ok = true;
    for (const ref of macroRefs(expr)) {
      const macro = this.collected.macros.get(ref.name);
      if (!macro || macro.opaque) continue;
      const at = text.globalOffset(ref.start);
      const macroFile = this.sources.fileIndex(macro.firstAt);
      if (macroFile > this.sources.fileIndex(at)) {
        const definedIn = this.sources.files[macroFile]?.path ?? "a later file";
        this.report.error(
          "LOAD_ERR_VALIDATE",
          `Undefined macro '${ref.name}' used in filter. (It is defined in ${definedIn}, which loads later; Falco compiles the rules after each file.)`,
          at,
        );
        ok = false;
      }
    }
    return ok;
  }

  /** Every macro reachable from `expr`, each once. */
  private reachableMacros(expr: Expr, seen = new Set<string>()): Set<string> {
    for (const ref of macroRefs(expr)) {
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      const body = this.compiledMacros.get(ref.name)?.expr;
      if (body) this.reachableMacros(body, seen);
    }
    return seen;
  }

  private issuesOfMacro(name: string): CheckIssue[] {
    let issues = this.macroIssues.get(name);
    if (!issues) {
      const body = this.compiledMacros.get(name)?.expr;
      issues = body ? checkCondition(body, { isOpaqueValue, fields: this.collected.fields }) : [];
      this.macroIssues.set(name, issues);
    }
    return issues;
  }

  /** Reports a macro's issue once, however many rules reach the macro. */
  private reportMacroIssue(name: string, issue: CheckIssue): boolean {
    const key = `${name}\u0000${issue.offset}\u0000${issue.message}`;
    if (this.reportedMacroIssues.has(key)) return false;
    this.reportedMacroIssues.add(key);
    return true;
  }

  private reportIssue(issue: CheckIssue, at: number): void {
    if (issue.code === "LOAD_ERR_COMPILE_CONDITION") this.report.error(issue.code, issue.message, at);
    else this.report.warn(issue.code, issue.message, at);
  }

  private loadedRule(rule: RuleInfo): LoadedRule {
    const base = {
      name: rule.name,
      desc: rule.desc,
      rawCondition: rule.cond.text,
      output: rule.output.text,
      priority: rule.priority,
      source: rule.source,
      tags: [...rule.tags].sort(),
      enabled: rule.enabled,
      exceptions: rule.exceptions.filter((ex) => !ex.opaque).map(toRuleException),
      capture: rule.capture,
      captureDuration: rule.captureDuration,
      warnEvttypes: rule.warnEvttypes,
      skipIfUnknownFilter: rule.skipIfUnknownFilter,
      known: !rule.opaque,
      location: this.location(rule.at),
    };
    if (rule.opaque || rule.unknownSource) {
      return {
        ...base,
        conditionText: this.conditionText(rule.cond),
        skipped: rule.unknownSource || undefined,
      };
    }
    const compiled = this.compiledRules.get(rule) as CompiledRule;
    const loaded: LoadedRule = {
      ...base,
      output: compiled.output,
      conditionText: this.conditionText(compiled.text),
    };
    if (compiled.expr) loaded.condition = compiled.expr;
    if (compiled.skipped) loaded.skipped = true;
    return loaded;
  }

  private compileRule(rule: RuleInfo): CompiledRule {
    let text: LocatedText;
    try {
      text = conditionWithExceptions(rule);
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      this.report.error(error.code, error.message, error.at);
      return { text: rule.cond, skipped: false, output: rule.output.text };
    }
    const output = checkOutput(rule, this.collected.fields, this.report);
    let skipped = output.status === "skip";
    const expanded = this.listSubstitution.substitute(text);
    const result = { text: expanded, skipped, output: output.output };
    const expr = this.parse(expanded);
    if (!expr) return result;
    if (!this.resolveMacroRefs(expr, expanded, Number.MAX_SAFE_INTEGER)) return { ...result, expr };
    if (!this.checkMacroFileOrder(expr, expanded)) return { ...result, expr };

    const issues = checkCondition(expr, { isOpaqueValue, fields: this.collected.fields }).map((issue) => ({
      issue,
      at: expanded.globalOffset(issue.offset),
      macro: undefined as string | undefined,
    }));
    for (const name of this.reachableMacros(expr)) {
      const compiled = this.compiledMacros.get(name);
      if (!compiled) continue;
      for (const issue of this.issuesOfMacro(name)) {
        issues.push({ issue, at: compiled.text.globalOffset(issue.offset), macro: name });
      }
    }
    for (const { issue, at, macro } of issues) {
      if (issue.severity === "error" && issue.unknownFilter && rule.skipIfUnknownFilter) {
        this.report.warn(
          "LOAD_UNKNOWN_FILTER",
          `${issue.message} (rule '${rule.name}' is skipped: skip-if-unknown-filter)`,
          at,
        );
        skipped = true;
        continue;
      }
      if (macro && !this.reportMacroIssue(macro, issue)) continue;
      this.reportIssue(issue, at);
    }
    if (!skipped && rule.source === "syscall" && rule.warnEvttypes) {
      const set = this.eventTypes.of(expr);
      if (set && (set.negated || set.names.size === 0)) {
        this.report.warn(
          "LOAD_NO_EVTTYPE",
          // Falco 0.44.1 gives the same message for an empty set.
          set.negated
            ? "Rule matches too many evt.type values. This has a significant performance penalty."
            : "Rule matches too many evt.type values. This has a significant performance penalty. (Its condition matches no event type at all, so it can never trigger.)",
          rule.at,
        );
      }
    }
    return { expr, text: expanded, skipped, output: output.output };
  }

  /**
   * A user's redefinition of (or append to) an upstream macro is compiled by the upstream rules
   * that use it, which the index cannot show: check its body as if used.
   */
  private checkIndexMacroChanges(): void {
    for (const macro of this.collected.macros.values()) {
      if (macro.opaque || !this.collected.indexNames.has(`macro:${macro.name}`)) continue;
      const compiled = this.compiledMacros.get(macro.name);
      if (!compiled?.expr) continue;
      for (const issue of this.issuesOfMacro(macro.name)) {
        const at = compiled.text.globalOffset(issue.offset);
        if (this.reportMacroIssue(macro.name, issue)) this.reportIssue(issue, at);
      }
    }
  }

  /** Falco stops before its unused-item report when anything failed; it would be noise here too. */
  private reportUnused(): void {
    if (this.report.hasErrors()) return;
    for (const macro of this.collected.macros.values()) {
      if (!macro.used && !macro.opaque) {
        this.report.warn("LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", macro.at);
      }
    }
    for (const list of this.collected.lists.values()) {
      if (!list.used && !list.opaque) {
        this.report.warn("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", list.at);
      }
    }
  }

  private location(at: number): SourceLocation | undefined {
    return at < 0 ? undefined : this.sources.locate(at);
  }

  private conditionText(text: LocatedText): ConditionText {
    return { text: text.text, locate: (offset) => this.sources.locate(text.globalOffset(offset)) };
  }
}

function macroRefs(expr: Expr): { name: string; start: number }[] {
  const refs: { name: string; start: number }[] = [];
  // Depth first, left to right, without a closure per call: this runs for every rule and macro.
  const stack: Expr[] = [expr];
  while (stack.length > 0) {
    const node = stack.pop() as Expr;
    if (node.kind === "and" || node.kind === "or") {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as Expr);
    } else if (node.kind === "not") stack.push(node.child);
    else if (node.kind === "macro") refs.push({ name: node.name, start: node.start });
  }
  return refs;
}

function entryValue(entry: Entry): string | (string | string[])[] {
  if (!entry.isList) return entry.item;
  return entry.items.map((item) =>
    item.isList ? item.items.map((v) => (v.isList ? "" : v.item)) : item.item,
  );
}

function toRuleException(ex: ExceptionInfo): LoadedRule["exceptions"][number] {
  const fields = ex.fields ? entryValue(ex.fields) : [];
  const comps = ex.comps ? entryValue(ex.comps) : [];
  return {
    name: ex.name,
    fields: typeof fields === "string" ? fields : fields.map(String),
    comps: typeof comps === "string" ? comps : comps.map(String),
    values: ex.values.map(entryValue) as LoadedRule["exceptions"][number]["values"],
  };
}
