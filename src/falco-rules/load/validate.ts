/**
 * The validator's entry points: check rules files as Falco 0.44.1 would load them, on top of the
 * upstream rulesets the stack installs.
 */
import { formatFinding, hasErrors, sortFindings, type Finding } from "../findings.ts";
import { listRulesPath, readRulesText, RulesFileError, type SkippedEntry } from "./files.ts";
import { loadFindings } from "./loader.ts";
import type { LoadOptions, RulesFile } from "../model.ts";
import { FalcoStackError } from "../../errors.ts";

export type ValidateOptions = LoadOptions;

/**
 * Validates `files` (loaded in order after the context) and returns every finding, sorted by file
 * then position. Errors are what would make Falco refuse to start; warnings are what it logs.
 */
export function validateRules(files: readonly RulesFile[], options: ValidateOptions = {}): Finding[] {
  const findings = loadFindings(files, options);
  const order = [...(options.contextFiles ?? []), ...files].map((file) => file.path);
  return sortFindings(findings, order);
}

/** A path that could not be read, with the reason. */
export interface UnreadablePath {
  path: string;
  message: string;
  /** Set when the problem is in the content (invalid UTF-8), 1-based. */
  position?: { line: number; col: number };
}

/**
 * Reads rules files from paths with Falco's folder semantics: a folder contributes the `.yaml` and
 * `.yml` files directly in it, in name order, and its other entries are reported as skipped.
 */
export function readRulesPaths(paths: readonly string[]): {
  files: RulesFile[];
  unreadable: UnreadablePath[];
  skipped: SkippedEntry[];
} {
  const files: RulesFile[] = [];
  const unreadable: UnreadablePath[] = [];
  const skipped: SkippedEntry[] = [];
  for (const target of paths) {
    let listing;
    try {
      listing = listRulesPath(target);
    } catch (error) {
      unreadable.push(unreadableEntry(target, error));
      continue;
    }
    skipped.push(...listing.skipped);
    if (listing.files.length === 0) {
      unreadable.push({ path: target, message: "folder holds no .yaml or .yml rules file" });
    }
    for (const file of listing.files) {
      try {
        files.push({ path: file, text: readRulesText(file) });
      } catch (error) {
        unreadable.push(unreadableEntry(file, error));
      }
    }
  }
  return { files, unreadable, skipped };
}

function unreadableEntry(target: string, error: unknown): UnreadablePath {
  if (!(error instanceof RulesFileError)) throw error;
  const entry: UnreadablePath = { path: target, message: error.reason };
  if (error.position) entry.position = error.position;
  return entry;
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
