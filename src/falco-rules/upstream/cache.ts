import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  UPSTREAM_RULESET_SHA256,
  type UPSTREAM_RULESETS,
  type UpstreamRuleset,
  type UpstreamRulesetName,
} from "./rulesets.ts";

/** One of the pinned rulesets of `rulesets.ts`. */
export type PinnedRuleset = (typeof UPSTREAM_RULESETS)[number];

/**
 * The local cache of pinned upstream rulesets that `rules fetch` fills and `rules test --stack` reads.
 * Location: `$FALCO_STACK_CACHE`, else `$XDG_CACHE_HOME/falco-stack`, else `~/.cache/falco-stack`.
 */
export function rulesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FALCO_STACK_CACHE) return path.resolve(env.FALCO_STACK_CACHE);
  if (env.XDG_CACHE_HOME) return path.resolve(env.XDG_CACHE_HOME, "falco-stack");
  return path.join(os.homedir(), ".cache", "falco-stack");
}

/** One file per ruleset version, so a version bump never reads a stale copy. */
export function cachedRulesetPath(
  ruleset: Pick<UpstreamRuleset, "name" | "version">,
  cacheDir: string = rulesCacheDir(),
): string {
  return path.join(cacheDir, "rulesets", `${ruleset.name}-${ruleset.version}.yaml`);
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Whether content is exactly the pinned file of that ruleset. */
export function matchesPinnedSha256(name: UpstreamRulesetName, content: string | Uint8Array): boolean {
  return sha256Hex(content) === UPSTREAM_RULESET_SHA256[name];
}

export type CachedRuleset =
  | { status: "ok"; path: string }
  | { status: "missing"; path: string }
  | { status: "corrupt"; path: string; sha256: string };

/** Finds a ruleset in the cache and checks it still holds the pinned content. */
export function findCachedRuleset(ruleset: PinnedRuleset, cacheDir: string = rulesCacheDir()): CachedRuleset {
  const file = cachedRulesetPath(ruleset, cacheDir);
  if (!existsSync(file)) return { status: "missing", path: file };
  const content = readFileSync(file);
  if (!matchesPinnedSha256(ruleset.name, content)) {
    return { status: "corrupt", path: file, sha256: sha256Hex(content) };
  }
  return { status: "ok", path: file };
}
