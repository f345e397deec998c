import crypto from "node:crypto";
import path from "node:path";
import fs from "node:fs";
import { ConfigError, configKey, type ConfigIssue } from "../config/errors.ts";
import {
  collectStackRuleFiles,
  hasErrors,
  RulesValidationError,
  validateRules,
  type UpstreamRulesetName,
  type ValidateOptions,
} from "../falco-rules/index.ts";
import { CONTAINER_PLUGIN_VERSION, K8SMETA_PLUGIN_VERSION } from "../builders/platform-values.ts";
import { CONFIG_MAP_MAX_BYTES, configMapKeyError } from "./kubernetes-rules.ts";

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

/** A plugin Falco loads, as the rules loader checks `required_plugin_versions` against it. */
export interface LoadedPlugin {
  name: string;
  version: string;
}

/**
 * The plugins the stack's Falco loads: the bundled container plugin, and k8smeta when
 * `falco.kubernetesMetadata` is on. Rules may use a plugin's fields (`k8smeta.*`) only where it is loaded.
 */
export function loadedPluginsOf(falco: { kubernetesMetadata: boolean }): LoadedPlugin[] | undefined {
  if (!falco.kubernetesMetadata) return undefined;
  return [
    { name: "container", version: CONTAINER_PLUGIN_VERSION },
    { name: "k8smeta", version: K8SMETA_PLUGIN_VERSION },
  ];
}

/**
 * Reads the rule files (see `collectRuleFiles`) and validates them as Falco 0.44.1 would load them,
 * after the upstream rulesets the stack installs, with the plugins its Falco settings load (default:
 * the bundled container plugin). Throws RulesValidationError when Falco would refuse them: a broken rule would
 * crash-loop Falco on every node.
 */
export function readValidatedRuleFiles(
  entries: readonly string[],
  root: string,
  upstreamRulesets: readonly UpstreamRulesetName[],
  falco?: { kubernetesMetadata: boolean },
): ValidatedRuleFiles {
  const plugins = falco ? loadedPluginsOf(falco) : undefined;
  const files = collectRuleFiles(entries, root);
  const issues = ruleFileIssues(entries, root, files);
  if (issues.length > 0) throw new ConfigError(issues);
  const options: ValidateOptions = { upstreamRulesets, ...(plugins ? { plugins } : {}) };
  const findings = validateRules(
    files.map((file) => ({ path: displayPath(root, file.path), text: file.content })),
    options,
  );
  if (hasErrors(findings)) throw new RulesValidationError(findings);
  return { files, warnings: findings.map((f) => `${f.file}:${f.line}:${f.col}: ${f.message}`) };
}

/**
 * What the listing found that a cluster would refuse: a file name that is not a ConfigMap key, rules
 * over the ConfigMap size limit, and a folder without any rules file (Falco would load nothing from it).
 */
export function ruleFileIssues(
  entries: readonly string[],
  root: string,
  files: readonly RuleFile[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const entryOf = (file: RuleFile): number => {
    const index = entries.findIndex((entry) => {
      const absolute = path.resolve(root, entry);
      return absolute === file.path || absolute === path.dirname(file.path);
    });
    return Math.max(index, 0);
  };
  entries.forEach((entry, index) => {
    const absolute = path.resolve(root, entry);
    let isFolder = false;
    try {
      isFolder = fs.statSync(absolute).isDirectory();
    } catch {
      return;
    }
    if (isFolder && !files.some((file) => path.dirname(file.path) === absolute)) {
      issues.push({
        key: configKey(["rules", "files", index]),
        message: `the folder "${entry}" holds no rules file (.yaml or .yml); add one, or drop the folder from the list`,
      });
    }
  });
  for (const file of files) {
    const error = configMapKeyError(file.key);
    if (error !== undefined) {
      issues.push({
        key: configKey(["rules", "files", entryOf(file)]),
        message: `the file name ${JSON.stringify(file.key)} becomes a ConfigMap key and ${error}; rename the file`,
      });
    }
  }
  const bytes = files.reduce(
    (total, file) => total + Buffer.byteLength(file.key) + Buffer.byteLength(file.content),
    0,
  );
  if (bytes > CONFIG_MAP_MAX_BYTES) {
    issues.push({
      key: configKey(["rules", "files"]),
      message: `the rule files add up to ${bytes} bytes, over the ${CONFIG_MAP_MAX_BYTES} bytes (1 MiB) a ConfigMap holds; drop or shorten rules to fit`,
    });
  }
  return issues;
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
