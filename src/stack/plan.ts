import {
  buildCanaryDaemonSet,
  buildCanaryNamespace,
  buildCanaryNetworkPolicy,
  buildCanaryPrometheusRule,
  CANARY_BEACON_FILE,
  CANARY_CONTAINER,
  CANARY_RULE,
  canaryPodSelector,
} from "../builders/canary.ts";
import { parseAllDocuments } from "yaml";
import { buildFalcoValues } from "../builders/falco-values.ts";
import {
  buildDemoPod,
  buildNamespace,
  buildOutputsSecret,
  buildRedisAuthSecret,
  buildRulesConfigMap,
  buildUiAuthSecret,
  redisAuthSecretData,
  uiAuthSecretData,
} from "../builders/manifests.ts";
import { isPlainObject, type PlainObject } from "../builders/merge.ts";
import {
  CANARY_NAMESPACE,
  DEMO_APP_LABEL,
  FALCO_CHART_REPO,
  FALCO_RELEASE,
  falcoPodSelector,
  SIDEKICK_FULLNAME,
  SIDEKICK_RELEASE,
  sidekickUrl,
  UI_PORT,
  UI_SERVICE,
  uiPortForwardCommand,
} from "../builders/names.ts";
import { buildNetworkPolicies } from "../builders/network-policies.ts";
import { buildSidekickValues, type CredentialChecksums } from "../builders/sidekick-values.ts";
import { ConfigError, configKey } from "../config/errors.ts";
import type { UpstreamRulesetName } from "../falco-rules/index.ts";
import type { LateValues } from "./late.ts";
import { planPlatformObjects, sidekickScraperPeers, uiControllerPeers } from "./plan-platform.ts";
import { rulesChecksum, secretChecksum, type RuleFile } from "./rule-files.ts";
import { canaryAlertOn } from "./settings.ts";
import type { DemoSettings, FalcoSettings, SidekickSettings, StackSettings, UiSettings } from "./settings.ts";
import type { ObservabilitySettings } from "./settings-platform.ts";

/** Which component of the stack owns an object: the Pulumi adapter parents it there. */
export type PlanOwner = "stack" | "rules" | "sidekick" | "falco" | "demo";

/** One Kubernetes object the stack creates itself, as `kubectl apply` takes it. */
export interface PlannedObject {
  /** Unique within the stack: the Pulumi resource is named `<stack name>-<id>`. */
  id: string;
  owner: PlanOwner;
  manifest: PlainObject;
  /** Its data is a credential: the adapter keeps it secret. */
  secret?: boolean;
}

/** A Helm release of an upstream chart. */
export interface PlannedRelease {
  /** Unique within the stack: the Pulumi resource is named `<stack name>-<id>`. */
  id: string;
  /** Ids of the objects and releases that must exist first (Secrets it mounts, the release it sends to). */
  dependsOn: string[];
  owner: "sidekick" | "falco";
  name: string;
  chart: string;
  repo: string;
  version: string;
  namespace: string;
  values: PlainObject;
}

/** What `pulumi stack output` shows; the demo command reads it. */
export interface StackOutputs {
  namespace: string;
  chartVersions: { falco: string; falcosidekick: string };
  sidekickUrl: string;
  falcoPods: { namespace: string; labelSelector: string; container: string };
  ui:
    | { enabled: true; namespace: string; serviceName: string; port: number; portForwardCommand: string }
    | { enabled: false };
  demo:
    | { enabled: true; namespace: string; podName: string; container: string; labelSelector: string }
    | { enabled: false };
  outputs: { name: string; minimumpriority: string }[];
  rules: { files: string[]; checksum: string; rulesets: string[] };
  /** The name every event carries (`cluster` field), when the stack sets one. */
  clusterName?: string;
  /** What `demo --nodes` needs to find and trigger the canary pods. */
  canary:
    | {
        enabled: true;
        namespace: string;
        labelSelector: string;
        container: string;
        rule: string;
        beaconFile: string;
        schedule: string;
        alert: boolean;
      }
    | { enabled: false };
}

/** The generated credentials: plain strings for render, late tokens for `pulumi up`. */
export interface StackCredentials {
  uiUser: string;
  uiPassword: string;
  redisPassword: string;
  /** Keys the outputs checksum, so the annotation in plain values cannot confirm a guessed secret. */
  checksumKey: string;
}

/** The outputs, split by `planOutputs`: chart settings and the Secret's entries (env name → value). */
export interface PlannedOutputs {
  chartConfig: PlainObject;
  secretEnv: Record<string, string>;
  enabled: { name: string; minimumpriority: string }[];
  /** A Secret the user manages (External Secrets, sealed-secrets) instead of the one the stack creates. */
  existingSecret?: string;
}

export interface RulesPart {
  objects: PlannedObject[];
  checksum: string;
  fileNames: string[];
}

/** The custom rules as one ConfigMap, keys named after the files, contents unchanged. */
export function planRules(namespace: string, ruleFiles: readonly RuleFile[]): RulesPart {
  return {
    objects: [{ id: "rules", owner: "rules", manifest: { ...buildRulesConfigMap(namespace, ruleFiles) } }],
    checksum: rulesChecksum(ruleFiles),
    fileNames: ruleFiles.map((file) => file.key),
  };
}

export interface SidekickPartInput {
  namespace: string;
  sidekick: SidekickSettings;
  ui: UiSettings;
  outputs: PlannedOutputs;
  /** Needed only when the UI is on. */
  credentials: StackCredentials;
  late: LateValues;
  observability?: ObservabilitySettings;
  clusterName?: string;
  /** NetworkPolicy peers besides the defaults: the metrics scraper, the UI's ingress controller. */
  extraPeers?: { sidekick: object[]; ui: object[] };
}

export interface SidekickPart {
  /** Secrets first, then NetworkPolicies: the chart mounts the Secrets. */
  objects: PlannedObject[];
  release: PlannedRelease;
}

/** falcosidekick with its outputs, and the UI with Redis: their Secrets, NetworkPolicies and release. */
export function planSidekick(input: SidekickPartInput): SidekickPart {
  const { namespace, sidekick, ui, outputs, credentials, late } = input;
  const objects: PlannedObject[] = [];
  if (outputs.existingSecret === undefined) {
    objects.push({
      id: "sidekick-outputs",
      owner: "sidekick",
      secret: true,
      manifest: { ...buildOutputsSecret(namespace, outputs.secretEnv) },
    });
  }
  if (ui.enabled) {
    const data = uiAuthSecretData(credentials.uiUser, credentials.uiPassword, credentials.redisPassword);
    objects.push(
      {
        id: "sidekick-ui-auth",
        owner: "sidekick",
        secret: true,
        manifest: { ...buildUiAuthSecret(namespace, data) },
      },
      {
        id: "sidekick-redis-auth",
        owner: "sidekick",
        secret: true,
        manifest: { ...buildRedisAuthSecret(namespace, redisAuthSecretData(credentials.redisPassword)) },
      },
    );
  }
  if (sidekick.networkPolicies) {
    const policies = buildNetworkPolicies({
      namespace,
      uiEnabled: ui.enabled,
      uiAllowedFrom: [...ui.allowedFrom, ...(input.extraPeers?.ui ?? [])],
      sidekickAllowedFrom: input.extraPeers?.sidekick,
      sidekickFullname: SIDEKICK_FULLNAME,
      falcoInstance: FALCO_RELEASE,
    });
    for (const policy of policies) {
      objects.push({ id: `sidekick-${policy.metadata.name}`, owner: "sidekick", manifest: { ...policy } });
    }
  }
  const names = Object.keys(outputs.secretEnv).sort();
  const outputsChecksum = late.computeFrom(
    [credentials.checksumKey, ...names.map((name) => outputs.secretEnv[name] ?? "")],
    ([key, ...values]) =>
      secretChecksum(Object.fromEntries(names.map((name, i) => [name, String(values[i])])), String(key)),
  );
  const values = buildSidekickValues({
    sidekick,
    ui,
    outputsConfig: outputs.chartConfig,
    outputsChecksum,
    outputsSecretName: outputs.existingSecret,
    observability: input.observability,
    clusterName: input.clusterName,
    ...(ui.enabled ? { credentialChecksums: credentialChecksums(credentials, late) } : {}),
  });
  return {
    objects,
    release: {
      id: "sidekick",
      // The chart mounts the Secrets; the policies guard its pods from the start.
      dependsOn: objects.filter((object) => object.secret).map((object) => object.id),
      owner: "sidekick",
      name: SIDEKICK_RELEASE,
      chart: "falcosidekick",
      repo: FALCO_CHART_REPO,
      version: sidekick.chartVersion,
      namespace,
      values,
    },
  };
}

/**
 * Keyed checksums of what each UI pod reads from its Secrets: a changed credential rolls exactly the
 * pods that use it (the chart's own checksum does not cover `existingSecret`s).
 */
function credentialChecksums(credentials: StackCredentials, late: LateValues): CredentialChecksums {
  const { checksumKey, uiUser, uiPassword, redisPassword } = credentials;
  return {
    // The UI reads its login and the Redis password.
    ui: late.computeFrom([checksumKey, uiUser, uiPassword, redisPassword], ([key, user, password, redis]) =>
      secretChecksum(uiAuthSecretData(String(user), String(password), String(redis)), String(key)),
    ),
    redis: late.computeFrom([checksumKey, redisPassword], ([key, redis]) =>
      secretChecksum(redisAuthSecretData(String(redis)), String(key)),
    ),
  };
}

export interface FalcoPartInput {
  namespace: string;
  falco: FalcoSettings;
  rulesets: readonly UpstreamRulesetName[];
  rulesChecksum: string;
  observability?: ObservabilitySettings;
  clusterName?: string;
}

/** The falco chart as a DaemonSet, sending JSON events to falcosidekick. */
export function planFalco(input: FalcoPartInput): PlannedRelease {
  return {
    id: "falco",
    // The rules ConfigMap is mounted; falcosidekick first so the first events have somewhere to go.
    dependsOn: ["rules", "sidekick"],
    owner: "falco",
    name: FALCO_RELEASE,
    chart: "falco",
    repo: FALCO_CHART_REPO,
    version: input.falco.chartVersion,
    namespace: input.namespace,
    values: buildFalcoValues(input),
  };
}

/** Whether a (validated) rules file defines the canary rule. */
function definesCanaryRule(file: RuleFile): boolean {
  return parseAllDocuments(file.content).some((document) => {
    const items: unknown = document.toJS();
    return (
      Array.isArray(items) &&
      items.some(
        (item: unknown) => isPlainObject(item) && item.rule === CANARY_RULE && item.override === undefined,
      )
    );
  });
}

/**
 * The detection canary: its DaemonSet (after the rules ConfigMap that holds its rule) and, when
 * alerting is on, its PrometheusRule. The canary rule must be among the rule files shipped.
 */
export function planCanary(settings: StackSettings, ruleFiles: readonly RuleFile[]): PlannedObject[] {
  if (!settings.canary.enabled) return [];
  if (!ruleFiles.some(definesCanaryRule)) {
    throw new ConfigError([
      {
        key: configKey(["rules", "files"]),
        message: `must include rules/falco-stack-canary.yaml (the rule "${CANARY_RULE}") while canary.enabled: without it no node ever raises the canary`,
      },
    ]);
  }
  const objects: PlannedObject[] = [
    {
      id: "canary",
      owner: "stack",
      manifest: {
        ...buildCanaryDaemonSet({ canary: settings.canary, tolerations: settings.falco.tolerations }),
      },
    },
    { id: "canary-network-policy", owner: "stack", manifest: { ...buildCanaryNetworkPolicy() } },
  ];
  if (canaryAlertOn(settings)) {
    objects.push({
      id: "canary-alerts",
      owner: "stack",
      manifest: {
        ...buildCanaryPrometheusRule({
          falcoNamespace: settings.namespace,
          alert: settings.canary.alert,
          selectorLabels: settings.observability.serviceMonitorLabels,
        }),
      },
    });
  }
  return objects;
}

/** The tutorial's `www` nginx pod. */
export function planDemo(demo: DemoSettings): PlannedObject {
  return { id: "demo", owner: "demo", manifest: { ...buildDemoPod(demo) } };
}

export interface PlanInput {
  settings: StackSettings;
  /** Custom rule files, validated, in Falco's load order. */
  ruleFiles: readonly RuleFile[];
  outputs: PlannedOutputs;
  credentials: StackCredentials;
  late: LateValues;
}

/** Everything the stack creates, in apply order, and the stack outputs. */
export interface StackPlan {
  /** Namespaces, the rules ConfigMap, Secrets, NetworkPolicies, then the demo pod. */
  objects: PlannedObject[];
  /** falcosidekick first: Falco's first events need somewhere to go. */
  releases: [PlannedRelease, PlannedRelease];
  outputs: StackOutputs;
}

export function planNamespaces(settings: StackSettings): PlannedObject[] {
  const namespaces: PlannedObject[] = [
    { id: "namespace", owner: "stack", manifest: { ...buildNamespace(settings.namespace, "privileged") } },
  ];
  if (settings.demo.enabled) {
    namespaces.push({
      id: "demo-namespace",
      owner: "stack",
      manifest: { ...buildNamespace(settings.demo.namespace, "baseline") },
    });
  }
  if (settings.canary.enabled) {
    namespaces.push({ id: "canary-namespace", owner: "stack", manifest: { ...buildCanaryNamespace() } });
  }
  return namespaces;
}

export function planStackOutputs(
  settings: StackSettings,
  rules: Pick<RulesPart, "checksum" | "fileNames">,
  outputs: PlannedOutputs,
): StackOutputs {
  const { namespace, ui, demo } = settings;
  return {
    namespace,
    chartVersions: { falco: settings.falco.chartVersion, falcosidekick: settings.sidekick.chartVersion },
    sidekickUrl: sidekickUrl(namespace),
    falcoPods: { namespace, labelSelector: falcoPodSelector(), container: "falco" },
    ui: ui.enabled
      ? {
          enabled: true,
          namespace,
          serviceName: UI_SERVICE,
          port: UI_PORT,
          portForwardCommand: uiPortForwardCommand(namespace),
        }
      : { enabled: false },
    demo: demo.enabled
      ? {
          enabled: true,
          namespace: demo.namespace,
          podName: demo.name,
          container: demo.name,
          labelSelector: `app.kubernetes.io/name=${DEMO_APP_LABEL}`,
        }
      : { enabled: false },
    outputs: outputs.enabled.map((output) => ({
      name: output.name,
      minimumpriority: output.minimumpriority,
    })),
    rules: { files: rules.fileNames, checksum: rules.checksum, rulesets: [...settings.rules.rulesets] },
    ...(settings.clusterName !== undefined ? { clusterName: settings.clusterName } : {}),
    canary: settings.canary.enabled
      ? {
          enabled: true,
          namespace: CANARY_NAMESPACE,
          labelSelector: canaryPodSelector(),
          container: CANARY_CONTAINER,
          rule: CANARY_RULE,
          beaconFile: CANARY_BEACON_FILE,
          schedule: settings.canary.schedule,
          alert: canaryAlertOn(settings),
        }
      : { enabled: false },
  };
}

/**
 * The one place the stack is assembled: the Pulumi components create exactly these objects and
 * releases, and render writes exactly these files.
 */
export function planStack(input: PlanInput): StackPlan {
  const { settings } = input;
  const { namespace } = settings;
  const rules = planRules(namespace, input.ruleFiles);
  const sidekick = planSidekick({
    namespace,
    sidekick: settings.sidekick,
    ui: settings.ui,
    outputs: input.outputs,
    credentials: input.credentials,
    late: input.late,
    observability: settings.observability,
    clusterName: settings.clusterName,
    extraPeers: { sidekick: sidekickScraperPeers(settings), ui: uiControllerPeers(settings) },
  });
  const falco = planFalco({
    namespace,
    falco: settings.falco,
    rulesets: settings.rules.rulesets,
    rulesChecksum: rules.checksum,
    observability: settings.observability,
    clusterName: settings.clusterName,
  });
  return {
    objects: [
      ...planNamespaces(settings),
      ...rules.objects,
      ...sidekick.objects,
      ...planPlatformObjects(settings),
      ...(settings.demo.enabled ? [planDemo(settings.demo)] : []),
      ...planCanary(settings, input.ruleFiles),
    ],
    releases: [sidekick.release, falco],
    outputs: planStackOutputs(settings, rules, input.outputs),
  };
}
