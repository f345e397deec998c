/**
 * The upstream Falco rulesets the stack can install with falcoctl, pinned to the versions that match
 * Falco 0.44.1. One table serves the chart values (falcoctl refs, `rules_files`) and the offline tools.
 */
export interface UpstreamRuleset {
  /** falcoctl artifact name, also the name used in `falco-stack:rules.rulesets`. */
  name: string;
  /** Pinned artifact version. */
  version: string;
  /** File name falcoctl installs under `/etc/falco`. */
  fileName: string;
  /** Maturity level of the rules it carries. */
  maturity: "stable" | "incubating" | "sandbox";
}

export const UPSTREAM_RULESETS = [
  { name: "falco-rules", version: "5.1.0", fileName: "falco_rules.yaml", maturity: "stable" },
  {
    name: "falco-incubating-rules",
    version: "6.0.1",
    fileName: "falco-incubating_rules.yaml",
    maturity: "incubating",
  },
  {
    name: "falco-sandbox-rules",
    version: "6.1.0",
    fileName: "falco-sandbox_rules.yaml",
    maturity: "sandbox",
  },
] as const satisfies readonly UpstreamRuleset[];

export type UpstreamRulesetName = (typeof UPSTREAM_RULESETS)[number]["name"];

export const UPSTREAM_RULESET_NAMES = UPSTREAM_RULESETS.map((ruleset) => ruleset.name) as [
  UpstreamRulesetName,
  ...UpstreamRulesetName[],
];

export function upstreamRuleset(name: UpstreamRulesetName): UpstreamRuleset {
  const found = UPSTREAM_RULESETS.find((ruleset) => ruleset.name === name);
  if (!found) throw new Error(`unknown upstream ruleset ${name}`);
  return found;
}

/**
 * Where `rules fetch` downloads the pinned files by default: the raw files of falcosecurity/rules at each
 * ruleset's release tag, which is named `<ruleset name>-<version>` (e.g. `falco-rules-5.1.0`).
 */
export const UPSTREAM_RULES_BASE_URL = "https://raw.githubusercontent.com/falcosecurity/rules";

/** sha256 of each pinned file, so a download or a cached copy is the pinned content and nothing else. */
export const UPSTREAM_RULESET_SHA256: Record<UpstreamRulesetName, string> = {
  "falco-rules": "1c15d5d543635b76e31cca39d7df8bf4caf50a428613c314d92986a23bfcb617",
  "falco-incubating-rules": "47bf87041e2f39ca336e7acf1ae4e6183771a92e81031f367d01f2b49cabe1ac",
  "falco-sandbox-rules": "6849ec5e9b55ba81ca5214559dc1a1c32e051acc0a7791da7841a850f853f59a",
};

/** Download URL of a pinned ruleset file under `baseUrl` (same layout as raw.githubusercontent.com). */
export function upstreamRulesetUrl(
  ruleset: UpstreamRuleset,
  baseUrl: string = UPSTREAM_RULES_BASE_URL,
): string {
  const base = baseUrl.replace(/\/+$/, "");
  return `${base}/${ruleset.name}-${ruleset.version}/rules/${ruleset.fileName}`;
}
