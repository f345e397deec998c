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
