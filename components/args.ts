import type * as pulumi from "@pulumi/pulumi";
import type { FalcoPlatformArgs, SidekickPlatformArgs, UiPlatformArgs } from "./platform-args.ts";

/*
 * The component's arguments: the same names and nesting as the stack file's `falco-stack:*` keys
 * (README, configuration reference). Defaults live in one place, `src/stack/settings.ts`; the
 * `@default` tags below repeat them for the reader. Settings that decide which resources exist
 * (`enabled` flags, replica counts, the driver) are plain values; the rest accept Outputs.
 */

/**
 * Kernel instrumentation the falco chart 9.x renders (an `as const` object: other languages get a
 * schema enum). `ebpf` and `gvisor` were removed in chart 9.0.0.
 */
export const FalcoDriver = {
  ModernEbpf: "modern_ebpf",
  Auto: "auto",
  Kmod: "kmod",
} as const;
export type FalcoDriver = (typeof FalcoDriver)[keyof typeof FalcoDriver];

/** Falco's `rule_matching` modes (an `as const` object: other languages get a schema enum). */
export const RuleMatching = {
  First: "first",
  All: "all",
} as const;
export type RuleMatching = (typeof RuleMatching)[keyof typeof RuleMatching];

/** CPU and memory, as Kubernetes quantities. */
export interface ResourceListArgs {
  /** E.g. `500m` or `1`. */
  readonly cpu?: pulumi.Input<string>;
  /** E.g. `512Mi`. */
  readonly memory?: pulumi.Input<string>;
}

export interface ResourcesArgs {
  readonly requests?: ResourceListArgs;
  readonly limits?: ResourceListArgs;
}

export interface TolerationArgs {
  readonly key?: pulumi.Input<string>;
  /** `Exists` or `Equal`. */
  readonly operator?: pulumi.Input<string>;
  readonly value?: pulumi.Input<string>;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  readonly effect?: pulumi.Input<string>;
  readonly tolerationSeconds?: pulumi.Input<number>;
}

export interface FalcoArgs extends FalcoPlatformArgs {
  /**
   * falco chart version.
   * @default "9.1.0"
   */
  readonly chartVersion?: pulumi.Input<string>;
  /**
   * Kernel instrumentation: `modern_ebpf` (nothing to download or compile on the node), `auto` or `kmod`.
   * @default "modern_ebpf"
   */
  readonly driver?: FalcoDriver;
  /**
   * Unbuffered logs, so events show up at once.
   * @default true
   */
  readonly tty?: boolean;
  /**
   * Falco's `rule_matching`: `first` raises only the first rule, in load order, that matches an
   * event; `all` raises every match. `rules test --stack` evaluates the same way.
   * @default "first"
   */
  readonly ruleMatching?: RuleMatching;
  /**
   * Falco container resources.
   * @default { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1000m", memory: "1024Mi" } }
   */
  readonly resources?: ResourcesArgs;
  /**
   * Tolerations of the Falco DaemonSet.
   * @default the control-plane taints (node-role.kubernetes.io/master and /control-plane, NoSchedule)
   */
  readonly tolerations?: TolerationArgs[];
  /**
   * No falcoctl: Falco runs the rules and container plugin bundled in its image (falco-rules only).
   * @default false
   */
  readonly airGapped?: boolean;
  /**
   * Raw falco chart values, merged last; keys the stack owns are refused. Leaves may be Outputs.
   * @default {}
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form chart values: the component analyzer maps only `any` to a schema's Any
  readonly values?: { readonly [key: string]: any };
}

export interface SidekickSettingsArgs extends SidekickPlatformArgs {
  /**
   * falcosidekick chart version.
   * @default "0.14.0"
   */
  readonly chartVersion?: pulumi.Input<string>;
  /**
   * falcosidekick replicas (1 to 20).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * NetworkPolicies for falcosidekick, the UI and Redis; turn off where no policy engine runs.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /**
   * Raw falcosidekick chart values, merged last; keys the stack owns and credentials are refused.
   * Leaves may be Outputs.
   * @default {}
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form chart values: the component analyzer maps only `any` to a schema's Any
  readonly values?: { readonly [key: string]: any };
}

/** One requirement of a label selector. */
export interface LabelSelectorRequirementArgs {
  readonly key: pulumi.Input<string>;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: pulumi.Input<string>;
  readonly values?: pulumi.Input<string>[];
}

/** A Kubernetes label selector. */
export interface LabelSelectorArgs {
  readonly matchLabels?: { readonly [key: string]: pulumi.Input<string> };
  readonly matchExpressions?: LabelSelectorRequirementArgs[];
}

/** An IP range, with exceptions. */
export interface IpBlockArgs {
  /** E.g. `10.0.0.0/8`. */
  readonly cidr: pulumi.Input<string>;
  readonly except?: pulumi.Input<string>[];
}

/** A NetworkPolicyPeer: selectors, or an IP block. */
export interface NetworkPolicyPeerArgs {
  readonly podSelector?: LabelSelectorArgs;
  readonly namespaceSelector?: LabelSelectorArgs;
  readonly ipBlock?: IpBlockArgs;
}

export interface UiArgs extends UiPlatformArgs {
  /**
   * The falcosidekick web UI with its Redis.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * UI replicas (1 to 10).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Keep Redis data on a PersistentVolumeClaim.
   * @default true
   */
  readonly storageEnabled?: boolean;
  /**
   * StorageClass of the Redis volume; `""` means the cluster default. Required while the volume is on:
   * without a default StorageClass in the cluster the volume would stay Pending.
   * @default none (required when enabled and storageEnabled)
   */
  readonly storageClass?: pulumi.Input<string>;
  /**
   * Size of the Redis volume.
   * @default "1Gi"
   */
  readonly storageSize?: pulumi.Input<string>;
  /**
   * How long the UI keeps events (s, m, h, d, w, M, y; `0` keeps them forever).
   * @default "7d"
   */
  readonly ttl?: pulumi.Input<string>;
  /**
   * Extra NetworkPolicy peers allowed to reach the UI port, e.g. an ingress controller's namespace.
   * @default [] (port-forward needs no rule)
   */
  readonly allowedFrom?: NetworkPolicyPeerArgs[];
}

export interface RulesArgs {
  /**
   * Rule files or folders (their `.yaml`/`.yml` files), relative to `root`.
   * @default ["rules"]
   */
  readonly files?: string[];
  /**
   * Upstream rulesets falcoctl installs, loaded before ours: `falco-rules`, `falco-incubating-rules`,
   * `falco-sandbox-rules`.
   * @default ["falco-rules"]
   */
  readonly rulesets?: string[];
  /**
   * Where relative `files` are found.
   * @default the working directory of the Pulumi program (its project folder)
   */
  readonly root?: string;
}

export interface DemoArgs {
  /**
   * Deploy the demo nginx pod the demo command triggers detections in.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * Namespace of the demo pod (Pod Security `baseline`); must differ from the Falco namespace.
   * @default "demo"
   */
  readonly namespace?: string;
  /**
   * Name of the demo pod.
   * @default "www"
   */
  readonly name?: string;
  /**
   * Image of the demo pod.
   * @default "nginx:1.24"
   */
  readonly image?: pulumi.Input<string>;
}

export interface CanaryAlertArgs {
  /**
   * PrometheusRule alerts for a node whose canary went silent and a node without a ready Falco pod.
   * Needs the stack's observability alerts; refused without them.
   * @default on whenever the stack's observability alerts are on
   */
  readonly enabled?: boolean;
  /**
   * How long a node may go without a canary match before it alerts (`30s`, `30m`, `1h`); at least
   * three canary schedules.
   * @default "30m"
   */
  readonly window?: string;
  /**
   * Evaluation interval of the alerting rule group.
   * @default "1m"
   */
  readonly interval?: string;
  /**
   * `severity` label of the alerts: `critical`, `warning` or `info`.
   * @default "warning"
   */
  readonly severity?: string;
}

export interface CanaryArgs {
  /**
   * The detection canary: a DaemonSet in namespace `falco-stack-canary` (Pod Security `restricted`)
   * that writes one file on every node Falco watches, raising the rule "Falco stack canary" (priority
   * Debug). Needs rules/falco-stack-canary.yaml among `rules.files`.
   * @default false
   */
  readonly enabled?: boolean;
  /**
   * How often each node's canary writes its beacon, 30s to 1h (`5m` is 12 events per node per hour).
   * @default "5m"
   */
  readonly schedule?: string;
  /**
   * Image of the canary: a POSIX shell with `sleep`, run as user 65534. Pin it by digest in production.
   * @default "docker.io/library/busybox:1.37.0"
   */
  readonly image?: pulumi.Input<string>;
  /** Alerts when a node goes silent. */
  readonly alert?: CanaryAlertArgs;
}
