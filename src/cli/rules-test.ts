import { InvalidArgumentError, Option, type Command } from "commander";
import { PROJECT_ROOT, readStackConfig } from "../config/stack-file.ts";
import { loadedPluginsOf, type LoadedPlugin } from "../stack/rule-files.ts";
import {
  rulesCacheDir,
  formatIssue,
  loadCases,
  type CaseIssue,
  fetchRulesets,
  formatFinding,
  sortFindings,
  loadRuleset,
  evaluatorProblems,
  runCases,
  unknownExpectedRules,
  whyNotFiring,
  UPSTREAM_RULES_BASE_URL,
  UPSTREAM_RULESET_NAMES,
  UPSTREAM_RULESETS,
  type UpstreamRulesetName,
  resolveStackRules,
  resolveWithFiles,
  type SkippedEntry,
  type ResolvedRulesFile,
  RULE_MATCHING_MODES,
  type RuleMatching,
} from "../falco-rules/index.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

export interface RulesTestOptions {
  cases: readonly string[];
  stack?: string;
  withFiles: readonly string[];
  /** Falco's rule_matching without --stack (default first); with --stack the stack's falco.ruleMatching decides. */
  ruleMatching?: RuleMatching;
  projectRoot?: string;
  cacheDir?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** Line writers over a CLI's streams. */
function lineWriters(io: CliIo): { out: (line: string) => void; err: (line: string) => void } {
  return { out: (line) => io.stdout(`${line}\n`), err: (line) => io.stderr(`${line}\n`) };
}

/**
 * `rules test`: loads the rules (a stack's, or the `--with` files), runs every case, prints each
 * with PASS/FAIL and the rules that fired. Returns the exit code; bad input throws `UserError`.
 */
export function runRulesTest(options: RulesTestOptions): number {
  const out = options.out ?? lineWriters(processIo).out;
  const err = options.err ?? lineWriters(processIo).err;
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;

  const { files, skipped, ruleMatching, plugins } = resolveRules(options, projectRoot);
  // Plugin fields (k8smeta.*) exist in cases and rules only where the stack's Falco loads the plugin.
  const pluginOptions = plugins ? { plugins } : {};
  const loaded = loadCases(options.cases, pluginOptions);
  if (loaded.issues.length > 0) throw new UserError(badCases(loaded.issues));
  if (loaded.cases.length === 0) throw new UserError(`no test cases in ${options.cases.join(", ")}`);

  for (const entry of skipped) err(`note: skipped ${entry.path}: ${entry.reason}`);
  if (files.length === 0) {
    throw new UserError("no rules to test: pass --stack NAME, or --with FILE for each rules file to load");
  }
  for (const file of files) {
    if (file.notPinned)
      err(
        `note: ${file.path} is not the pinned ${file.origin.replace(/ from --with$/, "")} file; testing it as given`,
      );
  }
  const { ruleset, findings } = loadRuleset(
    files.map(({ path, text }) => ({ path, text })),
    { upstreamRulesets: [], ...pluginOptions },
  );
  const errors = sortFindings(
    findings.filter((finding) => finding.severity === "error"),
    files.map((file) => file.path),
  );
  if (errors.length > 0) {
    throw new UserError(
      `the rules do not load (Falco would refuse them):\n${errors.map((finding) => `  ${formatFinding(finding)}`).join("\n")}`,
    );
  }
  const problems = evaluatorProblems(ruleset);
  if (problems.length > 0) {
    throw new UserError(
      `cannot evaluate these rules:\n${problems.map((problem) => `  rule "${problem.rule}": ${problem.message}`).join("\n")}`,
    );
  }
  const unknown = unknownExpectedRules(ruleset, loaded.cases);
  if (unknown.length > 0) {
    const loadedFrom = files.map((file) => file.path).join(", ");
    throw new UserError(`${badCases(unknown)}\n(rules loaded from: ${loadedFrom})`);
  }

  out(`rules: ${files.map((file) => `${file.path} [${file.origin}]`).join(", ")}`);
  out(
    `rule_matching: ${ruleMatching}${options.stack === undefined ? "" : ` (falco.ruleMatching of stack ${options.stack})`}`,
  );
  const run = runCases(ruleset, loaded.cases, { ruleMatching });
  for (const result of run.results) {
    const { testCase } = result;
    const where = `${testCase.position.file}:${testCase.position.line}`;
    const fired = result.fired.length > 0 ? result.fired.join(", ") : "(none)";
    out(`${result.passed ? "PASS" : "FAIL"}  ${testCase.name}  (${where})`);
    out(`      fired: ${fired}`);
    if (result.shadowed.length > 0) {
      out(`      also matches, not raised under rule_matching first: ${result.shadowed.join(", ")}`);
    }
    if (!result.passed) {
      if (result.missing.length > 0) {
        const missing = result.missing.map((rule) => {
          const why = result.shadowed.includes(rule)
            ? `matches, but ${result.fired[0] ?? "an earlier rule"} is raised first`
            : whyNotFiring(ruleset, rule);
          return why ? `${rule} (${why})` : rule;
        });
        out(`      expected but did not fire: ${missing.join(", ")}`);
      }
      if (result.unexpected.length > 0) out(`      fired but not expected: ${result.unexpected.join(", ")}`);
    }
  }
  out(`${run.results.length} cases: ${run.passed} passed, ${run.failed} failed`);
  return run.failed > 0 ? ExitCode.failed : ExitCode.ok;
}

function badCases(issues: readonly CaseIssue[]): string {
  return `bad test cases:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join("\n")}`;
}

function resolveRules(
  options: RulesTestOptions,
  projectRoot: string,
): {
  files: ResolvedRulesFile[];
  skipped: SkippedEntry[];
  ruleMatching: RuleMatching;
  plugins?: LoadedPlugin[];
} {
  if (options.stack === undefined) {
    const files = resolveWithFiles(options.withFiles, options.cacheDir);
    return { files, skipped: [], ruleMatching: options.ruleMatching ?? "first" };
  }
  const { config } = readStackConfig({ stack: options.stack, projectRoot });
  if (options.ruleMatching !== undefined && options.ruleMatching !== config.falco.ruleMatching) {
    throw new UserError(
      `--rule-matching ${options.ruleMatching} contradicts stack ${options.stack}, whose falco.ruleMatching is ` +
        `${config.falco.ruleMatching}; with --stack the stack decides, so leave the flag out`,
    );
  }
  const { files, skipped } = resolveStackRules(config.rules, {
    projectRoot,
    withFiles: options.withFiles,
    cacheDir: options.cacheDir,
  });
  return { files, skipped, ruleMatching: config.falco.ruleMatching, plugins: loadedPluginsOf(config.falco) };
}

export interface RulesFetchOptions {
  baseUrl?: string;
  rulesets?: readonly UpstreamRulesetName[];
  force?: boolean;
  cacheDir?: string;
  out?: (line: string) => void;
}

/** `rules fetch`: downloads the pinned rulesets into the cache. */
export async function runRulesFetch(options: RulesFetchOptions): Promise<number> {
  const out = options.out ?? lineWriters(processIo).out;
  const fetched = await fetchRulesets({
    baseUrl: options.baseUrl,
    names: options.rulesets,
    force: options.force,
    cacheDir: options.cacheDir,
  });
  for (const ruleset of fetched) {
    const verb = ruleset.status === "downloaded" ? "downloaded" : "already cached";
    out(`${verb}: ${ruleset.name} ${ruleset.version} -> ${ruleset.path}`);
  }
  return ExitCode.ok;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function collectRuleset(value: string, previous: UpstreamRulesetName[] | undefined): UpstreamRulesetName[] {
  const name = UPSTREAM_RULESET_NAMES.find((candidate) => candidate === value);
  if (!name) throw new InvalidArgumentError(`allowed: ${UPSTREAM_RULESET_NAMES.join(", ")}`);
  return [...(previous ?? []), name];
}

export function registerRulesTestCommands(
  rules: Command,
  result: CommandResult,
  io: CliIo = processIo,
): void {
  const { out, err } = lineWriters(io);
  rules
    .command("test")
    .description(
      "run rule test cases offline: each case gives an event's field values and the rules that must fire " +
        "(exit 0 all pass, 1 a case failed, 2 bad input)",
    )
    .argument("<cases...>", "case files (.yaml) or folders of them")
    .option(
      "--stack <name>",
      "load what the stack loads: its upstream rulesets (from --with files or the cache) then its rule files",
    )
    .option(
      "--with <file>",
      "a rules file, or an upstream ruleset by name (falco-rules, falco-incubating-rules, falco-sandbox-rules) " +
        "loaded from the cache that rules fetch fills; repeatable, in order; with --stack, a file named like a " +
        "ruleset's file supplies that ruleset",
      collect,
      [],
    )
    .addOption(
      new Option(
        "--rule-matching <mode>",
        "Falco's rule_matching without --stack: first (Falco's default) raises only the first matching rule " +
          "in load order, all raises every match; with --stack the stack's falco.ruleMatching is used",
      ).choices(RULE_MATCHING_MODES),
    )
    .action((cases: string[], options: { stack?: string; with: string[]; ruleMatching?: RuleMatching }) => {
      result.exitCode = runRulesTest({
        cases,
        stack: options.stack,
        withFiles: options.with,
        ruleMatching: options.ruleMatching,
        out,
        err,
      });
    });

  const names = UPSTREAM_RULESETS.map((ruleset) => `${ruleset.name} ${ruleset.version}`).join(", ");
  rules
    .command("fetch")
    .description(
      `download the pinned upstream rulesets (${names}) into the local cache used by "rules test --stack"; ` +
        `by default from ${UPSTREAM_RULES_BASE_URL}/<ruleset>-<version>/rules/<file> (the release tags of ` +
        `falcosecurity/rules); every file is checked against its pinned sha256. Cache: $FALCO_STACK_CACHE, ` +
        `else $XDG_CACHE_HOME/falco-stack, else ~/.cache/falco-stack (now ${rulesCacheDir()})`,
    )
    .option("--base-url <url>", "server holding <ruleset>-<version>/rules/<file>", UPSTREAM_RULES_BASE_URL)
    .addOption(
      new Option(
        "--ruleset <name>",
        `only this ruleset (repeatable): ${UPSTREAM_RULESET_NAMES.join(", ")}`,
      ).argParser(collectRuleset),
    )
    .option("--force", "download again even when the cache holds the pinned file")
    .action(async (options: { baseUrl: string; ruleset?: UpstreamRulesetName[]; force?: boolean }) => {
      result.exitCode = await runRulesFetch({
        baseUrl: options.baseUrl,
        rulesets: options.ruleset,
        force: options.force,
        out,
      });
    });
}
