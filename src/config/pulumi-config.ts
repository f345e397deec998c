import * as pulumi from "@pulumi/pulumi";
import { tooDeepIssues } from "./depth.ts";
import { CONFIG_NAMESPACE, misspelledNamespaceIssues, type ConfigIssue } from "./errors.ts";

/** Keys whose value is a plain string; every other key holds structured config (JSON). */
const STRING_KEYS = new Set(["namespace"]);

export interface PulumiConfigSnapshot {
  /** `falco-stack:*` values without the namespace, structured values parsed. */
  raw: Record<string, unknown>;
  /** `falco-stack:outputs` holds at least one secret (set with `--secret`). */
  outputsAreSecret: boolean;
  /** Keys whose namespace looks like a typo of ours; reported with the settings' issues. */
  issues: ConfigIssue[];
}

/**
 * Reads every `falco-stack:*` key as the engine hands it over. Reading the raw map (rather than
 * `Config.getObject` per key) sees unknown keys too, so typos are reported instead of ignored.
 */
export function readPulumiConfig(): PulumiConfigSnapshot {
  const raw: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  const all = pulumi.runtime.allConfig();
  const issues = misspelledNamespaceIssues(Object.keys(all));
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (STRING_KEYS.has(name)) {
      raw[name] = value;
      continue;
    }
    try {
      raw[name] = JSON.parse(value) as unknown;
    } catch {
      // A scalar set without --path, e.g. `pulumi config set falco-stack:ui on`.
      raw[name] = value;
    }
  }
  // A value nested too deep is refused before anything recurses over it.
  const tooDeep = tooDeepIssues(raw);
  for (const issue of tooDeep)
    Reflect.deleteProperty(raw, issue.key.slice(prefix.length).split(/[.[]/)[0] ?? "");
  return { raw, outputsAreSecret: isConfigSecret(`${prefix}outputs`), issues: [...issues, ...tooDeep] };
}

/**
 * Whether a key was set with `--secret`. The SDK's own check is internal (not in its typings), so it
 * is looked up defensively: without it, plain-text warnings are given for every sensitive value.
 */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  return typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret(key) : false;
}
