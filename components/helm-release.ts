import type * as k8s from "@pulumi/kubernetes";
import type { PlannedRelease } from "../src/stack/plan.ts";
import { resolveLate, type PulumiLateValues } from "./late-inputs.ts";

/** A planned release as helm.v4.Chart arguments. */
export function helmChartArgs(release: PlannedRelease, late: PulumiLateValues): k8s.helm.v4.ChartArgs {
  return {
    name: release.name,
    chart: release.chart,
    version: resolveLate(release.version, late),
    namespace: resolveLate(release.namespace, late),
    repositoryOpts: { repo: release.repo },
    values: resolveLate(release.values, late),
  };
}
