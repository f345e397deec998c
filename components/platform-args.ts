import type { ResourcesArgs } from "./args.ts";

/*
 * The production arguments of FalcoSecurityStack (settings in `src/stack/settings-platform.ts`,
 * where the defaults live). Plain values: they decide which objects and chart features exist.
 */

export interface ObservabilityArgs {
  /**
   * Falco's Prometheus endpoint (port 8765 `/metrics`) with the kernel drop and rule-match counters;
   * falcosidekick always serves `/metrics` on 2801.
   * @default false
   */
  readonly metrics?: boolean;
  /**
   * ServiceMonitors for Falco and falcosidekick. Needs the Prometheus Operator CRDs
   * (servicemonitors.monitoring.coreos.com) before `pulumi up`; needs `metrics`.
   * @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * Labels on both ServiceMonitors, so the Prometheus' serviceMonitorSelector picks them up
   * (kube-prometheus-stack: `{ release: <its release name> }`).
   * @default {}
   */
  readonly serviceMonitorLabels?: { readonly [key: string]: string };
  /**
   * Grafana dashboards (Falco's and falcosidekick's) as ConfigMaps for Grafana's sidecar; needs `metrics`.
   * @default false
   */
  readonly dashboards?: boolean;
  /**
   * falcosidekick's PrometheusRules: event rates per priority, output errors, an absent sidekick.
   * Needs `serviceMonitor` (the chart renders them only with it) and the prometheusrules CRD.
   * @default false
   */
  readonly alerts?: boolean;
  /**
   * Namespace of the Prometheus that scrapes the metrics ports; the NetworkPolicies admit it and no other.
   * @default "monitoring"
   */
  readonly scraperNamespace?: string;
}

export interface UiIngressArgs {
  /** Host name the UI is served on. */
  readonly host: string;
  /**
   * IngressClass.
   * @default the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * TLS Secret for `host`.
   * @default no TLS
   */
  readonly tlsSecretName?: string;
  /**
   * Ingress annotations, e.g. the controller's external authentication (oauth2-proxy).
   * @default {}
   */
  readonly annotations?: { readonly [key: string]: string };
  /** Namespace of the ingress controller's pods: the only namespace the UI NetworkPolicy admits besides its own. */
  readonly controllerNamespace: string;
}

export interface GatewayParentRefArgs {
  readonly name: string;
  readonly namespace?: string;
  readonly sectionName?: string;
}

export interface UiHttpRouteArgs {
  /** Host names of the route. */
  readonly hostnames: string[];
  /** The Gateways the route attaches to (they terminate TLS). */
  readonly parentRefs: GatewayParentRefArgs[];
  /** Namespace of the gateway's data-plane pods: the only namespace the UI NetworkPolicy admits besides its own. */
  readonly controllerNamespace: string;
}

/** Keys of FalcoArgs for production. */
export interface FalcoPlatformArgs {
  /**
   * Kubernetes metadata from the API server: the chart's k8s-metacollector and the k8smeta plugin
   * (gRPC 45000), so `k8s.*` fields are filled and rules may use `k8smeta.*`. With `airGapped` it
   * needs `artifactMirror`: the plugin is not in the Falco image.
   * @default false
   */
  readonly kubernetesMetadata?: boolean;
  /**
   * OCI repository mirroring ghcr.io/falcosecurity (`registry.example.com/falcosecurity`): falcoctl
   * installs rulesets and plugins from there.
   * @default none (ghcr.io through the falcosecurity index)
   */
  readonly artifactMirror?: string;
  /**
   * PriorityClass of the Falco pods; `""` for none.
   * @default "system-node-critical"
   */
  readonly priorityClassName?: string;
  /**
   * Alerts Falco queues for its outputs (`falco.outputs_queue.capacity`); the chart's unbounded queue
   * lets a slow output OOM-kill Falco.
   * @default 10000
   */
  readonly outputsQueueCapacity?: number;
}

/** Keys of SidekickSettingsArgs for production. */
export interface SidekickPlatformArgs {
  /**
   * A PodDisruptionBudget (maxUnavailable 1) for falcosidekick.
   * @default true
   */
  readonly disruptionBudget?: boolean;
  /**
   * Spread falcosidekick replicas across nodes and zones (preferred pod anti-affinity; the chart has no
   * topologySpreadConstraints key).
   * @default true
   */
  readonly spreadAcrossNodes?: boolean;
  /**
   * falcosidekick container resources.
   * @default the chart's (none)
   */
  readonly resources?: ResourcesArgs;
}

/** Keys of UiArgs for production. */
export interface UiPlatformArgs {
  /**
   * UI container resources.
   * @default { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } }
   */
  readonly resources?: ResourcesArgs;
  /**
   * Redis `maxmemory`: `"auto"` (a quarter of `storageSize`, 256Mi without a volume), a quantity
   * such as `"512Mi"`, or `"off"` (unbounded, as the chart ships it). Eviction: volatile-ttl, or
   * allkeys-lru when `ttl` is `0`.
   * @default "auto"
   */
  readonly redisMaxMemory?: string;
  /**
   * Redis container resources. A memory limit below maxmemory is refused: Redis would be killed
   * before it evicts.
   * @default requests maxmemory, limits 1.5 × maxmemory (none when redisMaxMemory is "off")
   */
  readonly redisResources?: ResourcesArgs;
  /**
   * Serve the UI through an Ingress. The UI's API accepts unauthenticated POSTs: put an authenticating
   * proxy in front.
   * @default none (kubectl port-forward)
   */
  readonly ingress?: UiIngressArgs;
  /**
   * Serve the UI through a Gateway API HTTPRoute (needs the Gateway API CRDs). Same warning as `ingress`.
   * @default none (kubectl port-forward)
   */
  readonly httproute?: UiHttpRouteArgs;
}
