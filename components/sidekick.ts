import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { secretChecksum } from "../src/builders/custom-rules.ts";
import {
  buildOutputsSecret,
  buildRedisAuthSecret,
  buildUiAuthSecret,
  redisAuthSecretData,
  uiAuthSecretData,
} from "../src/builders/manifests.ts";
import type { PlainObject } from "../src/builders/merge.ts";
import {
  FALCO_CHART_REPO,
  FALCO_RELEASE,
  SIDEKICK_FULLNAME,
  SIDEKICK_RELEASE,
} from "../src/builders/names.ts";
import { buildNetworkPolicies } from "../src/builders/network-policies.ts";
import { buildSidekickValues } from "../src/builders/sidekick-values.ts";
import {
  resolveSidekickSettings,
  resolveUiSettings,
  type SidekickSettingsInput,
  type UiSettingsInput,
} from "../src/config/schema.ts";

export interface SidekickArgs {
  /** Namespace to install into (it must exist). */
  namespace: string;
  /**
   * Chart version, replicas, NetworkPolicies and raw values. Defaults: chart 0.14.0, 2 replicas,
   * NetworkPolicies on, no raw values (see `src/config/schema.ts`).
   */
  settings?: SidekickSettingsInput;
  /**
   * The web UI and its Redis. Defaults: on, 1 replica, Redis on a 1Gi volume of the cluster's
   * default StorageClass, events kept 7 days.
   */
  ui?: UiSettingsInput;
  /** Non-sensitive output settings for the chart's `config:` block (from `planOutputs`). Default: none. */
  outputsConfig?: PlainObject;
  /** Sensitive output settings by falcosidekick env name (from `planOutputs`); they go to a Secret. Default: none. */
  outputsSecretEnv?: Record<string, string>;
  /** Extra resources the chart waits for. Default none. */
  dependsOn?: pulumi.Resource[];
}

/**
 * falcosidekick with its outputs, and the web UI with Redis. Credentials are generated here and
 * reach the chart only through existing Secrets: chart values never hold a secret.
 */
export class Sidekick extends pulumi.ComponentResource {
  public readonly chart: k8s.helm.v4.Chart;
  /** The values passed to the chart (no secrets in them). */
  public readonly values: PlainObject;
  public readonly chartVersion: string;
  public readonly outputsSecret: k8s.core.v1.Secret;
  public readonly uiAuthSecret?: k8s.core.v1.Secret;
  public readonly redisAuthSecret?: k8s.core.v1.Secret;
  public readonly networkPolicies: k8s.networking.v1.NetworkPolicy[];
  /** UI login (secret); undefined when the UI is off. */
  public readonly uiUser?: pulumi.Output<string>;
  /** UI password (secret); undefined when the UI is off. */
  public readonly uiPassword?: pulumi.Output<string>;

  constructor(name: string, args: SidekickArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:Sidekick", name, {}, opts);
    const settings = resolveSidekickSettings(args.settings);
    const ui = resolveUiSettings(args.ui);
    const secretEnv = args.outputsSecretEnv ?? {};
    this.chartVersion = settings.chartVersion;

    this.outputsSecret = new k8s.core.v1.Secret(
      `${name}-outputs`,
      buildOutputsSecret(args.namespace, secretEnv),
      {
        parent: this,
      },
    );
    const secrets: pulumi.Resource[] = [this.outputsSecret];

    if (ui.enabled) {
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
      const uiData = pulumi
        .all([this.uiUser, this.uiPassword, redisPassword.result])
        .apply(([login, pass, redis]) => uiAuthSecretData(login, pass, redis));
      this.uiAuthSecret = new k8s.core.v1.Secret(
        `${name}-ui-auth`,
        { ...buildUiAuthSecret(args.namespace, {}), stringData: pulumi.secret(uiData) },
        { parent: this },
      );
      this.redisAuthSecret = new k8s.core.v1.Secret(
        `${name}-redis-auth`,
        {
          ...buildRedisAuthSecret(args.namespace, {}),
          stringData: pulumi.secret(redisPassword.result.apply(redisAuthSecretData)),
        },
        { parent: this },
      );
      secrets.push(this.uiAuthSecret, this.redisAuthSecret);
    }

    this.networkPolicies = settings.networkPolicies
      ? buildNetworkPolicies({
          namespace: args.namespace,
          uiEnabled: ui.enabled,
          uiAllowedFrom: ui.allowedFrom,
          sidekickFullname: SIDEKICK_FULLNAME,
          falcoInstance: FALCO_RELEASE,
        }).map(
          (policy) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata?.name ?? "policy"}`, policy, {
              parent: this,
            }),
        )
      : [];

    // The annotation sits in plain values: keyed, so it cannot confirm a guessed secret; the key stays secret.
    const checksumKey = new random.RandomPassword(
      `${name}-checksum-key`,
      { length: 32, special: false },
      { parent: this },
    );
    const outputsChecksum = pulumi.unsecret(
      checksumKey.result.apply((key) => secretChecksum(secretEnv, key)),
    );
    this.values = buildSidekickValues({
      sidekick: settings,
      ui,
      outputsConfig: args.outputsConfig ?? {},
      outputsChecksum,
    });
    this.chart = new k8s.helm.v4.Chart(
      name,
      {
        name: SIDEKICK_RELEASE,
        chart: "falcosidekick",
        version: settings.chartVersion,
        namespace: args.namespace,
        repositoryOpts: { repo: FALCO_CHART_REPO },
        values: this.values,
      },
      { parent: this, dependsOn: [...secrets, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({
      chartVersion: this.chartVersion,
      uiUser: this.uiUser,
      uiPassword: this.uiPassword,
    });
  }
}
