import { readFileSync } from "node:fs";
import { sharedPath } from "./shared.ts";
import {
  type RulesFile,
  validateRules,
  type ValidateOptions,
  type Finding,
} from "../../src/falco-rules/index.ts";

export const UPSTREAM_FILE_NAMES = [
  "falco_rules.yaml",
  "falco-incubating_rules.yaml",
  "falco-sandbox_rules.yaml",
];

const cache = new Map<string, RulesFile>();

/** One of the shared upstream rules files, read once. */
export function upstreamFile(name: string): RulesFile {
  let file = cache.get(name);
  if (!file) {
    const filePath = sharedPath("data", "falco", "rules", name);
    file = { path: filePath, text: readFileSync(filePath, "utf8") };
    cache.set(name, file);
  }
  return file;
}

/** Validates one in-memory file named `custom.yaml` (default context: the falco-rules index). */
export function check(text: string, options: ValidateOptions = {}): Finding[] {
  return validateRules([{ path: "custom.yaml", text }], options);
}

export function errors(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity === "error");
}

export function warnings(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.severity === "warning");
}

/** A complete rule with `condition` and `output` substituted (both as YAML flow text). */
export function rule(condition: string, output = "o", extra = ""): string {
  return `- rule: r1\n  desc: d\n  condition: ${condition}\n  output: ${output}\n  priority: INFO\n${extra}`;
}
