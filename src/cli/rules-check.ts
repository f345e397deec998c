import { Option, type Command } from "commander";
import {
  formatFinding,
  hasErrors,
  UPSTREAM_RULESET_NAMES,
  type UpstreamRulesetName,
  cachedRulesetFile,
  readRulesPaths,
  rulesCacheDir,
  rulesetNamed,
  validateRules,
} from "../falco-rules/index.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

interface CheckOptions {
  with: string[];
  ruleset: UpstreamRulesetName[];
  format: "text" | "json";
}

/** Where the command writes; tests pass their own. */

/** `--with` arguments in order: ruleset names from the cache, paths as rules files or folders. */
function readContext(withArguments: readonly string[]): ReturnType<typeof readRulesPaths> {
  const context: ReturnType<typeof readRulesPaths> = { files: [], unreadable: [], skipped: [] };
  for (const argument of withArguments) {
    const ruleset = rulesetNamed(argument);
    if (ruleset) {
      const { path, text } = cachedRulesetFile(ruleset);
      context.files.push({ path, text });
      continue;
    }
    const read = readRulesPaths([argument]);
    context.files.push(...read.files);
    context.unreadable.push(...read.unreadable);
    context.skipped.push(...read.skipped);
  }
  return context;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerRulesCheckCommand(
  rules: Command,
  result: CommandResult,
  io: CliIo = processIo,
): void {
  rules
    .command("check")
    .description(
      "validate Falco rules files (or folders of them) as Falco 0.44.1 would load them, on top of the upstream rulesets",
    )
    .argument("<paths...>", "rules files or folders (*.yaml, *.yml)")
    .option<string[]>(
      "--with <file>",
      "load this full rules file first; an upstream ruleset name (falco-rules, …) loads its pinned copy from " +
        `the cache that rules fetch fills (${rulesCacheDir()}); repeatable`,
      collect,
      [],
    )
    .addOption(
      new Option(
        "--ruleset <name>",
        "upstream ruleset whose macros, lists and rules resolve without --with (default: falco-rules); repeatable",
      )
        .choices(UPSTREAM_RULESET_NAMES)
        .argParser((value: string, previous: string[] | undefined) => {
          if (!(UPSTREAM_RULESET_NAMES as readonly string[]).includes(value)) {
            throw new UserError(
              `--ruleset: unknown ruleset '${value}'; allowed: ${UPSTREAM_RULESET_NAMES.join(", ")}`,
            );
          }
          return [...(previous ?? []), value];
        }),
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action((paths: string[], options: CheckOptions) => {
      const context = readContext(options.with);
      const targets = readRulesPaths(paths);
      const unreadable = [...context.unreadable, ...targets.unreadable];
      if (unreadable.length > 0) {
        throw new UserError(
          unreadable
            .map((entry) =>
              entry.position
                ? `${entry.path}:${entry.position.line}:${entry.position.col}: ${entry.message}`
                : `cannot read ${entry.path}: ${entry.message}`,
            )
            .join("\nfalco-stack: "),
          ExitCode.usage,
        );
      }
      const findings = validateRules(targets.files, {
        contextFiles: context.files,
        upstreamRulesets: options.ruleset && options.ruleset.length > 0 ? options.ruleset : ["falco-rules"],
      });
      const errors = findings.filter((finding) => finding.severity === "error").length;
      const warnings = findings.length - errors;
      const skipped = [...context.skipped, ...targets.skipped];
      if (options.format === "json") {
        io.stdout(`${JSON.stringify({ errors, warnings, findings, skipped }, null, 2)}\n`);
      } else {
        // Falco would not load these either: say so, or a rule in them seems checked when it is not.
        for (const entry of skipped) io.stderr(`skipped ${entry.path}: ${entry.reason}\n`);
        for (const finding of findings) io.stdout(`${formatFinding(finding)}\n`);
        io.stderr(
          `${errors} error(s), ${warnings} warning(s) in ${targets.files.length} file(s)${
            context.files.length > 0 ? ` (after ${context.files.length} --with file(s))` : ""
          }\n`,
        );
      }
      result.exitCode = hasErrors(findings) ? ExitCode.failed : ExitCode.ok;
    });
}
