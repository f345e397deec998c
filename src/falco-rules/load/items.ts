/**
 * Reads one YAML item into what it asks for (Falco's `rule_loader::reader::read_item`): a list,
 * macro or rule definition, an append, an override or a standalone enable. Reading checks keys and
 * types only and returns the item; applying it to what was loaded before is the collector's job.
 */
import { isMap, isSeq, type Node } from "yaml";
import {
  ENGINE_VERSION,
  ERROR_OVERRIDE_APPEND,
  LIST_KEYS,
  LIST_NAME,
  MACRO_KEYS,
  MACRO_NAME,
  parseSemver,
  readOverrides,
  unknownKeys,
  versionCompatible,
  WARNING_APPEND,
  type ItemWarning,
  type PluginRequirement,
  type RulesItem,
} from "./item-model.ts";
import { LocatedText, type ScalarSource } from "./located-text.ts";
import {
  decodeBoolKey,
  decodeSeq,
  decodeSource,
  decodeString,
  decodeUint32,
  ItemMap,
  LoadError,
} from "./reader.ts";
import { readRule } from "./rule-items.ts";

/** Reads one item; warnings go to `warnings` (even when reading then fails, as in Falco). */
export function readItem(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  if (item.has("required_engine_version")) return readEngineVersion(item, warnings);
  if (item.has("required_plugin_versions")) return readPluginVersions(item, warnings);
  if (item.has("list")) return readList(item, warnings);
  if (item.has("macro")) return readMacro(item, warnings);
  if (item.has("rule")) return readRule(item, warnings);
  warnings.push({ code: "LOAD_UNKNOWN_ITEM", message: "Unknown top level item", at: item.at });
  return { kind: "unknown" };
}

function readEngineVersion(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  const text = decodeString(item, "required_engine_version") as string;
  let version: [number, number, number] | undefined;
  const asInt = decodeUint32(text);
  if (asInt !== undefined && /^[0-9]+$/.test(text.trim())) version = [0, asInt, 0];
  else version = parseSemver(text);
  const at = item.valueAt("required_engine_version");
  if (!version) {
    throw new LoadError(
      "LOAD_ERR_YAML_VALIDATE",
      `Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`,
      at,
    );
  }
  if (!versionCompatible(ENGINE_VERSION, version)) {
    throw new LoadError(
      "LOAD_ERR_VALIDATE",
      `Rules require engine version ${version.join(".")}, but engine version is ${ENGINE_VERSION.join(".")} (Falco 0.44.1)`,
      at,
    );
  }
  unknownKeys(item, new Set(["required_engine_version"]), warnings);
  return { kind: "engine-version" };
}

function readPluginVersions(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  const value = item.value("required_plugin_versions");
  if (!value || !isSeq(value)) {
    throw new LoadError(
      "LOAD_ERR_YAML_VALIDATE",
      "Value of required_plugin_versions must be a sequence",
      item.valueAt("required_plugin_versions"),
    );
  }
  const requirements: PluginRequirement[] = [];
  for (const raw of value.items) {
    const plugin = item.resolve(raw as Node | null);
    const pluginAt = item.offsetOf(plugin);
    if (!plugin || !isMap(plugin)) {
      throw new LoadError("LOAD_ERR_YAML_VALIDATE", "Plugin version must be a mapping", pluginAt);
    }
    const pluginItem = item.child(plugin);
    const alternatives = [
      {
        name: decodeString(pluginItem, "name") as string,
        version: decodeString(pluginItem, "version") as string,
      },
    ];
    if (pluginItem.has("alternatives")) {
      const alternativesNode = pluginItem.value("alternatives");
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
        const alternativeItem = item.child(alternative);
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
    requirements.push({ alternatives, at: pluginAt });
  }
  unknownKeys(item, new Set(["required_plugin_versions"]), warnings);
  return { kind: "plugin-versions", requirements };
}

function readList(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  const name = decodeString(item, "list") as string;
  if (!LIST_NAME.test(name)) {
    warnings.push({
      code: "LOAD_INVALID_LIST_NAME",
      message:
        "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
      at: item.at,
    });
  }
  const items = (decodeSeq(item, "items", false) ?? []).map((entry) => entry.value);
  const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
  if (appendFlag)
    warnings.push({ code: "LOAD_DEPRECATED_ITEM", message: WARNING_APPEND, at: item.keyAt("append") });
  const overrides = readOverrides(item, ["items"], ["items"]);
  if (appendFlag && (overrides.append.size > 0 || overrides.replace.size > 0)) {
    throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);
  }
  unknownKeys(item, LIST_KEYS, warnings);
  return { kind: "list", name, items, append: appendFlag || overrides.append.has("items"), at: item.at };
}

function readMacro(item: ItemMap, warnings: ItemWarning[]): RulesItem {
  const name = decodeString(item, "macro") as string;
  if (!MACRO_NAME.test(name)) {
    warnings.push({
      code: "LOAD_INVALID_MACRO_NAME",
      message:
        "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
      at: item.at,
    });
  }
  const cond = decodeSource(item, "condition") as ScalarSource;
  const appendFlag = decodeBoolKey(item, "append", { optional: true }) ?? false;
  if (appendFlag)
    warnings.push({ code: "LOAD_DEPRECATED_ITEM", message: WARNING_APPEND, at: item.keyAt("append") });
  const overrides = readOverrides(item, ["condition"], ["condition"]);
  if (appendFlag && (overrides.append.size > 0 || overrides.replace.size > 0)) {
    throw new LoadError("LOAD_ERR_YAML_VALIDATE", ERROR_OVERRIDE_APPEND, item.at);
  }
  unknownKeys(item, MACRO_KEYS, warnings);
  return {
    kind: "macro",
    name,
    cond: LocatedText.fromScalar(cond),
    condAt: cond.start,
    append: appendFlag || overrides.append.has("condition"),
    at: item.at,
  };
}
