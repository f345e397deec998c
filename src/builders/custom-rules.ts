import crypto from "node:crypto";
import path from "node:path";
import { ConfigError, configKey } from "../config/errors.ts";
import {
  collectStackRuleFiles,
  hasErrors,
  type UpstreamRulesetName,
  RulesValidationError,
  validateRules,
} from "../falco-rules/index.ts";

/** One custom rules file as shipped: the ConfigMap key is the file name, the content is unchanged. */
export interface RuleFile {
  /** File name, used as the ConfigMap key and so as the file name under /etc/falco/rules.d. */
  key: string;
  /** Absolute path on disk. */
  path: string;
  content: string;
}

/**
 * Reads the rule files named by `falco-stack:rules.files` (files or folders, relative to `root`).
 * Folders contribute their `.yaml`/`.yml` files, as Falco loads a rules directory. The result is
 * sorted by file name: the order Falco loads them from /etc/falco/rules.d.
 */
export function collectRuleFiles(entries: readonly string[], root: string): RuleFile[] {
  const { files, issues } = collectStackRuleFiles(entries, root);
  if (issues.length > 0) {
    throw new ConfigError(
      issues.map((issue) => ({ key: configKey(["rules", "files", issue.entry]), message: issue.message })),
    );
  }
  return files;
}

export interface ValidatedRuleFiles {
  files: RuleFile[];
  /** Falco's load warnings, as `file:line:col: message`. */
  warnings: string[];
}

/**
 * Reads the rule files (see `collectRuleFiles`) and validates them as Falco 0.44.1 would load them,
 * after the upstream rulesets the stack installs. Throws RulesValidationError when Falco would
 * refuse them: a broken rule would crash-loop Falco on every node.
 */
export function readValidatedRuleFiles(
  entries: readonly string[],
  root: string,
  upstreamRulesets: readonly UpstreamRulesetName[],
): ValidatedRuleFiles {
  const files = collectRuleFiles(entries, root);
  const findings = validateRules(
    files.map((file) => ({ path: displayPath(root, file.path), text: file.content })),
    { upstreamRulesets },
  );
  if (hasErrors(findings)) throw new RulesValidationError(findings);
  return { files, warnings: findings.map((f) => `${f.file}:${f.line}:${f.col}: ${f.message}`) };
}

/** Files under the root by their relative path (as the stack config names them), others in full. */
function displayPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** A checksum over the file names and contents: a change rolls the Falco DaemonSet. */
export function rulesChecksum(files: readonly RuleFile[]): string {
  const hash = crypto.createHash("sha256");
  for (const file of files) hash.update(file.key).update("\0").update(file.content).update("\0");
  return hash.digest("hex");
}

/**
 * A keyed checksum (HMAC-SHA256) over a Secret's data, for a pod annotation: rotating the Secret
 * rolls the pods. Keyed with a secret of its own, so the annotation, which sits in plain chart
 * values, cannot be used to confirm a guessed password offline.
 */
export function secretChecksum(data: Readonly<Record<string, string>>, key: string): string {
  const hmac = crypto.createHmac("sha256", key);
  for (const [name, value] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hmac.update(name).update("\0").update(value).update("\0");
  }
  return hmac.digest("hex");
}
