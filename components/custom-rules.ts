import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RulesPart } from "../src/stack/plan.ts";
import { lateOutput, resolveLate, type PulumiLateValues } from "./late-inputs.ts";

export interface CustomRulesArgs {
  /** The rules part of the stack plan (`planRules`): files already read and validated. */
  readonly part: RulesPart;
  /** The late values the plan's tokens stand for. */
  readonly late: PulumiLateValues;
}

/**
 * Our custom Falco rules as one ConfigMap, keys named after the files, contents unchanged. Falco
 * mounts it as a directory at /etc/falco/rules.d; `checksum` rolls the DaemonSet on change.
 */
export class CustomRules extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  /** sha256 over file names and contents. */
  public readonly checksum: string;
  /** The ConfigMap keys, in Falco's load order. */
  public readonly fileNames: string[];

  constructor(name: string, args: CustomRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:CustomRules", name, {}, opts);
    const [object] = args.part.objects;
    if (!object) throw new Error("internal: the rules part has no ConfigMap");
    this.checksum = args.part.checksum;
    this.fileNames = args.part.fileNames;
    this.configMap = new k8s.core.v1.ConfigMap(
      name,
      resolveLate(object.manifest, args.late) as k8s.core.v1.ConfigMapArgs,
      { parent: this },
    );
    this.registerOutputs({
      configMapName: lateOutput(this.configMap.metadata.name, args.late),
      checksum: this.checksum,
      fileNames: this.fileNames,
    });
  }
}
