/**
 * Falco's `rule_loader::collector`: applies the items read from each file to what was loaded
 * before — definitions (a redefinition keeps its first position), `append`, `override` and the
 * standalone enable — and keeps each item's index and visibility for the ordering rules.
 */
import type { UpstreamIndexEntry } from "../upstream/upstream-index.ts";
import {
  parsePriority,
  parseSemver,
  trimLocated,
  versionCompatible,
  type PluginRequirement,
  type RuleDefinition,
  type RulesItem,
  type RuleUpdate,
} from "./item-model.ts";
import { appendException, validateException } from "./exceptions.ts";
import { LocatedText } from "./located-text.ts";
import { LoadError } from "./reader.ts";
import type { FieldCatalog, LoadedPlugin } from "../fields/catalog.ts";

/** Stands for an upstream condition whose text is not available (index context). */
export const OPAQUE_CONDITION = "falco_stack_upstream_condition";
/** Prefix of placeholder items standing for an upstream list's unknown items. */
export const OPAQUE_ITEM_PREFIX = "\u00a7";
export const KNOWN_SOURCES = new Set(["syscall"]);

export interface ListInfo {
  name: string;
  items: string[];
  index: number;
  visibility: number;
  at: number;
  opaque: boolean;
  used: boolean;
}

export interface MacroInfo {
  name: string;
  cond: LocatedText;
  index: number;
  visibility: number;
  at: number;
  condAt: number;
  /** Where the first definition is: its file decides from which file on the macro exists. */
  firstAt: number;
  opaque: boolean;
  used: boolean;
}

/** A rule as collected: its definition with every append and override applied. */
export interface RuleInfo extends Omit<RuleDefinition, "tags"> {
  tags: Set<string>;
  index: number;
  visibility: number;
  unknownSource: boolean;
  /** Known only by name (upstream index), never changed by a loaded file. */
  opaque: boolean;
  /** The output's earlier part is unknown (upstream index): only the loaded part is checked. */
  outputOpaque: boolean;
}

const ERROR_NO_PREVIOUS_MACRO =
  "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const ERROR_NO_PREVIOUS_LIST =
  "List uses 'append' or 'override.items: append' but no list by that name already exists";
const ERROR_NO_PREVIOUS_RULE_APPEND =
  "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE =
  "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

/** An error caused by an earlier, already reported one. */
export class CascadeError extends LoadError {
  constructor(at: number) {
    super("LOAD_ERR_VALIDATE", "follows an earlier error", at);
  }
}

/** Everything collected so far, in load order (Map insertion order = first definition). */
export class Collector {
  readonly lists = new Map<string, ListInfo>();
  readonly macros = new Map<string, MacroInfo>();
  readonly rules = new Map<string, RuleInfo>();
  readonly requiredPlugins: PluginRequirement[] = [];
  /** `kind:name` of the upstream index items: a user's redefinition of them never counts as unused. */
  readonly indexNames = new Set<string>();
  /** Names of macros and rules whose item failed: later errors about them would only repeat it. */
  readonly failedNames = new Set<string>();
  private nextIndex = 0;

  /** `fields`: what Falco knows with the plugins it loads, for exception fields. */
  constructor(readonly fields: FieldCatalog) {}

  /** The names of upstream rulesets, standing for their items when their text is not loaded. */
  loadIndex(entries: readonly UpstreamIndexEntry[]): void {
    for (const entry of entries) {
      for (const [name, count] of entry.lists) {
        this.indexNames.add(`list:${name}`);
        const items = Array.from({ length: count }, () => OPAQUE_ITEM_PREFIX + name);
        this.define(this.lists, { name, items, index: 0, visibility: 0, at: -1, opaque: true, used: true });
      }
      for (const name of entry.macros) {
        this.indexNames.add(`macro:${name}`);
        const cond = LocatedText.synthetic(OPAQUE_CONDITION, -1);
        const macro = {
          name,
          cond,
          index: 0,
          visibility: 0,
          at: -1,
          condAt: -1,
          firstAt: -1,
          opaque: true,
          used: true,
        };
        this.define(this.macros, macro);
      }
      for (const [name, source, priority, exceptionNames] of entry.rules) {
        this.define(this.rules, {
          name,
          cond: LocatedText.synthetic(OPAQUE_CONDITION, -1),
          output: LocatedText.synthetic("", -1),
          desc: "",
          priority: parsePriority(priority) ?? "Notice",
          source,
          enabled: true,
          tags: new Set<string>(),
          exceptions: exceptionNames.map((exName) => ({ name: exName, values: [], at: -1, opaque: true })),
          capture: false,
          captureDuration: 0,
          warnEvttypes: true,
          skipIfUnknownFilter: false,
          index: 0,
          visibility: 0,
          at: -1,
          unknownSource: !KNOWN_SOURCES.has(source),
          opaque: true,
          outputOpaque: true,
        });
      }
    }
  }

  /** Applies one item; throws LoadError when Falco would fail on it. */
  apply(item: RulesItem, warn: (code: "LOAD_UNKNOWN_SOURCE", message: string, at: number) => void): void {
    switch (item.kind) {
      case "engine-version":
      case "unknown":
        return;
      case "plugin-versions":
        this.requiredPlugins.push(...item.requirements);
        return;
      case "list":
        return this.applyList(item.name, item.items, item.append, item.at);
      case "macro":
        return this.applyMacro(item);
      case "rule-definition":
        return this.defineRule(item.rule, warn);
      case "rule-append":
        return this.appendRule(item.update);
      case "rule-override":
        for (const step of item.steps) {
          if (step.kind === "error") throw step.error;
          if (step.kind === "append") this.appendRule(step.update);
          else this.replaceRule(step.update);
        }
        if (item.unexpectedKey) throw item.unexpectedKey;
        return;
      case "rule-enable": {
        const prev = this.rules.get(item.name);
        if (!prev) {
          throw new LoadError(
            "LOAD_ERR_VALIDATE",
            "Rule has 'enabled' key but no rule by that name already exists",
            item.at,
          );
        }
        prev.enabled = item.enabled;
        return;
      }
    }
  }

  /** Remembers a failed macro or rule, so errors that only follow from it are not reported again. */
  rememberFailure(kind: "macro" | "rule", name: string): void {
    this.failedNames.add(`${kind}:${name}`);
  }

  private define<T extends { name: string; index: number; visibility: number }>(
    map: Map<string, T>,
    info: T,
  ): void {
    const id = this.nextIndex++;
    const prev = map.get(info.name);
    info.index = prev ? prev.index : id;
    info.visibility = id;
    // A redefinition keeps the original position in load order: Map keeps the first insertion.
    map.set(info.name, info);
  }

  private applyList(name: string, items: string[], append: boolean, at: number): void {
    if (append) {
      const prev = this.lists.get(name);
      if (!prev) throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_LIST, at);
      prev.items.push(...items);
      prev.visibility = this.nextIndex++;
      return;
    }
    const used = this.indexNames.has(`list:${name}`);
    this.define(this.lists, { name, items, index: 0, visibility: 0, at, opaque: false, used });
  }

  private applyMacro(item: Extract<RulesItem, { kind: "macro" }>): void {
    if (item.append) {
      const prev = this.macros.get(item.name);
      if (!prev) throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_MACRO, item.at);
      prev.cond = LocatedText.concat([prev.cond, LocatedText.synthetic(" ", item.condAt), item.cond]);
      prev.opaque = false;
      prev.visibility = this.nextIndex++;
      return;
    }
    this.define(this.macros, {
      name: item.name,
      cond: item.cond,
      index: 0,
      visibility: 0,
      at: item.at,
      condAt: item.condAt,
      firstAt: this.macros.get(item.name)?.firstAt ?? item.at,
      opaque: false,
      used: this.indexNames.has(`macro:${item.name}`),
    });
  }

  private findPrevRule(name: string, source: string, at: number): RuleInfo | undefined {
    const prev = this.rules.get(name);
    if (prev && prev.source !== "" && source !== "" && prev.source !== source) {
      throw new LoadError("LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source", at);
    }
    return prev;
  }

  private defineRule(
    rule: RuleDefinition,
    warn: (code: "LOAD_UNKNOWN_SOURCE", message: string, at: number) => void,
  ): void {
    const info: RuleInfo = {
      ...rule,
      tags: new Set(rule.tags),
      index: 0,
      visibility: 0,
      unknownSource: false,
      opaque: false,
      outputOpaque: false,
    };
    this.findPrevRule(rule.name, rule.source, rule.at);
    if (!KNOWN_SOURCES.has(rule.source)) {
      info.unknownSource = true;
      warn("LOAD_UNKNOWN_SOURCE", `Unknown source ${rule.source}, skipping`, rule.at);
    }
    for (const ex of info.exceptions)
      validateException(ex, info.unknownSource ? undefined : rule.source, this.fields);
    this.define(this.rules, info);
  }

  private ruleSourceFor(prev: RuleInfo, at: number): string | undefined {
    if (prev.unknownSource) return undefined;
    if (!KNOWN_SOURCES.has(prev.source))
      throw new LoadError("LOAD_ERR_VALIDATE", `Unknown source ${prev.source}`, at);
    return prev.source;
  }

  private previousRuleFor(update: RuleUpdate, missing: string): RuleInfo {
    const prev = this.findPrevRule(update.name, update.source, update.at);
    if (prev) return prev;
    if (this.failedNames.has(`rule:${update.name}`)) throw new CascadeError(update.at);
    throw new LoadError("LOAD_ERR_VALIDATE", missing, update.at);
  }

  private appendRule(update: RuleUpdate): void {
    const prev = this.previousRuleFor(update, ERROR_NO_PREVIOUS_RULE_APPEND);
    const hasAny =
      update.cond !== undefined ||
      update.output !== undefined ||
      update.desc !== undefined ||
      update.tags !== undefined ||
      update.exceptions !== undefined;
    if (!hasAny) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        "Appended rule must have exceptions or condition property",
        update.at,
      );
    }
    const source = this.ruleSourceFor(prev, update.at);
    // Falco appends text with a blank and no parentheses.
    if (update.cond && update.cond.text !== "") {
      prev.cond = LocatedText.concat([prev.cond, LocatedText.synthetic(" ", update.at), update.cond]);
    }
    if (update.output && update.output.text !== "") {
      prev.output = prev.outputOpaque
        ? update.output
        : LocatedText.concat([prev.output, LocatedText.synthetic(" ", update.at), update.output]);
    }
    if (update.desc) prev.desc = `${prev.desc} ${update.desc}`;
    for (const tag of update.tags ?? []) prev.tags.add(tag);
    for (const ex of update.exceptions ?? []) appendException(prev, ex, source, this.fields);
    prev.opaque = false;
    prev.visibility = this.nextIndex++;
  }

  private replaceRule(update: RuleUpdate): void {
    const prev = this.previousRuleFor(update, ERROR_NO_PREVIOUS_RULE_REPLACE);
    this.ruleSourceFor(prev, update.at);
    if (update.cond) prev.cond = update.cond;
    if (update.output) {
      prev.output = trimLocated(update.output);
      prev.outputOpaque = false;
    }
    if (update.desc !== undefined) prev.desc = update.desc;
    if (update.tags) prev.tags = new Set(update.tags);
    if (update.exceptions) prev.exceptions = update.exceptions;
    if (update.priority) prev.priority = update.priority;
    if (update.capture !== undefined) prev.capture = update.capture;
    if (update.captureDuration !== undefined) prev.captureDuration = update.captureDuration;
    if (update.enabled !== undefined) prev.enabled = update.enabled;
    if (update.warnEvttypes !== undefined) prev.warnEvttypes = update.warnEvttypes;
    if (update.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = update.skipIfUnknownFilter;
    prev.opaque = false;
    prev.visibility = this.nextIndex++;
  }

  /** Falco checks `required_plugin_versions` once every file is loaded. */
  unmetPluginRequirements(plugins: readonly LoadedPlugin[]): PluginRequirement[] {
    return this.requiredPlugins.filter(
      (requirement) =>
        !requirement.alternatives.some((alternative) => {
          const loaded = plugins.find((plugin) => plugin.name === alternative.name);
          const have = loaded && parseSemver(loaded.version);
          const want = parseSemver(alternative.version);
          return have !== undefined && want !== undefined && versionCompatible(have, want);
        }),
    );
  }
}
