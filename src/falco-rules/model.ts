/**
 * The ruleset as Falco 0.44.1 sees it once every file is loaded: overrides, appends and
 * redefinitions applied, lists expanded, conditions parsed.
 */
import type { Expr } from "./condition/ast.ts";
import type { Finding } from "./findings.ts";
import type { LoadedPlugin } from "./fields/catalog.ts";
import type { UpstreamRulesetName } from "./upstream/rulesets.ts";

export type { Finding } from "./findings.ts";
export type { LoadedPlugin } from "./fields/catalog.ts";

import type { Priority } from "./priorities.ts";

export { PRIORITIES, type Priority } from "./priorities.ts";

/** Where an item starts in its file (1-based). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface LoadedList {
  name: string;
  /** Items after lists-of-lists expansion from earlier lists (YAML scalar text, `80` stays "80"). */
  items: string[];
  /** False for names known only from the upstream index (no `--with` file): items unknown. */
  itemsKnown: boolean;
  location?: SourceLocation;
}

/** A condition text as parsed, with a way back to file positions. */
export interface ConditionText {
  /** The text given to the parser (after list substitution and, for rules, exceptions). */
  text: string;
  /** Maps an offset in `text` to the file position it came from. */
  locate(offset: number): SourceLocation | undefined;
}

export interface LoadedMacro {
  name: string;
  /** Parsed condition; macro references inside are kept as `macro` nodes. Undefined if it failed to parse. */
  condition?: Expr;
  conditionText: ConditionText;
  /** False for names known only from the upstream index. */
  conditionKnown: boolean;
  location?: SourceLocation;
}

export interface RuleException {
  name: string;
  /** A single field, or a tuple of fields. */
  fields: string | string[];
  /** Same shape as `fields` (defaults applied: `in` for a single field, `=` per tuple field). */
  comps: string | string[];
  /** Single field: scalar values. Tuple: one entry per field; an entry may itself be a list. */
  values: (string | (string | string[])[])[];
}

export interface LoadedRule {
  name: string;
  desc: string;
  /**
   * The compiled condition: the rule's condition with its exceptions applied
   * (`(cond) and not (…)`), list names substituted by their items, macro references kept as
   * `macro` nodes. Undefined when it failed to parse or the rule was skipped.
   */
  condition?: Expr;
  conditionText: ConditionText;
  /** The condition as written (after appends), before exceptions and list substitution. */
  rawCondition: string;
  /** The output as Falco uses it: appends applied, trimmed, `%container.info` removed. */
  output: string;
  priority: Priority;
  source: string;
  /** Sorted, de-duplicated. */
  tags: string[];
  /** After every override and standalone enable. */
  enabled: boolean;
  exceptions: RuleException[];
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  /** False for names known only from the upstream index. */
  known: boolean;
  /** Set when Falco would skip the rule (unknown source, or an unknown field with skip-if-unknown-filter). */
  skipped?: boolean;
  location?: SourceLocation;
}

/** Items appear in load order (position of their first definition), as in Falco. */
export interface Ruleset {
  lists: LoadedList[];
  macros: LoadedMacro[];
  rules: LoadedRule[];
  listsByName: ReadonlyMap<string, LoadedList>;
  macrosByName: ReadonlyMap<string, LoadedMacro>;
  rulesByName: ReadonlyMap<string, LoadedRule>;
  /** The plugins it was loaded with (`LoadOptions.plugins`): their fields are known to the evaluator. */
  plugins: readonly LoadedPlugin[];
}

export interface RulesFile {
  /** Shown in findings. */
  path: string;
  text: string;
}

export interface LoadOptions {
  /**
   * Context loaded before `files` when no full rules file gives it: the names (and kinds) of the
   * macros, lists and rules of these upstream rulesets resolve without their text. Default
   * `["falco-rules"]`; pass `[]` to check the files alone.
   */
  upstreamRulesets?: readonly UpstreamRulesetName[];
  /**
   * Full rules files loaded first, in order (e.g. the upstream files). When given, the upstream
   * index is not used. Findings in these files are reported too.
   */
  contextFiles?: readonly RulesFile[];
  /**
   * The plugins Falco loads: `required_plugin_versions` are checked against them, and conditions and
   * outputs may use the fields of those the toolkit has a table for (`k8smeta`). Default: container
   * 0.7.1 (bundled with Falco 0.44.1; its fields are always known).
   */
  plugins?: readonly LoadedPlugin[];
}

export interface LoadResult {
  ruleset: Ruleset;
  findings: Finding[];
}

export { loadRuleset } from "./load/loader.ts";
