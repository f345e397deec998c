import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildFalcoValues } from "../src/builders/falco-values.ts";
import type { PlainObject } from "../src/builders/merge.ts";
import { FALCO_CHART_REPO, FALCO_RELEASE } from "../src/builders/names.ts";
import { resolveFalcoSettings, resolveRulesSettings, type FalcoSettingsInput } from "../src/config/schema.ts";
import type { UpstreamRulesetName } from "../src/falco-rules/index.ts";

export interface FalcoAgentArgs {
  /** Namespace to install into (it must exist; Pod Security `privileged`). */
  namespace: string;
  /**
   * Chart version, driver, tty, resources, tolerations, air-gapped mode and raw values.
   * Defaults: chart 9.1.0, driver `modern_ebpf`, tty true, the chart's resources, control-plane
   * tolerations, falcoctl on, no raw values (see `src/config/schema.ts`).
   */
  settings?: FalcoSettingsInput;
  /** Upstream rulesets falcoctl installs before our rules. Default `["falco-rules"]`. */
  rulesets?: UpstreamRulesetName[];
  /** Checksum of the custom rules, put on the pods so a rules change rolls the DaemonSet. Default "none". */
  rulesChecksum?: string;
  /** Extra resources the chart waits for, e.g. the rules ConfigMap. Default none. */
  dependsOn?: pulumi.Resource[];
}

/** The Falco agent: the falco chart as a DaemonSet, sending JSON events to falcosidekick. */
export class FalcoAgent extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  /** The values passed to the chart (no secrets in them). */
  public readonly values: PlainObject;
  public readonly chartVersion: string;

  constructor(name: string, args: FalcoAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:FalcoAgent", name, {}, opts);
    const settings = resolveFalcoSettings(args.settings);
    this.chartVersion = settings.chartVersion;
    this.values = buildFalcoValues({
      namespace: args.namespace,
      falco: settings,
      rulesets: resolveRulesSettings({ rulesets: args.rulesets }).rulesets,
      rulesChecksum: args.rulesChecksum ?? "none",
    });
    this.chart = new k8s.helm.v4.Chart(
      name,
      {
        name: FALCO_RELEASE,
        chart: "falco",
        version: settings.chartVersion,
        namespace: args.namespace,
        repositoryOpts: { repo: FALCO_CHART_REPO },
        values: this.values,
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ chartVersion: this.chartVersion });
  }
}
