import * as pulumi from "@pulumi/pulumi";
import { createPlannedGroup, type PlannedGroupArgs } from "./planned-resources.ts";

/**
 * The parts FalcoSecurityStack groups its plan into, one component each so `pulumi preview` shows
 * the stack's shape. They create what the plan gives them and nothing else.
 */
export abstract class StackPart extends pulumi.ComponentResource {
  public readonly resources: pulumi.Resource[];

  protected constructor(
    type: string,
    name: string,
    args: PlannedGroupArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    this.resources = createPlannedGroup(this, args);
    this.registerOutputs({});
  }
}

/** Our custom Falco rules as one ConfigMap, mounted by Falco as /etc/falco/rules.d. */
export class CustomRules extends StackPart {
  constructor(name: string, args: PlannedGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:CustomRules", name, args, opts);
  }
}

/** falcosidekick with its outputs Secret, the UI and Redis with their Secrets, and their NetworkPolicies. */
export class Sidekick extends StackPart {
  constructor(name: string, args: PlannedGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:Sidekick", name, args, opts);
  }
}

/** The Falco agent: the falco chart as a DaemonSet, sending JSON events to falcosidekick. */
export class FalcoAgent extends StackPart {
  constructor(name: string, args: PlannedGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:FalcoAgent", name, args, opts);
  }
}

/** The tutorial's `www` nginx pod, the target of the demo trigger scenario. */
export class DemoWorkload extends StackPart {
  constructor(name: string, args: PlannedGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:DemoWorkload", name, args, opts);
  }
}
