import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedObject } from "../src/stack/plan.ts";
import { resolveLate, type PulumiLateValues } from "./late-inputs.ts";

export interface DemoWorkloadArgs {
  /** The demo pod of the stack plan (`planDemo`). */
  readonly pod: PlannedObject;
  /** The late values the plan's tokens stand for. */
  readonly late: PulumiLateValues;
}

/** The tutorial's `www` nginx pod, the target of the demo trigger scenario. */
export class DemoWorkload extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;

  constructor(name: string, args: DemoWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:DemoWorkload", name, {}, opts);
    // kubernetes-models types allow numeric quantities; the builder writes strings only.
    this.pod = new k8s.core.v1.Pod(name, resolveLate(args.pod.manifest, args.late) as k8s.core.v1.PodArgs, {
      parent: this,
    });
    this.registerOutputs({ podName: this.pod.metadata.name });
  }
}
