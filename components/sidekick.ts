import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlannedObject, SidekickPart, StackCredentials } from "../src/stack/plan.ts";
import { helmChartArgs } from "./helm-release.ts";
import { lateOutput, resolveLate, type PulumiLateValues } from "./late-inputs.ts";

export interface SidekickArgs {
  /**
   * The sidekick part of the stack plan (`planSidekick`), as a function of the credentials this
   * component generates: the plan sees them as late tokens.
   */
  readonly plan: (credentials: StackCredentials) => SidekickPart;
  /** The late values the plan's tokens stand for; the credentials are added to it. */
  readonly late: PulumiLateValues;
  /** The UI is on: only then are its login and the Redis password generated. */
  readonly uiEnabled: boolean;
  /** Resources the chart waits for besides its Secrets. */
  readonly dependsOn?: pulumi.Resource[];
}

/**
 * falcosidekick with its outputs, and the web UI with Redis. Credentials are generated here and
 * reach the chart only through existing Secrets: chart values never hold a secret.
 */
export class Sidekick extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  public readonly chartVersion: pulumi.Output<string>;
  public readonly secrets: k8s.core.v1.Secret[];
  public readonly networkPolicies: k8s.networking.v1.NetworkPolicy[];
  /** UI login (secret); undefined when the UI is off. */
  public readonly uiUser?: pulumi.Output<string>;
  /** UI password (secret); undefined when the UI is off. */
  public readonly uiPassword?: pulumi.Output<string>;

  constructor(name: string, args: SidekickArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:Sidekick", name, {}, opts);
    const { late } = args;
    // The annotation sits in plain values: keyed, so it cannot confirm a guessed secret; the key stays secret.
    const checksumKey = new random.RandomPassword(
      `${name}-checksum-key`,
      { length: 32, special: false },
      { parent: this },
    );
    const credentials: StackCredentials = {
      uiUser: "",
      uiPassword: "",
      redisPassword: "",
      checksumKey: late.stand(checksumKey.result),
    };
    if (args.uiEnabled) {
      const user = new random.RandomString(
        `${name}-ui-user`,
        { length: 8, special: false, upper: false, numeric: false },
        { parent: this },
      );
      const password = new random.RandomPassword(
        `${name}-ui-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const redisPassword = new random.RandomPassword(
        `${name}-redis-password`,
        { length: 32, special: false },
        { parent: this },
      );
      this.uiUser = pulumi.secret(pulumi.interpolate`falco-${user.result}`);
      this.uiPassword = pulumi.secret(password.result);
      credentials.uiUser = late.stand(this.uiUser);
      credentials.uiPassword = late.stand(this.uiPassword);
      credentials.redisPassword = late.stand(redisPassword.result);
    }
    const part = args.plan(credentials);

    const create = (object: PlannedObject) => {
      const manifest = resolveLate(object.manifest, late) as Record<string, unknown>;
      if (object.secret) {
        const { stringData, ...rest } = manifest;
        return new k8s.core.v1.Secret(
          `${name}-${object.id}`,
          { ...rest, stringData: pulumi.secret(stringData as Record<string, pulumi.Input<string>>) },
          { parent: this },
        );
      }
      return new k8s.networking.v1.NetworkPolicy(
        `${name}-${object.id.replace(/^policy-/, "")}`,
        manifest as k8s.networking.v1.NetworkPolicyArgs,
        { parent: this },
      );
    };
    this.secrets = [];
    this.networkPolicies = [];
    for (const object of part.objects) {
      const resource = create(object);
      if (resource instanceof k8s.core.v1.Secret) this.secrets.push(resource);
      else this.networkPolicies.push(resource);
    }
    this.chartVersion = lateOutput(part.release.version, late);
    this.chart = new k8s.helm.v4.Chart(name, helmChartArgs(part.release, late), {
      parent: this,
      dependsOn: [...this.secrets, ...(args.dependsOn ?? [])],
    });
    this.registerOutputs({
      chartVersion: this.chartVersion,
      uiUser: this.uiUser,
      uiPassword: this.uiPassword,
    });
  }
}
