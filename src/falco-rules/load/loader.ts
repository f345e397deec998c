/**
 * Loads rules files with Falco 0.44.1 semantics, in its stages: read each file's items
 * (`items.ts`), collect them (`collect.ts`), compile everything collected (`compile.ts`),
 * reporting every finding instead of stopping at the first.
 */
import { fieldCatalogFor, type LoadedPlugin } from "../fields/catalog.ts";
import type { Finding } from "../findings.ts";
import type { LoadOptions, LoadResult, RulesFile } from "../model.ts";
import { UPSTREAM_INDEX } from "../upstream/upstream-index.ts";
import { CascadeError, Collector } from "./collect.ts";
import { Compiler } from "./compile.ts";
import type { ItemWarning, RulesItem } from "./item-model.ts";
import { readItem } from "./items.ts";
import { SourceFiles } from "./located-text.ts";
import { LoadError, readYamlItems, scalarText, type ItemMap } from "./reader.ts";
import { FindingSink } from "./report.ts";

const DEFAULT_PLUGINS: readonly LoadedPlugin[] = [{ name: "container", version: "0.7.1" }];

/**
 * Loads rules files in order on top of the context (the upstream index of `upstreamRulesets`, or
 * `contextFiles`) and returns the ruleset with every finding.
 */
export function loadRuleset(files: readonly RulesFile[], options: LoadOptions = {}): LoadResult {
  const { compiler, report, plugins } = checkRules(files, options);
  const compiled = compiler.ruleset();
  return {
    ruleset: {
      ...compiled,
      listsByName: new Map(compiled.lists.map((list) => [list.name, list])),
      macrosByName: new Map(compiled.macros.map((macro) => [macro.name, macro])),
      rulesByName: new Map(compiled.rules.map((rule) => [rule.name, rule])),
      plugins,
    },
    findings: report.findings,
  };
}

/** The findings of loading `files` as `loadRuleset` would, without building the ruleset. */
export function loadFindings(files: readonly RulesFile[], options: LoadOptions = {}): Finding[] {
  return checkRules(files, options).report.findings;
}

function checkRules(
  files: readonly RulesFile[],
  options: LoadOptions,
): { compiler: Compiler; report: FindingSink; plugins: readonly LoadedPlugin[] } {
  const sources = new SourceFiles();
  const report = new FindingSink(sources);
  const plugins = options.plugins ?? DEFAULT_PLUGINS;
  const collector = new Collector(fieldCatalogFor(plugins));
  if (options.contextFiles && options.contextFiles.length > 0) {
    for (const file of options.contextFiles) loadFile(file, sources, collector, report);
  } else {
    const names = options.upstreamRulesets ?? ["falco-rules"];
    collector.loadIndex(UPSTREAM_INDEX.filter((entry) => names.includes(entry.ruleset)));
  }
  for (const file of files) loadFile(file, sources, collector, report);
  for (const requirement of collector.unmetPluginRequirements(plugins)) {
    const names = requirement.alternatives.map((a) => `${a.name} (>= ${a.version})`).join(", ");
    const bundled = plugins.map((plugin) => `${plugin.name} ${plugin.version}`).join(", ");
    report.error(
      "LOAD_ERR_VALIDATE",
      `Plugin requirement not satisfied, must load one of: ${names}; Falco 0.44.1 loads ${bundled}`,
      requirement.at,
    );
  }
  const compiler = new Compiler(collector, sources, report);
  compiler.check();
  return { compiler, report, plugins };
}

/** An item as read: what it asks for or why reading it failed, and the warnings reading gave. */
interface ReadItem {
  readonly result: RulesItem | LoadError;
  readonly warnings: ItemWarning[];
  /** The macro or rule the item names, remembered when it fails. */
  readonly named: { kind: "macro" | "rule"; name: string } | undefined;
}

function readOne(item: ItemMap): ReadItem {
  const warnings: ItemWarning[] = [];
  let result: RulesItem | LoadError;
  try {
    result = readItem(item, warnings);
  } catch (error) {
    if (!(error instanceof LoadError)) throw error;
    result = error;
  }
  return { result, warnings, named: namedBy(item) };
}

function loadFile(file: RulesFile, sources: SourceFiles, collector: Collector, report: FindingSink): void {
  const sink = {
    warn: report.warn.bind(report),
    error: (error: LoadError) => report.error(error.code, error.message, error.at),
  };
  for (const { result, warnings, named } of readYamlItems(sources, file.path, file.text, sink, readOne)
    .items) {
    try {
      if (result instanceof LoadError) throw result;
      collector.apply(result, (code, message, at) => warnings.push({ code, message, at }));
      // Late warnings (unknown keys) come once the item is applied, as in Falco.
      for (const late of [false, true]) {
        for (const warning of warnings) {
          if ((warning.late ?? false) === late) report.warn(warning.code, warning.message, warning.at);
        }
      }
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      // Warnings Falco reports after applying an item are lost with it; the others stand.
      for (const warning of warnings)
        if (!warning.late) report.warn(warning.code, warning.message, warning.at);
      if (!(error instanceof CascadeError)) report.error(error.code, error.message, error.at);
      if (named) collector.rememberFailure(named.kind, named.name);
    }
  }
}

function namedBy(item: ItemMap): ReadItem["named"] {
  for (const kind of ["macro", "rule"] as const) {
    const name = item.has(kind) ? scalarText(item.value(kind)) : undefined;
    if (name) return { kind, name };
  }
  return undefined;
}
