/** Reads a rule item: a full definition, an `override:`, a deprecated append or a standalone enable. */
import { isMap, isScalar, isSeq, type Node } from "yaml";
import { PRIORITIES, type Priority } from "../priorities.ts";
import {
  ERROR_OVERRIDE_APPEND,
  parsePriority,
  readOverrides,
  RULE_APPENDABLE,
  RULE_KEYS,
  RULE_REPLACEABLE,
  SCHEMA_PRIORITIES,
  trimLocated,
  unknownKeys,
  WARNING_APPEND,
  WARNING_ENABLED,
  type Entry,
  type ExceptionInfo,
  type ItemWarning,
  type OverrideStep,
  type RuleDefinition,
  type RulesItem,
  type RuleUpdate,
} from "./item-model.ts";
import { LocatedText, type ScalarSource } from "./located-text.ts";
import {
  decodeBoolKey,
  decodeSeq,
  decodeSource,
  decodeString,
  decodeUint32Key,
  isNullNode,
  ItemMap,
  LoadError,
} from "./reader.ts";

function readPriority(item: ItemMap, warnings: ItemWarning[]): Priority {
  const text = decodeString(item, "priority") as string;
  const priority = parsePriority(text);
  if (priority && !SCHEMA_PRIORITIES.has(text)) {
    // Falco checks every file against its JSON schema, which only knows upper-case priorities,
    // and logs a failure as a warning.
    warnings.push({
      code: "LOAD_SCHEMA_VALIDATION",
      message: `schema validation: priority '${text}' is accepted by the loader but the rules schema expects upper case (${text.toUpperCase()})`,
      at: item.valueAt("priority"),
    });
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

function readExceptionEntry(item: ItemMap, node: Node | null, at: number): Entry {
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
        readExceptionEntry(item, child as Node | null, item.offsetOf(child as Node)),
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

function readExceptions(item: ItemMap, append: boolean, warnings: ItemWarning[]): ExceptionInfo[] {
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
    const ex = item.child(exNode);
    const name = decodeString(ex, "name") as string;
    if (result.some((other) => other.name === name)) {
      warnings.push({
        code: "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
        message: `Multiple definitions of exception '${name}' in the same rule`,
        at: exAt,
      });
    }
    const info: ExceptionInfo = { name, values: [], at: exAt };
    if (ex.has("fields")) info.fields = readExceptionEntry(ex, ex.value("fields"), ex.keyAt("fields"));
    else if (!append)
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Item has no mapping for key 'fields'", exAt);
    if (ex.has("comps")) info.comps = readExceptionEntry(ex, ex.value("comps"), ex.keyAt("comps"));
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
        info.values.push(readExceptionEntry(ex, value as Node | null, ex.offsetOf(value as Node)));
      }
    } else if (append) {
      warnings.push({
        code: "LOAD_APPEND_NO_VALUES",
        message: "Overriding/appending exception with no values",
        at: exAt,
      });
    }
    for (const { key, at } of ex.keys) {
      if (!["name", "fields", "comps", "values"].includes(key))
        warnings.push({
          code: "LOAD_UNKNOWN_KEY",
          message: `Unknown key '${key}'. The key will be ignored.`,
          at,
        });
    }
    result.push(info);
  }
  return result;
}

function readTags(item: ItemMap): string[] | undefined {
  return decodeSeq(item, "tags", true)?.map((entry) => entry.value);
}

const located = (item: ItemMap, key: string): LocatedText =>
  LocatedText.fromScalar(decodeSource(item, key) as ScalarSource);

export function readRule(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  const name = decodeString(item, "rule") as string;
  const source = decodeString(item, "source", { optional: true, canBeEmpty: true }) ?? "";
  const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
  if (appendFlag)
    warnings.push({ code: "LOAD_DEPRECATED_ITEM", message: WARNING_APPEND, at: item.keyAt("append") });
  const overrides = readOverrides(item, RULE_APPENDABLE, RULE_REPLACEABLE);
  const hasOverrides = overrides.append.size > 0 || overrides.replace.size > 0;
  if (appendFlag && hasOverrides)
    throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);
  unknownKeys(item, RULE_KEYS, warnings);

  if (hasOverrides) return readRuleOverride(item, name, source, overrides, warnings);
  if (appendFlag) {
    const update: RuleUpdate = { name, source, at: item.at };
    if (item.has("condition")) update.cond = located(item, "condition");
    if (item.has("exceptions")) update.exceptions = readExceptions(item, true, warnings);
    return { kind: "rule-append", update };
  }
  if (!item.has("condition") && !item.has("output") && !item.has("desc") && !item.has("priority")) {
    const enabled = decodeBoolKey(item, "enabled") as boolean;
    warnings.push({ code: "LOAD_DEPRECATED_ITEM", message: WARNING_ENABLED, at: item.at });
    return { kind: "rule-enable", name, enabled, at: item.at };
  }
  const cond = located(item, "condition");
  const output = located(item, "output");
  const desc = decodeString(item, "desc") as string;
  const priority = readPriority(item, warnings);
  const rule: RuleDefinition = {
    name,
    cond,
    output: trimLocated(output),
    desc,
    priority,
    source: decodeString(item, "source", { optional: true }) ?? "syscall",
    enabled: decodeBoolKey(item, "enabled", { optional: true }) ?? true,
    capture: decodeBoolKey(item, "capture", { optional: true }) ?? false,
    captureDuration: decodeUint32Key(item, "capture_duration", { optional: true }) ?? 0,
    warnEvttypes: decodeBoolKey(item, "warn_evttypes", { optional: true }) ?? true,
    skipIfUnknownFilter: decodeBoolKey(item, "skip-if-unknown-filter", { optional: true }) ?? false,
    tags: readTags(item) ?? [],
    exceptions: readExceptions(item, false, warnings),
    at: item.at,
  };
  return { kind: "rule-definition", rule };
}

/** An item with `override:` holds `rule` plus exactly the keys it overrides. */
function readRuleOverride(
  item: ItemMap,
  name: string,
  source: string,
  overrides: { append: Set<string>; replace: Set<string> },
  warnings: ItemWarning[],
): RulesItem {
  const expected = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE].filter((key) => item.has(key)));
  const steps: OverrideStep[] = [];
  for (const kind of ["append", "replace"] as const) {
    const operations = overrides[kind];
    if (operations.size === 0) continue;
    try {
      steps.push({
        kind,
        update: readOverrideUpdate(item, name, source, kind, operations, expected, warnings),
      });
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      steps.push({ kind: "error", error });
      return { kind: "rule-override", name, steps };
    }
  }
  const [unexpected] = expected;
  const unexpectedKey =
    unexpected === undefined
      ? undefined
      : new LoadError(
          "LOAD_ERR_YAML_VALIDATE",
          `Unexpected key '${unexpected}': no corresponding entry under 'override' is defined.`,
          item.keyAt(unexpected),
        );
  return unexpectedKey
    ? { kind: "rule-override", name, steps, unexpectedKey }
    : { kind: "rule-override", name, steps };
}

function readOverrideUpdate(
  item: ItemMap,
  name: string,
  source: string,
  kind: "append" | "replace",
  operations: Set<string>,
  expected: Set<string>,
  warnings: ItemWarning[],
): RuleUpdate {
  const take = (key: string): boolean => {
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
  const update: RuleUpdate = { name, source: "", at: item.at };
  if (take("condition")) {
    update.source = source;
    update.cond = located(item, "condition");
  }
  if (take("exceptions")) update.exceptions = readExceptions(item, kind === "append", warnings);
  if (take("output")) update.output = located(item, "output");
  if (take("desc")) update.desc = decodeString(item, "desc");
  if (take("tags")) update.tags = readTags(item) ?? [];
  if (kind === "append") return update;
  if (take("priority")) update.priority = readPriority(item, warnings);
  if (take("capture")) update.capture = decodeBoolKey(item, "capture");
  if (take("capture_duration")) update.captureDuration = decodeUint32Key(item, "capture_duration");
  if (take("enabled")) update.enabled = decodeBoolKey(item, "enabled");
  if (take("warn_evttypes")) update.warnEvttypes = decodeBoolKey(item, "warn_evttypes");
  if (take("skip-if-unknown-filter"))
    update.skipIfUnknownFilter = decodeBoolKey(item, "skip-if-unknown-filter");
  return update;
}
