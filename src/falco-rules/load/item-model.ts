/**
 * What reading an item gives (`items.ts`, `rule-items.ts`) and the collector applies: the item
 * kinds, their parts with positions, and the helpers both readers share.
 */
import { isMap, type Node } from "yaml";
import type { WarningCode } from "../findings.ts";
import { PRIORITIES, type Priority } from "../priorities.ts";
import type { LocatedText } from "./located-text.ts";
import { isNullNode, LoadError, scalarText, type ItemMap } from "./reader.ts";

export const ENGINE_VERSION = [0, 62, 0] as const;

/** An exception entry: a scalar, or a sequence of entries, with its position. */
export type Entry =
  { isList: false; item: string; at: number } | { isList: true; items: Entry[]; at: number };

export interface ExceptionInfo {
  name: string;
  fields?: Entry;
  comps?: Entry;
  values: Entry[];
  at: number;
  /** From the upstream index: fields and values unknown. */
  opaque?: boolean;
}

/** The parts of a rule an append or a replace changes. */
export interface RuleUpdate {
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

/** A full rule definition as read. */
export interface RuleDefinition {
  name: string;
  cond: LocatedText;
  output: LocatedText;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: string[];
  exceptions: ExceptionInfo[];
  capture: boolean;
  captureDuration: number;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  at: number;
}

/**
 * One step of an `override:` item: Falco decodes and applies the appends, then the replaces, so a
 * decoding error of the second step only counts once the first was applied.
 */
export type OverrideStep =
  { kind: "append" | "replace"; update: RuleUpdate } | { kind: "error"; error: LoadError };

export interface PluginRequirement {
  alternatives: { name: string; version: string }[];
  at: number;
}

export type RulesItem =
  | { kind: "engine-version" }
  | { kind: "plugin-versions"; requirements: PluginRequirement[] }
  | { kind: "list"; name: string; items: string[]; append: boolean; at: number }
  | { kind: "macro"; name: string; cond: LocatedText; condAt: number; append: boolean; at: number }
  | { kind: "rule-definition"; rule: RuleDefinition }
  | { kind: "rule-override"; name: string; steps: OverrideStep[]; unexpectedKey?: LoadError }
  | { kind: "rule-append"; update: RuleUpdate }
  | { kind: "rule-enable"; name: string; enabled: boolean; at: number }
  | { kind: "unknown" };

/** A warning found while reading; `late` ones are reported only once the item was applied. */
export interface ItemWarning {
  code: WarningCode;
  message: string;
  at: number;
  late?: boolean;
}

export const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
export const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
export const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

export const SCHEMA_PRIORITIES = new Set([
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
export const LIST_NAME = /^[^()"' \t\n\v\f\r=,]+$/;
export const MACRO_NAME = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
export const LIST_KEYS = new Set(["list", "items", "append", "override"]);
export const MACRO_KEYS = new Set(["macro", "condition", "append", "override"]);
export const RULE_KEYS = new Set([
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
export const RULE_APPENDABLE = ["condition", "output", "desc", "tags", "exceptions"];
export const RULE_REPLACEABLE = [
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

export function parsePriority(text: string): Priority | undefined {
  const lower = text.toLowerCase();
  if (lower === "info") return "Informational";
  return PRIORITIES.find((priority) => priority.toLowerCase() === lower);
}

export function parseSemver(text: string): [number, number, number] | undefined {
  // sscanf("%u.%u.%u"): trailing text is ignored.
  const match = /^\s*\+?([0-9]+)\.\s*\+?([0-9]+)\.\s*\+?([0-9]+)/.exec(text);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function versionCompatible(have: readonly number[], required: readonly number[]): boolean {
  if (have[0] !== required[0]) return false;
  for (let i = 1; i < 3; i++) {
    if ((have[i] as number) !== (required[i] as number)) return (have[i] as number) > (required[i] as number);
  }
  return true;
}

/** Falco trims the output of a full rule definition. */
export function trimLocated(text: LocatedText): LocatedText {
  const leading = text.text.length - text.text.trimStart().length;
  let result = leading > 0 ? text.replace(0, leading, "", 0) : text;
  const trailing = result.text.length - result.text.trimEnd().length;
  if (trailing > 0) {
    result = result.replace(result.text.length - trailing, result.text.length, "", result.text.length - 1);
  }
  return result;
}

/** Unknown keys are reported after the item was applied, as Falco does. */
export function unknownKeys(item: ItemMap, expected: ReadonlySet<string>, warnings: ItemWarning[]): void {
  for (const { key, at } of item.keys) {
    if (!expected.has(key))
      warnings.push({
        code: "LOAD_UNKNOWN_KEY",
        message: `Unknown key '${key}'. The key will be ignored.`,
        at,
        late: true,
      });
  }
}

/** `decode_overrides`: the keys to append and to replace. */
export function readOverrides(
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
