/**
 * The validator's entry points: check rules files as Falco 0.44.1 would load them, on top of the
 * upstream rulesets the stack installs.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { formatFinding, hasErrors, sortFindings, type Finding } from "../findings.ts";
import { loadRuleset } from "./loader.ts";
import type { LoadOptions, RulesFile } from "../model.ts";
import { FalcoStackError } from "../../errors.ts";

export type ValidateOptions = LoadOptions;

/**
 * Validates `files` (loaded in order after the context) and returns every finding, sorted by file
 * then position. Errors are what would make Falco refuse to start; warnings are what it logs.
 */
export function validateRules(files: readonly RulesFile[], options: ValidateOptions = {}): Finding[] {
  const { findings } = loadRuleset(files, options);
  const order = [...(options.contextFiles ?? []), ...files].map((file) => file.path);
  return sortFindings(findings, order);
}

/** A path that could not be read, with the reason. */
export interface UnreadablePath {
  path: string;
  message: string;
}

const RULES_EXTENSIONS = new Set([".yaml", ".yml"]);

/**
 * Reads rules files from paths; a folder contributes its `*.yaml`/`*.yml` files (recursively, in
 * name order, as Falco reads a rules directory).
 */
export function readRulesPaths(paths: readonly string[]): {
  files: RulesFile[];
  unreadable: UnreadablePath[];
} {
  const files: RulesFile[] = [];
  const unreadable: UnreadablePath[] = [];
  const visit = (target: string, explicit: boolean): void => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(target).isDirectory();
    } catch (error) {
      unreadable.push({ path: target, message: describeFsError(error) });
      return;
    }
    if (isDirectory) {
      let entries: string[];
      try {
        entries = readdirSync(target).sort();
      } catch (error) {
        unreadable.push({ path: target, message: describeFsError(error) });
        return;
      }
      const before = files.length;
      for (const entry of entries) {
        const child = path.join(target, entry);
        if (RULES_EXTENSIONS.has(path.extname(entry)) || safeIsDirectory(child)) visit(child, false);
      }
      if (explicit && files.length === before) {
        unreadable.push({ path: target, message: "folder holds no .yaml or .yml rules file" });
      }
      return;
    }
    try {
      files.push({ path: target, text: readFileSync(target, "utf8") });
    } catch (error) {
      unreadable.push({ path: target, message: describeFsError(error) });
    }
  };
  for (const target of paths) visit(target, true);
  return { files, unreadable };
}

function safeIsDirectory(target: string): boolean {
  try {
    return statSync(target).isDirectory();
  } catch {
    return false;
  }
}

function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file or folder";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  return error instanceof Error ? error.message : String(error);
}

/** Raised when rules files have errors; the message lists every finding, one per line. */
export class RulesValidationError extends FalcoStackError {
  constructor(readonly findings: readonly Finding[]) {
    const errors = findings.filter((finding) => finding.severity === "error");
    super(
      `Falco rules have ${errors.length} error(s); Falco would refuse to load them (nothing was deployed):\n` +
        findings.map((finding) => `  ${formatFinding(finding)}`).join("\n"),
    );
  }
}

/** Validates and throws `RulesValidationError` on any error; returns the warnings otherwise. */
export function assertValidRules(files: readonly RulesFile[], options: ValidateOptions = {}): Finding[] {
  const findings = validateRules(files, options);
  if (hasErrors(findings)) throw new RulesValidationError(findings);
  return findings;
}
