/**
 * Loads rules files with Falco 0.44.1 semantics: reader (keys and types), collector (definitions,
 * `append`, `override`, ordering) and compiler (list substitution, condition parsing, macro
 * resolution, field checks, outputs), collecting every finding instead of stopping at the first.
 */
import { isMap, isScalar, isSeq, type Node } from "yaml";
import {
  ConditionSyntaxError,
  LIST_OPERATORS,
  literalValues,
  NUMERIC_OPERATORS,
  STRING_OPERATORS,
  UNARY_OPERATORS,
  type Expr,
} from "../condition/ast.ts";
import { checkCondition, type CheckIssue } from "../condition/checks.ts";
import type { ErrorCode, Finding, FindingCode, WarningCode } from "../findings.ts";
import { LocatedText, ScalarSource, SourceFiles } from "./located-text.ts";
import type {
  ConditionText,
  LoadedList,
  LoadedMacro,
  LoadedRule,
  LoadOptions,
  LoadResult,
  Priority,
  RuleException,
  RulesFile,
  SourceLocation,
} from "../model.ts";
import { PRIORITIES } from "../model.ts";
import { parseOutputFormat } from "../condition/output-format.ts";
import { parseCondition } from "../condition/parser.ts";
import {
  decodeBoolKey,
  decodeSeq,
  decodeSource,
  decodeString,
  decodeUint32,
  decodeUint32Key,
  isNullNode,
  ItemMap,
  LoadError,
  readYamlItems,
  scalarText,
  type ReaderSink,
} from "./reader.ts";
import { UPSTREAM_INDEX, type UpstreamIndexEntry } from "../upstream/upstream-index.ts";

const ENGINE_VERSION = [0, 62, 0] as const;
const DEFAULT_PLUGINS = [{ name: "container", version: "0.7.1" }];
const KNOWN_SOURCES = new Set(["syscall"]);

/** Stands for an upstream condition whose text is not available (index context). */
export const OPAQUE_CONDITION = "falco_stack_upstream_condition";
/** Prefix of placeholder items standing for an upstream list's unknown items. */
export const OPAQUE_ITEM_PREFIX = "\u00a7";

const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const ERROR_NO_PREVIOUS_MACRO =
  "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const ERROR_NO_PREVIOUS_LIST =
  "List uses 'append' or 'override.items: append' but no list by that name already exists";
const ERROR_NO_PREVIOUS_RULE_APPEND =
  "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE =
  "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

const SCHEMA_PRIORITIES = new Set([
  "EMERGENCY",
  "ALERT",
  "CRITICAL",
  "ERROR",
  "WARNING",
  "NOTICE",
  "INFO",
  "INFORMATIONAL",
  "DEBUG",
]);
const LIST_NAME = /^[^()"' \t\n\v\f\r=,]+$/;
const MACRO_NAME = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;

const LIST_KEYS = new Set(["list", "items", "append", "override"]);
const MACRO_KEYS = new Set(["macro", "condition", "append", "override"]);
const RULE_KEYS = new Set([
  "rule",
  "condition",
  "output",
  "desc",
  "priority",
  "source",
  "enabled",
  "capture",
  "capture_duration",
  "warn_evttypes",
  "skip-if-unknown-filter",
  "tags",
  "exceptions",
  "override",
  "append",
]);
const RULE_APPENDABLE = ["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE = [
  "condition",
  "output",
  "desc",
  "priority",
  "capture",
  "capture_duration",
  "tags",
  "exceptions",
  "enabled",
  "warn_evttypes",
  "skip-if-unknown-filter",
];
/** Exception comps: every operator, and string operators with a modifier (`= oneof`, ...). */
const STR_OPERATORS_WITH_MODIFIER = new Set<string>(STRING_OPERATORS);
const ALL_OPERATORS = new Set<string>([
  ...UNARY_OPERATORS,
  ...NUMERIC_OPERATORS,
  ...STRING_OPERATORS,
  ...LIST_OPERATORS,
]);
const LIST_OPERATOR_SET = new Set<string>(LIST_OPERATORS);

function isStrOperatorWithModifier(op: string): boolean {
  const match = /^(\S+) (oneof|anyof|allof)$/.exec(op);
  return match !== null && STR_OPERATORS_WITH_MODIFIER.has(match[1] as string);
}

// --- collector state -----------------------------------------------------------------------------

type Entry = { isList: false; item: string; at: number } | { isList: true; items: Entry[]; at: number };

interface ExceptionInfo {
  name: string;
  fields?: Entry;
  comps?: Entry;
  values: Entry[];
  at: number;
  /** From the upstream index: fields and values unknown. */
  opaque?: boolean;
}

interface ListInfo {
  name: string;
  items: string[];
  index: number;
  visibility: number;
  at: number;
  opaque: boolean;
  used: boolean;
}

interface MacroInfo {
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

interface RuleInfo {
  name: string;
  cond: LocatedText;
  output: LocatedText;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: Set<string>;
  exceptions: ExceptionInfo[];
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  index: number;
  visibility: number;
  at: number;
  unknownSource: boolean;
  /** Known only by name (upstream index), never changed by a loaded file. */
  opaque: boolean;
  /** The output's earlier part is unknown (upstream index): only the loaded part is checked. */
  outputOpaque: boolean;
}

interface RuleUpdate {
  name: string;
  source: string;
  cond?: LocatedText;
  output?: LocatedText;
  desc?: string;
  tags?: string[];
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  capture?: boolean;
  captureDuration?: number;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
  at: number;
}

function parsePriority(text: string): Priority | undefined {
  const lower = text.toLowerCase();
  if (lower === "info") return "Informational";
  return PRIORITIES.find((priority) => priority.toLowerCase() === lower);
}

function parseSemver(text: string): [number, number, number] | undefined {
  // sscanf("%u.%u.%u"): trailing text is ignored.
  const match = /^\s*\+?([0-9]+)\.\s*\+?([0-9]+)\.\s*\+?([0-9]+)/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function versionCompatible(have: readonly number[], required: readonly number[]): boolean {
  if (have[0] !== required[0]) return false;
  for (let i = 1; i < 3; i++) {
    if ((have[i] as number) !== (required[i] as number)) return (have[i] as number) > (required[i] as number);
  }
  return true;
}

function quoteItem(item: string): string {
  return item.includes(" ") && item[0] !== '"' && item[0] !== "'" ? `"${item}"` : item;
}

function parenItem(item: string): string {
  return item[0] !== "(" ? `(${item})` : item;
}

const LIST_BLANKS = " \t\n\r";
const LIST_DELIMS = " \t\n\r(),=";

class Loader {
  readonly sources = new SourceFiles();
  readonly findings: Finding[] = [];
  private readonly lists = new Map<string, ListInfo>();
  private readonly macros = new Map<string, MacroInfo>();
  private readonly rules = new Map<string, RuleInfo>();
  private curIndex = 0;
  private readonly requiredPlugins: { alternatives: { name: string; version: string }[]; at: number }[] = [];

  /**
   * `kind:name` of the upstream index items: upstream rules may use a user's redefinition of
   * them, so it never counts as unused.
   */
  private readonly indexNames = new Set<string>();

  constructor(private readonly options: LoadOptions) {}

  // --- findings --------------------------------------------------------------------------------

  private add(severity: "error" | "warning", code: FindingCode, message: string, at: number): void {
    const location = this.sources.locate(at) ?? { file: "<upstream>", line: 1, col: 1 };
    this.findings.push({ ...location, severity, code, message });
  }

  private warn(code: WarningCode, message: string, at: number): void {
    this.add("warning", code, message, at);
  }

  private error(code: ErrorCode, message: string, at: number): void {
    this.add("error", code, message, at);
  }

  private readonly sink: ReaderSink = {
    warn: (code, message, at) => this.warn(code, message, at),
    error: (error) => this.error(error.code, error.message, error.at),
  };

  // --- context ---------------------------------------------------------------------------------

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
        this.define(this.macros, {
          name,
          cond,
          index: 0,
          visibility: 0,
          at: -1,
          condAt: -1,
          firstAt: -1,
          opaque: true,
          used: true,
        });
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

  // --- collector -------------------------------------------------------------------------------

  private define<T extends { name: string; index: number; visibility: number }>(
    map: Map<string, T>,
    info: T,
  ): void {
    const id = this.curIndex++;
    const prev = map.get(info.name);
    if (prev) {
      info.index = prev.index;
      info.visibility = id;
      // Keeps the original position in load order: Map preserves first insertion.
      map.set(info.name, info);
    } else {
      info.index = id;
      info.visibility = id;
      map.set(info.name, info);
    }
  }

  private findPrevRule(name: string, source: string, at: number): RuleInfo | undefined {
    const prev = this.rules.get(name);
    if (prev && prev.source !== "" && source !== "" && prev.source !== source) {
      throw new LoadError("LOAD_ERR_VALIDATE", "Rule has been re-defined with a different source", at);
    }
    return prev;
  }

  // --- reader ----------------------------------------------------------------------------------

  loadFile(file: RulesFile): void {
    const parsed = readYamlItems(this.sources, file.path, file.text, this.sink);
    for (const item of parsed.items) {
      try {
        this.readItem(item);
      } catch (error) {
        if (!(error instanceof LoadError)) throw error;
        if (!this.isCascade(error)) this.error(error.code, error.message, error.at);
        this.rememberFailure(item);
      }
    }
  }

  /** Names of macros and rules whose item failed: later errors about them would only repeat it. */
  private readonly failedNames = new Set<string>();

  private rememberFailure(item: ItemMap): void {
    for (const kind of ["macro", "rule"]) {
      const name = item.has(kind) ? scalarText(item.value(kind)) : undefined;
      if (name) {
        this.failedNames.add(`${kind}:${name}`);
        return;
      }
    }
  }

  private isCascade(error: LoadError): boolean {
    return error instanceof CascadeError;
  }

  private warnUnknownKeys(item: ItemMap, expected: ReadonlySet<string>): void {
    for (const { key, at } of item.keys) {
      if (!expected.has(key))
        this.warn("LOAD_UNKNOWN_KEY", `Unknown key '${key}'. The key will be ignored.`, at);
    }
  }

  private readItem(item: ItemMap): void {
    if (item.has("required_engine_version")) this.readEngineVersion(item);
    else if (item.has("required_plugin_versions")) this.readPluginVersions(item);
    else if (item.has("list")) this.readList(item);
    else if (item.has("macro")) this.readMacro(item);
    else if (item.has("rule")) this.readRule(item);
    else this.warn("LOAD_UNKNOWN_ITEM", "Unknown top level item", item.at);
  }

  private readEngineVersion(item: ItemMap): void {
    const text = decodeString(item, "required_engine_version") as string;
    let version: [number, number, number] | undefined;
    const asInt = decodeUint32(text);
    if (asInt !== undefined && /^[0-9]+$/.test(text.trim())) version = [0, asInt, 0];
    else version = parseSemver(text);
    if (!version) {
      throw new LoadError(
        "LOAD_ERR_YAML_VALIDATE",
        `Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`,
        item.valueAt("required_engine_version"),
      );
    }
    if (!versionCompatible(ENGINE_VERSION, version)) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        `Rules require engine version ${version.join(".")}, but engine version is ${ENGINE_VERSION.join(".")} (Falco 0.44.1)`,
        item.valueAt("required_engine_version"),
      );
    }
    this.warnUnknownKeys(item, new Set(["required_engine_version"]));
  }

  private readPluginVersions(item: ItemMap): void {
    const value = item.value("required_plugin_versions");
    const at = item.valueAt("required_plugin_versions");
    if (!value || !isSeq(value)) {
      throw new LoadError(
        "LOAD_ERR_YAML_VALIDATE",
        "Value of required_plugin_versions must be a sequence",
        at,
      );
    }
    for (const raw of value.items) {
      const plugin = item.resolve(raw as Node | null);
      const pluginAt = item.offsetOf(plugin);
      if (!plugin || !isMap(plugin)) {
        throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", pluginAt);
      }
      const pluginItem = new ItemMap(item.file, item.doc, plugin);
      const alternatives = [
        {
          name: decodeString(pluginItem, "name") as string,
          version: decodeString(pluginItem, "version") as string,
        },
      ];
      const alternativesNode = pluginItem.value("alternatives");
      if (pluginItem.has("alternatives")) {
        if (!alternativesNode || !isSeq(alternativesNode)) {
          throw new LoadError(
            "LOAD_ERR_YAML_VALIDATE",
            "Value of plugin version alternatives must be a sequence",
            pluginItem.valueAt("alternatives"),
          );
        }
        for (const rawAlternative of alternativesNode.items) {
          const alternative = item.resolve(rawAlternative as Node | null);
          if (!alternative || !isMap(alternative)) {
            throw new LoadError(
              "LOAD_ERR_YAML_VALIDATE",
              "Plugin version alternative must be a mapping",
              item.offsetOf(alternative),
            );
          }
          const alternativeItem = new ItemMap(item.file, item.doc, alternative);
          alternatives.push({
            name: decodeString(alternativeItem, "name") as string,
            version: decodeString(alternativeItem, "version") as string,
          });
        }
      }
      const seen = new Set<string>();
      for (const requirement of alternatives) {
        if (!parseSemver(requirement.version)) {
          throw new LoadError(
            "LOAD_ERR_VALIDATE",
            `Invalid required version '${requirement.version}' for plugin '${requirement.name}'`,
            pluginAt,
          );
        }
        if (seen.has(requirement.name)) {
          throw new LoadError(
            "LOAD_ERR_VALIDATE",
            `Defined multiple alternative version requirements for plugin '${requirement.name}'`,
            pluginAt,
          );
        }
        seen.add(requirement.name);
      }
      this.requiredPlugins.push({ alternatives, at: pluginAt });
    }
    this.warnUnknownKeys(item, new Set(["required_plugin_versions"]));
  }

  /** `decode_overrides`: returns the keys to append and to replace. */
  private readOverrides(
    item: ItemMap,
    appendable: readonly string[],
    replaceable: readonly string[],
  ): { append: Set<string>; replace: Set<string> } {
    const append = new Set<string>();
    const replace = new Set<string>();
    if (!item.has("override")) return { append, replace };
    const node = item.value("override");
    if (!node || !isMap(node)) {
      if (isNullNode(node)) return { append, replace };
      throw new LoadError(
        "LOAD_ERR_YAML_VALIDATE",
        "Value of 'override' must be a mapping of key: append|replace",
        item.valueAt("override"),
      );
    }
    for (const pair of node.items) {
      const keyNode = item.resolve(pair.key as Node | null);
      const valueNode = item.resolve(pair.value as Node | null);
      const key = scalarText(keyNode) ?? "";
      const operation = scalarText(valueNode);
      const keyAt = item.offsetOf(keyNode);
      if (operation === undefined) {
        throw new LoadError(
          "LOAD_ERR_YAML_VALIDATE",
          `Invalid override operation for key '${key}': expected append or replace`,
          keyAt,
        );
      }
      if (operation === "append") {
        if (!appendable.includes(key)) {
          throw new LoadError(
            "LOAD_ERR_YAML_VALIDATE",
            `Key '${key}' cannot be appended to, use 'replace' instead`,
            keyAt,
          );
        }
        append.add(key);
      } else if (operation === "replace") {
        if (!replaceable.includes(key)) {
          throw new LoadError("LOAD_ERR_YAML_VALIDATE", `Key '${key}' cannot be replaced`, keyAt);
        }
        replace.add(key);
      } else {
        const allowed = [appendable.includes(key) ? "append" : "", replaceable.includes(key) ? "replace" : ""]
          .filter(Boolean)
          .join(" ");
        throw new LoadError(
          "LOAD_ERR_YAML_VALIDATE",
          `Invalid override operation for key '${key}': '${operation}'. Allowed values are: ${allowed || "none (this key cannot be overridden)"}`,
          item.offsetOf(valueNode ?? keyNode),
        );
      }
    }
    return { append, replace };
  }

  private readList(item: ItemMap): void {
    const name = decodeString(item, "list") as string;
    if (!LIST_NAME.test(name)) {
      this.warn(
        "LOAD_INVALID_LIST_NAME",
        "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
        item.at,
      );
    }
    const items = (decodeSeq(item, "items", false) ?? []).map((entry) => entry.value);
    const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
    if (appendFlag) this.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, item.keyAt("append"));
    const overrides = this.readOverrides(item, ["items"], ["items"]);
    if (appendFlag && (overrides.append.size > 0 || overrides.replace.size > 0)) {
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);
    }
    if (appendFlag || overrides.append.has("items")) {
      const prev = this.lists.get(name);
      if (!prev) throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_LIST, item.at);
      prev.items.push(...items);
      prev.visibility = this.curIndex++;
    } else {
      this.define(this.lists, {
        name,
        items,
        index: 0,
        visibility: 0,
        at: item.at,
        opaque: false,
        used: this.indexNames.has(`list:${name}`),
      });
    }
    this.warnUnknownKeys(item, LIST_KEYS);
  }

  private readMacro(item: ItemMap): void {
    const name = decodeString(item, "macro") as string;
    if (!MACRO_NAME.test(name)) {
      this.warn(
        "LOAD_INVALID_MACRO_NAME",
        "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
        item.at,
      );
    }
    const cond = decodeSource(item, "condition") as ScalarSource;
    const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
    if (appendFlag) this.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, item.keyAt("append"));
    const overrides = this.readOverrides(item, ["condition"], ["condition"]);
    if (appendFlag && (overrides.append.size > 0 || overrides.replace.size > 0)) {
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);
    }
    const condText = LocatedText.fromScalar(cond);
    if (appendFlag || overrides.append.has("condition")) {
      const prev = this.macros.get(name);
      if (!prev) throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_MACRO, item.at);
      prev.cond = LocatedText.concat([prev.cond, LocatedText.synthetic(" ", cond.start), condText]);
      prev.opaque = false;
      prev.visibility = this.curIndex++;
    } else {
      this.define(this.macros, {
        name,
        cond: condText,
        index: 0,
        visibility: 0,
        at: item.at,
        condAt: cond.start,
        firstAt: this.macros.get(name)?.firstAt ?? item.at,
        opaque: false,
        used: this.indexNames.has(`macro:${name}`),
      });
    }
    this.warnUnknownKeys(item, MACRO_KEYS);
  }

  private readTags(item: ItemMap): string[] | undefined {
    return decodeSeq(item, "tags", true)?.map((entry) => entry.value);
  }

  private readPriority(item: ItemMap): Priority {
    const text = decodeString(item, "priority") as string;
    const priority = parsePriority(text);
    if (priority && !SCHEMA_PRIORITIES.has(text)) {
      // Falco checks every file against its JSON schema, which only knows upper-case priorities,
      // and logs a failure as a warning.
      this.warn(
        "LOAD_SCHEMA_VALIDATION",
        `schema validation: priority '${text}' is accepted by the loader but the rules schema expects upper case (${text.toUpperCase()})`,
        item.valueAt("priority"),
      );
    }
    if (!priority) {
      throw new LoadError(
        "LOAD_ERR_YAML_VALIDATE",
        `Invalid priority '${text}': use one of ${PRIORITIES.join(", ")} (any case) or Info`,
        item.valueAt("priority"),
      );
    }
    return priority;
  }

  private readExceptionEntry(item: ItemMap, node: Node | null, at: number): Entry {
    const resolved = item.resolve(node);
    if (resolved && isScalar(resolved)) {
      const text = String(resolved.value ?? "");
      if (text === "")
        throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Value must be non-empty", item.offsetOf(resolved));
      return { isList: false, item: text, at: item.offsetOf(resolved) };
    }
    if (resolved && isSeq(resolved)) {
      return {
        isList: true,
        items: resolved.items.map((child) =>
          this.readExceptionEntry(item, child as Node | null, item.offsetOf(child as Node)),
        ),
        at: item.offsetOf(resolved),
      };
    }
    if (resolved === null || isNullNode(resolved)) {
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Value must be non-empty", at);
    }
    throw new LoadError(
      "LOAD_ERR_YAML_VALIDATE",
      "Exception entries must be scalars or sequences",
      item.offsetOf(resolved),
    );
  }

  private readExceptions(item: ItemMap, append: boolean): ExceptionInfo[] {
    const node = item.value("exceptions");
    if (!item.has("exceptions") || isNullNode(node)) return [];
    if (!node || !isSeq(node)) {
      throw new LoadError(
        "LOAD_ERR_YAML_VALIDATE",
        "Rule exceptions must be a sequence",
        item.valueAt("exceptions"),
      );
    }
    const result: ExceptionInfo[] = [];
    for (const raw of node.items) {
      const exNode = item.resolve(raw as Node | null);
      const exAt = item.offsetOf(exNode ?? node);
      if (!exNode || !isMap(exNode)) {
        throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Rule exception must be a mapping", exAt);
      }
      const ex = new ItemMap(item.file, item.doc, exNode);
      const name = decodeString(ex, "name") as string;
      if (result.some((other) => other.name === name)) {
        this.warn(
          "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
          `Multiple definitions of exception '${name}' in the same rule`,
          exAt,
        );
      }
      const info: ExceptionInfo = { name, values: [], at: exAt };
      if (ex.has("fields")) info.fields = this.readExceptionEntry(ex, ex.value("fields"), ex.keyAt("fields"));
      else if (!append)
        throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'", exAt);
      if (ex.has("comps")) info.comps = this.readExceptionEntry(ex, ex.value("comps"), ex.keyAt("comps"));
      if (ex.has("values")) {
        const values = ex.value("values");
        if (!values || !isSeq(values)) {
          throw new LoadError(
            "LOAD_ERR_YAML_VALIDATE",
            "Rule exception values must be a sequence",
            ex.valueAt("values"),
          );
        }
        for (const value of values.items) {
          info.values.push(this.readExceptionEntry(ex, value as Node | null, ex.offsetOf(value as Node)));
        }
      } else if (append) {
        this.warn("LOAD_APPEND_NO_VALUES", "Overriding/appending exception with no values", exAt);
      }
      this.warnUnknownKeys(ex, new Set(["name", "fields", "comps", "values"]));
      result.push(info);
    }
    return result;
  }

  private readRule(item: ItemMap): void {
    const name = decodeString(item, "rule") as string;
    const source = decodeString(item, "source", { optional: true, canBeEmpty: true }) ?? "";
    const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
    if (appendFlag) this.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, item.keyAt("append"));
    const overrides = this.readOverrides(item, RULE_APPENDABLE, RULE_REPLACEABLE);
    const hasOverrides = overrides.append.size > 0 || overrides.replace.size > 0;
    if (appendFlag && hasOverrides)
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);

    if (hasOverrides) {
      const expected = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE].filter((key) => item.has(key)));
      const take = (operations: Set<string>, kind: string, key: string): boolean => {
        if (!operations.has(key)) return false;
        if (!expected.has(key)) {
          throw new LoadError(
            "LOAD_ERR_YAML_VALIDATE",
            `An ${kind} override for '${key}' was specified but '${key}' is not defined`,
            item.keyAt("override"),
          );
        }
        expected.delete(key);
        return true;
      };
      for (const kind of ["append", "replace"] as const) {
        const operations = overrides[kind];
        if (operations.size === 0) continue;
        const update: RuleUpdate = { name, source: "", at: item.at };
        if (take(operations, kind, "condition")) {
          update.source = source;
          update.cond = LocatedText.fromScalar(decodeSource(item, "condition") as ScalarSource);
        }
        if (take(operations, kind, "exceptions"))
          update.exceptions = this.readExceptions(item, kind === "append");
        if (take(operations, kind, "output")) {
          update.output = LocatedText.fromScalar(decodeSource(item, "output") as ScalarSource);
        }
        if (take(operations, kind, "desc")) update.desc = decodeString(item, "desc");
        if (take(operations, kind, "tags")) update.tags = this.readTags(item) ?? [];
        if (kind === "replace") {
          if (take(operations, kind, "priority")) update.priority = this.readPriority(item);
          if (take(operations, kind, "capture")) update.capture = decodeBoolKey(item, "capture");
          if (take(operations, kind, "capture_duration")) {
            update.captureDuration = decodeUint32Key(item, "capture_duration");
          }
          if (take(operations, kind, "enabled")) update.enabled = decodeBoolKey(item, "enabled");
          if (take(operations, kind, "warn_evttypes"))
            update.warnEvttypes = decodeBoolKey(item, "warn_evttypes");
          if (take(operations, kind, "skip-if-unknown-filter")) {
            update.skipIfUnknownFilter = decodeBoolKey(item, "skip-if-unknown-filter");
          }
          this.replaceRule(update);
        } else {
          this.appendRule(update, false);
        }
      }
      for (const key of expected) {
        throw new LoadError(
          "LOAD_ERR_YAML_VALIDATE",
          `Unexpected key '${key}': no corresponding entry under 'override' is defined.`,
          item.keyAt(key),
        );
      }
    } else if (appendFlag) {
      const update: RuleUpdate = { name, source, at: item.at };
      if (item.has("condition"))
        update.cond = LocatedText.fromScalar(decodeSource(item, "condition") as ScalarSource);
      if (item.has("exceptions")) update.exceptions = this.readExceptions(item, true);
      this.appendRule(update, true);
    } else if (!item.has("condition") && !item.has("output") && !item.has("desc") && !item.has("priority")) {
      const enabled = decodeBoolKey(item, "enabled") as boolean;
      this.warn("LOAD_DEPRECATED_ITEM", WARNING_ENABLED, item.at);
      const prev = this.rules.get(name);
      if (!prev) {
        throw new LoadError(
          "LOAD_ERR_VALIDATE",
          "Rule has 'enabled' key but no rule by that name already exists",
          item.at,
        );
      }
      prev.enabled = enabled;
    } else {
      const cond = decodeSource(item, "condition") as ScalarSource;
      const output = decodeSource(item, "output") as ScalarSource;
      const desc = decodeString(item, "desc") as string;
      const priority = this.readPriority(item);
      const ruleSource = decodeString(item, "source", { optional: true }) ?? "syscall";
      const info: RuleInfo = {
        name,
        cond: LocatedText.fromScalar(cond),
        output: trimLocated(LocatedText.fromScalar(output)),
        desc,
        priority,
        source: ruleSource,
        enabled: decodeBoolKey(item, "enabled", { optional: true }) ?? true,
        capture: decodeBoolKey(item, "capture", { optional: true }) ?? false,
        captureDuration: decodeUint32Key(item, "capture_duration", { optional: true }) ?? 0,
        warnEvttypes: decodeBoolKey(item, "warn_evttypes", { optional: true }) ?? true,
        skipIfUnknownFilter: decodeBoolKey(item, "skip-if-unknown-filter", { optional: true }) ?? false,
        tags: new Set(this.readTags(item) ?? []),
        exceptions: this.readExceptions(item, false),
        index: 0,
        visibility: 0,
        at: item.at,
        unknownSource: false,
        opaque: false,
        outputOpaque: false,
      };
      this.findPrevRule(name, ruleSource, item.at);
      if (!KNOWN_SOURCES.has(ruleSource)) {
        info.unknownSource = true;
        this.warn("LOAD_UNKNOWN_SOURCE", `Unknown source ${ruleSource}, skipping`, item.at);
      }
      for (const ex of info.exceptions) {
        this.validateException(ex, info.unknownSource ? undefined : ruleSource);
      }
      this.define(this.rules, info);
    }
    this.warnUnknownKeys(item, RULE_KEYS);
  }

  private validateException(ex: ExceptionInfo, source: string | undefined): void {
    const fields = ex.fields;
    if (!fields) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        "Rule exception item must have fields property with a list of fields",
        ex.at,
      );
    }
    if (fields.isList) {
      if (!ex.comps) {
        ex.comps = {
          isList: true,
          items: fields.items.map((f) => ({ isList: false, item: "=", at: f.at })),
          at: ex.at,
        };
      }
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
          if (field.isList || !this.isValidLhsField(field.item)) {
            throw new LoadError(
              "LOAD_ERR_VALIDATE",
              `'${field.isList ? "(list)" : field.item}' is not a supported filter field`,
              field.at,
            );
          }
        }
      }
    } else {
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
      if (source && !this.isValidLhsField(fields.item)) {
        throw new LoadError(
          "LOAD_ERR_VALIDATE",
          `'${fields.item}' is not a supported filter field`,
          fields.at,
        );
      }
    }
  }

  private isValidLhsField(text: string): boolean {
    try {
      const expr = parseCondition(`${text} exists`);
      return expr.kind === "unary" && checkCondition(expr).every((issue) => issue.severity !== "error");
    } catch (error) {
      if (error instanceof ConditionSyntaxError) return false;
      throw error;
    }
  }

  private ruleSourceFor(prev: RuleInfo, at: number): string | undefined {
    if (prev.unknownSource) return undefined;
    if (!KNOWN_SOURCES.has(prev.source))
      throw new LoadError("LOAD_ERR_VALIDATE", `Unknown source ${prev.source}`, at);
    return prev.source;
  }

  private appendRule(update: RuleUpdate, legacy: boolean): void {
    const prev = this.findPrevRule(update.name, update.source, update.at);
    if (!prev) {
      if (this.failedNames.has(`rule:${update.name}`)) throw new CascadeError(update.at);
      throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_RULE_APPEND, update.at);
    }
    const hasAny =
      update.cond !== undefined ||
      update.output !== undefined ||
      update.desc !== undefined ||
      update.tags !== undefined ||
      update.exceptions !== undefined;
    if (!hasAny) {
      throw new LoadError(
        "LOAD_ERR_VALIDATE",
        legacy
          ? "Appended rule must have exceptions or condition property"
          : "Appended rule must have exceptions or condition property",
        update.at,
      );
    }
    const source = this.ruleSourceFor(prev, update.at);
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
    for (const ex of update.exceptions ?? []) {
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
        this.validateException(ex, source);
        prev.exceptions.push(ex);
      } else {
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
    }
    prev.opaque = false;
    prev.visibility = this.curIndex++;
  }

  private replaceRule(update: RuleUpdate): void {
    const prev = this.findPrevRule(update.name, update.source, update.at);
    if (!prev) {
      if (this.failedNames.has(`rule:${update.name}`)) throw new CascadeError(update.at);
      throw new LoadError("LOAD_ERR_VALIDATE", ERROR_NO_PREVIOUS_RULE_REPLACE, update.at);
    }
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
    prev.visibility = this.curIndex++;
  }

  checkPluginRequirements(): void {
    const plugins = this.options.plugins ?? DEFAULT_PLUGINS;
    for (const requirement of this.requiredPlugins) {
      const satisfied = requirement.alternatives.some((alternative) => {
        const loaded = plugins.find((plugin) => plugin.name === alternative.name);
        const have = loaded && parseSemver(loaded.version);
        const want = parseSemver(alternative.version);
        return have !== undefined && want !== undefined && versionCompatible(have, want);
      });
      if (!satisfied) {
        const names = requirement.alternatives.map((a) => `${a.name} (>= ${a.version})`).join(", ");
        this.error(
          "LOAD_ERR_VALIDATE",
          `Plugin requirement not satisfied, must load one of: ${names}; Falco 0.44.1 bundles ${plugins.map((p) => `${p.name} ${p.version}`).join(", ")}`,
          requirement.at,
        );
      }
    }
  }

  // --- compiler --------------------------------------------------------------------------------

  private compiledLists = new Map<string, string[]>();
  private listOrder: ListInfo[] = [];

  private compileLists(): void {
    this.listOrder = [...this.lists.values()];
    for (const list of this.listOrder) {
      const items: string[] = [];
      for (const item of list.items) {
        const ref = this.lists.get(item);
        if (ref && ref.index < list.visibility) {
          ref.used = true;
          items.push(...ref.items);
        } else {
          items.push(item);
        }
      }
      this.compiledLists.set(list.name, items);
    }
  }

  /** Falco's `resolve_list`, over every list in definition order, keeping positions. */
  private substituteLists(text: LocatedText): LocatedText {
    let result = text;
    for (const list of this.listOrder) {
      const name = list.name;
      if (name.length === 0 || !result.text.includes(name)) continue;
      const items = this.compiledLists.get(name) ?? [];
      let cnd = result.text;
      let start = cnd.indexOf(name);
      while (start !== -1) {
        let end = start + name.length;
        if (
          (start === 0 || LIST_DELIMS.includes(cnd[start - 1] as string)) &&
          (end >= cnd.length || LIST_DELIMS.includes(cnd[end] as string))
        ) {
          const anchor = result.globalOffset(start);
          while (start > 0 && LIST_BLANKS.includes(cnd[start - 1] as string)) start--;
          while (end < cnd.length && LIST_BLANKS.includes(cnd[end] as string)) end++;
          const sub = items.map(quoteItem).join(", ");
          if (sub === "") {
            if (start > 0 && cnd[start - 1] === ",") start--;
            else if (end < cnd.length && cnd[end] === ",") end++;
          }
          const insert = (start > 0 ? " " : "") + sub + " ";
          result = result.replace(start, end, insert, anchor);
          cnd = result.text;
          start += sub.length + 1;
          list.used = true;
        }
        start = cnd.indexOf(name, start + 1);
      }
    }
    return result;
  }

  private parseLocated(text: LocatedText, code: ErrorCode = "LOAD_ERR_COMPILE_CONDITION"): Expr | undefined {
    try {
      return parseCondition(text.text);
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      this.error(code, `${error.message}`, text.globalOffset(error.offset));
      return undefined;
    }
  }

  private macroAsts = new Map<string, { expr?: Expr; text: LocatedText }>();
  private macroIssues = new Map<string, CheckIssue[]>();
  private reportedMacroIssues = new Set<string>();

  private compileMacros(): void {
    for (const macro of this.macros.values()) {
      if (macro.opaque) continue;
      const text = this.substituteLists(macro.cond);
      this.macroAsts.set(macro.name, { expr: this.parseLocated(text), text });
    }
    for (const macro of this.macros.values()) {
      const compiled = this.macroAsts.get(macro.name);
      if (!compiled?.expr) continue;
      this.resolveMacroRefs(compiled.expr, compiled.text, macro.visibility);
    }
    this.reportMacroLoops();
  }

  /** A macro that reaches itself through other macros cannot be inlined: Falco reports the loop. */
  private reportMacroLoops(): void {
    const state = new Map<string, "visiting" | "done">();
    const reported = new Set<string>();
    const visit = (name: string): void => {
      state.set(name, "visiting");
      const compiled = this.macroAsts.get(name);
      const visibility = this.macros.get(name)?.visibility ?? 0;
      if (compiled?.expr) {
        for (const ref of macroRefs(compiled.expr)) {
          const target = this.macros.get(ref.name);
          if (!target || target.index >= visibility) continue;
          const targetState = state.get(ref.name);
          if (targetState === "visiting") {
            if (!reported.has(ref.name)) {
              reported.add(ref.name);
              this.error(
                "LOAD_ERR_VALIDATE",
                `reference loop in macro '${ref.name}'`,
                compiled.text.globalOffset(ref.start),
              );
            }
          } else if (targetState === undefined) {
            visit(ref.name);
          }
        }
      }
      state.set(name, "done");
    };
    for (const name of this.macroAsts.keys()) {
      if (!state.has(name)) visit(name);
    }
  }

  /** Checks every macro reference; reports undefined ones and loops. Returns false on error. */
  private resolveMacroRefs(expr: Expr, text: LocatedText, visibility: number): boolean {
    let ok = true;
    const visit = (node: Expr): void => {
      switch (node.kind) {
        case "and":
        case "or":
          node.children.forEach(visit);
          return;
        case "not":
          visit(node.child);
          return;
        case "macro": {
          if (node.name === OPAQUE_CONDITION) return;
          const macro = this.macros.get(node.name);
          if (!macro && this.failedNames.has(`macro:${node.name}`)) {
            ok = false;
            return;
          }
          if (!macro || macro.index >= visibility) {
            this.error(
              "LOAD_ERR_VALIDATE",
              `Undefined macro '${node.name}' used in filter.`,
              text.globalOffset(node.start),
            );
            ok = false;
            return;
          }
          macro.used = true;
          return;
        }
        default:
          return;
      }
    };
    visit(expr);
    return ok;
  }

  /**
   * Falco compiles everything collected so far after each file, so a rule cannot use a macro that
   * only a later file defines, even though rules may use macros defined later in the same file.
   */
  private checkMacroFileOrder(expr: Expr, text: LocatedText): boolean {
    let ok = true;
    for (const ref of macroRefs(expr)) {
      const macro = this.macros.get(ref.name);
      if (!macro || macro.opaque) continue;
      const at = text.globalOffset(ref.start);
      const refFile = this.sources.fileIndex(at);
      const macroFile = this.sources.fileIndex(macro.firstAt);
      if (macroFile > refFile) {
        const definedIn = this.sources.files[macroFile]?.path ?? "a later file";
        this.error(
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
    const visit = (node: Expr): void => {
      if (node.kind === "and" || node.kind === "or") node.children.forEach(visit);
      else if (node.kind === "not") visit(node.child);
      else if (node.kind === "macro" && !seen.has(node.name)) {
        seen.add(node.name);
        const body = this.macroAsts.get(node.name)?.expr;
        if (body) visit(body);
      }
    };
    visit(expr);
    return seen;
  }

  private readonly isOpaqueValue = (value: string): boolean => value.startsWith(OPAQUE_ITEM_PREFIX);

  private issuesOfMacro(name: string): CheckIssue[] {
    let issues = this.macroIssues.get(name);
    if (!issues) {
      const body = this.macroAsts.get(name)?.expr;
      issues = body ? checkCondition(body, { isOpaqueValue: this.isOpaqueValue }) : [];
      this.macroIssues.set(name, issues);
    }
    return issues;
  }

  /** Builds `(cond) and not (…)` from exceptions, as Falco splices the values in. */
  private exceptionText(rule: RuleInfo): LocatedText | undefined {
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

  private compileRule(rule: RuleInfo): { expr?: Expr; text: LocatedText; skipped: boolean } {
    let text: LocatedText = rule.cond;
    try {
      text = this.exceptionText(rule) ?? rule.cond;
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      this.error(error.code, error.message, error.at);
      return { text, skipped: false };
    }
    let skipped = false;
    const outputOk = this.checkOutput(rule);
    if (outputOk === "skip") skipped = true;

    const expanded = this.substituteLists(text);
    const expr = this.parseLocated(expanded);
    if (!expr) return { text: expanded, skipped };
    if (!this.resolveMacroRefs(expr, expanded, Number.MAX_SAFE_INTEGER))
      return { expr, text: expanded, skipped };
    if (!this.checkMacroFileOrder(expr, expanded)) return { expr, text: expanded, skipped };

    const ruleIssues = checkCondition(expr, { isOpaqueValue: this.isOpaqueValue }).map((issue) => ({
      issue,
      at: expanded.globalOffset(issue.offset),
      macro: undefined as string | undefined,
    }));
    for (const name of this.reachableMacros(expr)) {
      const compiled = this.macroAsts.get(name);
      if (!compiled) continue;
      for (const issue of this.issuesOfMacro(name)) {
        ruleIssues.push({ issue, at: compiled.text.globalOffset(issue.offset), macro: name });
      }
    }
    for (const { issue, at, macro } of ruleIssues) {
      if (issue.severity === "error" && issue.unknownFilter && rule.skipIfUnknownFilter) {
        this.warn(
          "LOAD_UNKNOWN_FILTER",
          `${issue.message} (rule '${rule.name}' is skipped: skip-if-unknown-filter)`,
          at,
        );
        skipped = true;
        continue;
      }
      const key = macro ? `${macro}\u0000${issue.offset}\u0000${issue.message}` : undefined;
      if (key) {
        if (this.reportedMacroIssues.has(key)) continue;
        this.reportedMacroIssues.add(key);
      }
      if (issue.severity === "error") {
        this.error("LOAD_ERR_COMPILE_CONDITION", issue.message, at);
      } else {
        this.warn(issue.code ?? "LOAD_COMPILE_CONDITION", issue.message, at);
      }
    }
    if (!skipped && rule.source === "syscall" && rule.warnEvttypes) {
      const set = this.eventTypes(expr, false, new Set());
      if (set && (set.negated || set.names.size === 0)) {
        this.warn(
          "LOAD_NO_EVTTYPE",
          // Falco 0.44.1 gives the same message for an empty set.
          set.negated
            ? "Rule matches too many evt.type values. This has a significant performance penalty."
            : "Rule matches too many evt.type values. This has a significant performance penalty. (Its condition matches no event type at all, so it can never trigger.)",
          rule.at,
        );
      }
    }
    return { expr, text: expanded, skipped };
  }

  /**
   * A user's redefinition of (or append to) an upstream macro is compiled by the upstream rules
   * that use it, which the index cannot show: check its body as if used.
   */
  private checkIndexMacroChanges(): void {
    for (const macro of this.macros.values()) {
      if (macro.opaque || !this.indexNames.has(`macro:${macro.name}`)) continue;
      const compiled = this.macroAsts.get(macro.name);
      if (!compiled?.expr) continue;
      for (const issue of this.issuesOfMacro(macro.name)) {
        const key = `${macro.name}\u0000${issue.offset}\u0000${issue.message}`;
        if (this.reportedMacroIssues.has(key)) continue;
        this.reportedMacroIssues.add(key);
        const at = compiled.text.globalOffset(issue.offset);
        if (issue.severity === "error") this.error("LOAD_ERR_COMPILE_CONDITION", issue.message, at);
        else this.warn(issue.code ?? "LOAD_COMPILE_CONDITION", issue.message, at);
      }
    }
  }

  /** Outputs as Falco uses them: `%container.info` removed. */
  private readonly effectiveOutputs = new Map<string, string>();

  private checkOutput(rule: RuleInfo): "ok" | "error" | "skip" {
    let output = rule.output;
    const marker = "%container.info";
    if (output.text.includes(marker)) {
      this.warn(
        "LOAD_DEPRECATED_ITEM",
        "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
        output.globalOffset(output.text.indexOf(marker)),
      );
      let index = output.text.indexOf(marker);
      while (index !== -1) {
        output = output.replace(index, index + marker.length, "", output.globalOffset(index));
        index = output.text.indexOf(marker, index);
      }
    }
    this.effectiveOutputs.set(rule.name, output.text);
    if (rule.outputOpaque && output.text === "") return "ok";
    const parsed = parseOutputFormat(output.text.length === 0 ? "" : output.text);
    if (parsed.ok && output.text.length === 0) return "ok";
    if (!parsed.ok) {
      const at = output.globalOffset(parsed.offset);
      const unknown = /nonexistent field|invalid formatting token|unknown event type|unknown filter:/.test(
        parsed.message,
      );
      if (unknown && rule.skipIfUnknownFilter) {
        this.warn(
          "LOAD_UNKNOWN_FILTER",
          `${parsed.message} (rule '${rule.name}' is skipped: skip-if-unknown-filter)`,
          at,
        );
        return "skip";
      }
      this.error("LOAD_ERR_COMPILE_OUTPUT", `invalid output format: ${parsed.message}`, at);
      return "error";
    }
    for (const token of parsed.tokens) {
      if (/^(evt\.dir|evt\.latency|evt\.wait_latency)/.test(token.text)) {
        this.warn(
          "LOAD_DEPRECATED_ITEM",
          `usage of deprecated field '${token.text}' has been detected in the rule output`,
          output.globalOffset(token.start),
        );
      }
    }
    return "ok";
  }

  /** The rule's event-type set, with `not` pushed to the leaves; undefined when unknown. */
  private eventTypes(
    expr: Expr,
    negated: boolean,
    visiting: Set<string>,
  ): { negated: boolean; names: Set<string> } | undefined {
    const all = { negated: true, names: new Set<string>() };
    switch (expr.kind) {
      case "and":
      case "or": {
        const intersect = (expr.kind === "and") !== negated;
        let acc: { negated: boolean; names: Set<string> } | undefined;
        for (const child of expr.children) {
          const set = this.eventTypes(child, negated, visiting);
          if (!set) return undefined;
          acc = acc ? combineSets(acc, set, intersect) : set;
        }
        return acc;
      }
      case "not":
        return this.eventTypes(expr.child, !negated, visiting);
      case "macro": {
        if (expr.name === OPAQUE_CONDITION || visiting.has(expr.name)) return undefined;
        const body = this.macroAsts.get(expr.name)?.expr;
        if (!body) return undefined;
        visiting.add(expr.name);
        const set = this.eventTypes(body, negated, visiting);
        visiting.delete(expr.name);
        return set;
      }
      case "unary":
        return all;
      case "binary": {
        const left = expr.left;
        if (
          left.kind !== "field" ||
          (left.name !== "evt.type" && left.name !== "syscall.type") ||
          left.arg !== undefined
        ) {
          return all;
        }
        const values = literalValues(expr.right);
        if (!values || values.some(this.isOpaqueValue)) return values ? undefined : all;
        let set: { negated: boolean; names: Set<string> };
        if (
          expr.operator === "=" ||
          expr.operator === "==" ||
          expr.operator === "in" ||
          expr.operator === "intersects"
        ) {
          set = { negated: false, names: new Set(values) };
        } else if (expr.operator === "!=") {
          set = { negated: true, names: new Set(values) };
        } else {
          return all;
        }
        return negated ? { negated: !set.negated, names: set.names } : set;
      }
    }
  }

  compile(): { lists: LoadedList[]; macros: LoadedMacro[]; rules: LoadedRule[] } {
    this.compileLists();
    this.compileMacros();
    const rules: LoadedRule[] = [];
    for (const rule of this.rules.values()) {
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
        rules.push({
          ...base,
          conditionText: this.conditionText(rule.cond),
          skipped: rule.unknownSource || undefined,
        });
        continue;
      }
      const compiled = this.compileRule(rule);
      const loaded: LoadedRule = {
        ...base,
        output: this.effectiveOutputs.get(rule.name) ?? base.output,
        conditionText: this.conditionText(compiled.text),
      };
      if (compiled.expr) loaded.condition = compiled.expr;
      if (compiled.skipped) loaded.skipped = true;
      rules.push(loaded);
    }
    this.checkIndexMacroChanges();
    // Falco stops before its unused-item report when anything failed; they would be noise here too.
    const failed = this.findings.some((finding) => finding.severity === "error");
    for (const macro of this.macros.values()) {
      if (!failed && !macro.used && !macro.opaque) {
        this.warn("LOAD_UNUSED_MACRO", "Macro not referred to by any other rule/macro", macro.at);
      }
    }
    for (const list of this.lists.values()) {
      if (!failed && !list.used && !list.opaque) {
        this.warn("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", list.at);
      }
    }
    const lists: LoadedList[] = this.listOrder.map((list) => ({
      name: list.name,
      items: list.opaque ? [] : (this.compiledLists.get(list.name) ?? []),
      itemsKnown: !list.opaque && !(this.compiledLists.get(list.name) ?? []).some(this.isOpaqueValue),
      location: this.location(list.at),
    }));
    const macros: LoadedMacro[] = [...this.macros.values()].map((macro) => {
      const compiled = this.macroAsts.get(macro.name);
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

  private location(at: number): SourceLocation | undefined {
    return at < 0 ? undefined : this.sources.locate(at);
  }

  private conditionText(text: LocatedText): ConditionText {
    return { text: text.text, locate: (offset) => this.sources.locate(text.globalOffset(offset)) };
  }
}

/** An error caused by an earlier, already reported one. */
class CascadeError extends LoadError {
  constructor(at: number) {
    super("LOAD_ERR_VALIDATE", "follows an earlier error", at);
  }
}

function macroRefs(expr: Expr): { name: string; start: number }[] {
  const refs: { name: string; start: number }[] = [];
  const visit = (node: Expr): void => {
    if (node.kind === "and" || node.kind === "or") node.children.forEach(visit);
    else if (node.kind === "not") visit(node.child);
    else if (node.kind === "macro") refs.push({ name: node.name, start: node.start });
  };
  visit(expr);
  return refs;
}

function combineSets(
  a: { negated: boolean; names: Set<string> },
  b: { negated: boolean; names: Set<string> },
  intersect: boolean,
): { negated: boolean; names: Set<string> } {
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

function entryValue(entry: Entry): string | (string | string[])[] {
  if (!entry.isList) return entry.item;
  return entry.items.map((item) =>
    item.isList ? item.items.map((v) => (v.isList ? "" : v.item)) : item.item,
  );
}

function toRuleException(ex: ExceptionInfo): RuleException {
  const fields = ex.fields ? entryValue(ex.fields) : [];
  const comps = ex.comps ? entryValue(ex.comps) : [];
  return {
    name: ex.name,
    fields: typeof fields === "string" ? fields : fields.map(String),
    comps: typeof comps === "string" ? comps : comps.map(String),
    values: ex.values.map(entryValue) as RuleException["values"],
  };
}

/** Falco trims the output of a full rule definition. */
function trimLocated(text: LocatedText): LocatedText {
  const leading = text.text.length - text.text.trimStart().length;
  let result = leading > 0 ? text.replace(0, leading, "", text.globalOffset(0)) : text;
  const trailing = result.text.length - result.text.trimEnd().length;
  if (trailing > 0) {
    result = result.replace(
      result.text.length - trailing,
      result.text.length,
      "",
      result.globalOffset(result.text.length - 1),
    );
  }
  return result;
}

/**
 * Loads rules files in order on top of the context (the upstream index of `upstreamRulesets`, or
 * `contextFiles`) and returns the ruleset with every finding.
 */
export function loadRuleset(files: readonly RulesFile[], options: LoadOptions = {}): LoadResult {
  const loader = new Loader(options);
  if (options.contextFiles && options.contextFiles.length > 0) {
    for (const file of options.contextFiles) loader.loadFile(file);
  } else {
    const names = options.upstreamRulesets ?? ["falco-rules"];
    loader.loadIndex(UPSTREAM_INDEX.filter((entry) => names.includes(entry.ruleset)));
  }
  for (const file of files) loader.loadFile(file);
  loader.checkPluginRequirements();
  const compiled = loader.compile();
  return {
    ruleset: {
      ...compiled,
      listsByName: new Map(compiled.lists.map((list) => [list.name, list])),
      macrosByName: new Map(compiled.macros.map((macro) => [macro.name, macro])),
      rulesByName: new Map(compiled.rules.map((rule) => [rule.name, rule])),
    },
    findings: loader.findings,
  };
}
