import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  cachedRulesetPath,
  findCachedRuleset,
  rulesCacheDir,
  sha256Hex,
  type PinnedRuleset,
} from "./cache.ts";
import {
  UPSTREAM_RULES_BASE_URL,
  UPSTREAM_RULESET_SHA256,
  UPSTREAM_RULESETS,
  upstreamRulesetUrl,
  type UpstreamRulesetName,
} from "./rulesets.ts";
import { FalcoStackError } from "../../errors.ts";

/** A download that failed: unreachable server, HTTP error, or content that is not the pinned file. */
export class RulesFetchError extends FalcoStackError {}

export interface FetchRulesetsOptions {
  /** Rulesets to fetch; default all pinned rulesets. */
  names?: readonly UpstreamRulesetName[];
  /** Server holding `<name>-<version>/rules/<file>`; default the falcosecurity/rules raw files on GitHub. */
  baseUrl?: string;
  cacheDir?: string;
  /** Download again even when the cache already holds the pinned file. */
  force?: boolean;
  timeoutMs?: number;
}

export interface FetchedRuleset {
  name: UpstreamRulesetName;
  version: string;
  path: string;
  url: string;
  /** `cached`: the cache already held the pinned file, nothing was downloaded. */
  status: "downloaded" | "cached";
}

/** Downloads the pinned upstream rulesets into the cache, verifying each file's sha256 before it lands. */
export async function fetchRulesets(options: FetchRulesetsOptions = {}): Promise<FetchedRuleset[]> {
  const cacheDir = options.cacheDir ?? rulesCacheDir();
  const baseUrl = options.baseUrl ?? UPSTREAM_RULES_BASE_URL;
  const wanted = options.names ?? UPSTREAM_RULESETS.map((ruleset) => ruleset.name);
  const results: FetchedRuleset[] = [];
  for (const ruleset of UPSTREAM_RULESETS) {
    if (!wanted.includes(ruleset.name)) continue;
    const url = upstreamRulesetUrl(ruleset, baseUrl);
    const file = cachedRulesetPath(ruleset, cacheDir);
    if (!options.force && findCachedRuleset(ruleset, cacheDir).status === "ok") {
      results.push({ name: ruleset.name, version: ruleset.version, path: file, url, status: "cached" });
      continue;
    }
    const content = await download(url, options.timeoutMs ?? 30_000);
    verifyPinned(ruleset, url, content);
    writeAtomically(file, content);
    results.push({ name: ruleset.name, version: ruleset.version, path: file, url, status: "downloaded" });
  }
  return results;
}

async function download(url: string, timeoutMs: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
    const reason = error instanceof Error ? error.message : String(error);
    throw new RulesFetchError(`cannot download ${url}: ${reason}${cause ? ` (${cause})` : ""}`);
  }
  if (!response.ok) {
    throw new RulesFetchError(
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd(),
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

function verifyPinned(ruleset: PinnedRuleset, url: string, content: Uint8Array): void {
  const actual = sha256Hex(content);
  const expected = UPSTREAM_RULESET_SHA256[ruleset.name];
  if (actual !== expected) {
    throw new RulesFetchError(
      `${url} is not the pinned ${ruleset.name} ${ruleset.version}: sha256 ${actual}, expected ${expected}; nothing was written`,
    );
  }
}

/** Write then rename, so a reader never sees a half-written file and a failed run leaves no debris. */
function writeAtomically(file: string, content: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
