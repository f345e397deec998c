import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedRelease } from "../src/stack/plan.ts";
import { helmChartArgs } from "./helm-release.ts";
import { lateOutput, type PulumiLateValues } from "./late-inputs.ts";

export interface FalcoAgentArgs {
  /** The falco release of the stack plan (`planFalco`). */
  readonly release: PlannedRelease;
  /** The late values the plan's tokens stand for. */
  readonly late: PulumiLateValues;
  /** Resources the chart waits for: the rules ConfigMap and falcosidekick. */
  readonly dependsOn?: pulumi.Resource[];
}

/** The Falco agent: the falco chart as a DaemonSet, sending JSON events to falcosidekick. */
export class FalcoAgent extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  public readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: FalcoAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:FalcoAgent", name, {}, opts);
    this.chart = new k8s.helm.v4.Chart(name, helmChartArgs(args.release, args.late), {
      parent: this,
      dependsOn: args.dependsOn,
    });
    this.chartVersion = lateOutput(args.release.version, args.late);
    this.registerOutputs({ chartVersion: this.chartVersion });
  }
}
