import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildDemoPod } from "../src/builders/manifests.ts";
import { resolveDemoSettings, type DemoSettingsInput } from "../src/config/schema.ts";

export interface DemoWorkloadArgs {
  /**
   * Namespace, pod name and image. Defaults: namespace `demo` (it must exist), pod `www`, image
   * `nginx:1.24`, as in the tutorial. `enabled` is ignored here: creating the component deploys it.
   */
  settings?: DemoSettingsInput;
}

/** The tutorial's `www` nginx pod, the target of the demo trigger scenario. */
export class DemoWorkload extends pulumi.ComponentResource {
  public readonly pod: k8s.core.v1.Pod;
  public readonly namespace: string;
  public readonly podName: string;

  constructor(name: string, args: DemoWorkloadArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:DemoWorkload", name, {}, opts);
    const settings = resolveDemoSettings(args.settings);
    this.namespace = settings.namespace;
    this.podName = settings.name;
    // kubernetes-models types allow numeric quantities; the builder writes strings only.
    const pod = buildDemoPod(settings) as k8s.core.v1.PodArgs;
    this.pod = new k8s.core.v1.Pod(name, pod, { parent: this });
    this.registerOutputs({ namespace: this.namespace, podName: this.podName });
  }
}
