import { existsSync } from "node:fs";
import path from "node:path";
import { collectStackRuleFiles, readRulesText, RulesFileError, type SkippedEntry } from "../load/files.ts";
import { findCachedRuleset, rulesCacheDir, sha256Hex, type PinnedRuleset } from "./cache.ts";
import type { RulesFile } from "../model.ts";
import { UPSTREAM_RULESET_SHA256, UPSTREAM_RULESETS, type UpstreamRulesetName } from "./rulesets.ts";
import { FalcoStackError } from "../../errors.ts";

/**
 * Which rules files a stack loads, in Falco's order: the enabled upstream rulesets in the order of
 * `rules.rulesets` (the order of Falco's rules_files; falcoctl installs them under /etc/falco), then
 * the stack's own rule files sorted by file name (one ConfigMap, read as a rules.d folder).
 */

export class RulesSourceError extends FalcoStackError {}

export interface StackRulesSettings {
  /** Files or folders relative to the project root. */
  files: readonly string[];
  rulesets: readonly UpstreamRulesetName[];
}

export interface StackRulesOptions {
  projectRoot: string;
  /** `--with` files: a file named like an enabled ruleset's file supplies that ruleset; others load last. */
  withFiles?: readonly string[];
  cacheDir?: string;
}

export interface ResolvedRulesFile extends RulesFile {
  /** Where it came from, for the report: `falco-rules 5.1.0 (cache)`, `rules/x.yaml`, ... */
  origin: string;
  /** Set when a `--with` file named like a pinned ruleset differs from the pinned content. */
  notPinned?: boolean;
}

export function resolveStackRulesFiles(
  settings: StackRulesSettings,
  options: StackRulesOptions,
): ResolvedRulesFile[] {
  return resolveStackRules(settings, options).files;
}

export interface ResolvedStackRules {
  files: ResolvedRulesFile[];
  /** Entries of the stack's rules folders that Falco does not load. */
  skipped: SkippedEntry[];
}

/** `resolveStackRulesFiles`, plus the folder entries Falco skips. */
export function resolveStackRules(
  settings: StackRulesSettings,
  options: StackRulesOptions,
): ResolvedStackRules {
  const withFiles = [...(options.withFiles ?? [])];
  const used = new Set<string>();
  const files: ResolvedRulesFile[] = [];
  // In the order of `rules.rulesets`: the order the stack writes them into Falco's rules_files.
  for (const name of new Set(settings.rulesets)) {
    const ruleset = pinnedRuleset(name);
    // `--with falco-rules` names the ruleset itself: the cached copy, as without --with.
    const byName = withFiles.find((file) => rulesetNamed(file) === ruleset.name);
    if (byName) used.add(byName);
    const given = withFiles.find((file) => !rulesetNamed(file) && path.basename(file) === ruleset.fileName);
    if (given) {
      used.add(given);
      const text = readRulesFile(given);
      const notPinned = sha256Hex(text) !== UPSTREAM_RULESET_SHA256[ruleset.name];
      files.push({ path: given, text, origin: `${ruleset.name} from --with`, notPinned });
      continue;
    }
    files.push(cachedRulesetFile(ruleset.name, options.cacheDir));
  }
  // The same files, in the same order, as the stack ships in its rules ConfigMap.
  const stackFiles = collectStackRuleFiles(settings.files, options.projectRoot);
  if (stackFiles.issues.length > 0) {
    throw new RulesSourceError(
      stackFiles.issues
        .map((issue) => `falco-stack:rules.files[${issue.entry}]: ${issue.message}`)
        .join("\n"),
    );
  }
  for (const file of stackFiles.files) {
    files.push({
      path: path.relative(options.projectRoot, file.path) || file.path,
      text: file.content,
      origin: "stack rules",
    });
  }
  for (const file of withFiles) {
    if (used.has(file)) continue;
    const named = rulesetNamed(file);
    if (named) {
      throw new RulesSourceError(
        `--with ${file}: the stack does not enable that ruleset ` +
          `(falco-stack:rules.rulesets is [${settings.rulesets.join(", ")}])`,
      );
    }
    const ruleset = UPSTREAM_RULESETS.find((candidate) => candidate.fileName === path.basename(file));
    if (ruleset) {
      throw new RulesSourceError(
        `--with ${file}: that is the file of upstream ruleset ${ruleset.name}, which the stack does not enable ` +
          `(falco-stack:rules.rulesets is [${settings.rulesets.join(", ")}])`,
      );
    }
    files.push({ path: file, text: readRulesFile(file), origin: "--with" });
  }
  return { files, skipped: stackFiles.skipped };
}

/**
 * `--with` arguments alone, in the order given (no stack): a ruleset name the stack uses
 * (`falco-rules`, …) loads its pinned copy from the cache that `rules fetch` fills; anything else is
 * a path.
 */
export function resolveWithFiles(withFiles: readonly string[], cacheDir?: string): ResolvedRulesFile[] {
  return withFiles.map((file) => {
    const ruleset = rulesetNamed(file);
    if (ruleset) return cachedRulesetFile(ruleset, cacheDir);
    return { path: file, text: readRulesFile(file), origin: "--with" };
  });
}

function pinnedRuleset(name: UpstreamRulesetName): PinnedRuleset {
  const ruleset = UPSTREAM_RULESETS.find((candidate) => candidate.name === name);
  if (!ruleset) throw new Error(`unknown upstream ruleset ${name}`);
  return ruleset;
}

/** The upstream ruleset an argument names, unless a file of that name exists (then it is a path). */
export function rulesetNamed(argument: string): UpstreamRulesetName | undefined {
  const ruleset = UPSTREAM_RULESETS.find((candidate) => candidate.name === argument);
  return ruleset && !existsSync(argument) ? ruleset.name : undefined;
}

/** A pinned ruleset from the cache; the error says where the cache is and how to fill it. */
export function cachedRulesetFile(
  name: UpstreamRulesetName,
  cacheDir: string = rulesCacheDir(),
): ResolvedRulesFile {
  const ruleset = pinnedRuleset(name);
  const cached = findCachedRuleset(ruleset, cacheDir);
  if (cached.status !== "ok") {
    const state = cached.status === "missing" ? "is not in the cache" : "in the cache is not the pinned file";
    throw new RulesSourceError(
      `upstream ruleset ${ruleset.name} ${ruleset.version} ${state} (${cached.path}; the cache is ${cacheDir}, ` +
        `set by $FALCO_STACK_CACHE, else $XDG_CACHE_HOME/falco-stack, else ~/.cache/falco-stack); ` +
        `run "npx falco-stack rules fetch" or pass --with path/to/${ruleset.fileName}`,
    );
  }
  return {
    path: cached.path,
    text: readRulesFile(cached.path),
    origin: `${ruleset.name} ${ruleset.version} (cache)`,
  };
}

function readRulesFile(file: string): string {
  try {
    return readRulesText(file);
  } catch (error) {
    if (error instanceof RulesFileError) throw new RulesSourceError(error.message);
    throw error;
  }
}
