import { z } from "zod";
import { quantityValue } from "./kubernetes-rules.ts";
import { isLateToken } from "./late.ts";

/**
 * The settings a platform team checks before it runs the stack in production: metrics, Kubernetes
 * metadata, cluster identity, bounded memory, priority and disruption budgets, reaching the UI.
 * `settings.ts` spreads these shapes into its schemas, so names, nesting and defaults stay in the
 * one settings schema; the rules between them are `checkPlatformCombinations`.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CPU = /^\d+(\.\d+)?m?$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** An OCI repository path without tag: `registry.example.com/falcosecurity`. */
const OCI_PREFIX = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*$/;

const bool = () => z.boolean({ error: "must be true or false" });

const label = (what: string) =>
  z
    .string({ error: `must be a string: ${what}` })
    .max(63, { error: `must be at most 63 characters: ${what}` })
    .regex(DNS_LABEL, { error: `must be a DNS label (lower-case letters, digits and '-'): ${what}` });

const quantity = (pattern: RegExp, example: string) =>
  z.string({ error: `must be a Kubernetes quantity such as ${example}` }).superRefine((value, ctx) => {
    if (!isLateToken(value) && !pattern.test(value)) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a Kubernetes quantity such as ${example}` });
    }
  });

const resourceList = z.strictObject({
  cpu: quantity(CPU, "500m or 1").optional(),
  memory: quantity(MEMORY, "512Mi").optional(),
});
export const resourcesSchema = z.strictObject({
  requests: resourceList.optional(),
  limits: resourceList.optional(),
});
export type Resources = z.output<typeof resourcesSchema>;

/** The name every event carries (`cluster:<name>`); a DNS label, so it is safe in NATS subjects and Loki labels. */
export const clusterNameSchema = label("the cluster name").optional();

export const observabilitySchema = z.strictObject({
  /**
   * Falco's Prometheus endpoint (port 8765 `/metrics`, Falco's webserver) with the kernel drop and
   * rule-match counters; falcosidekick always serves `/metrics` on 2801. Default false.
   */
  metrics: bool().default(false),
  /** ServiceMonitors for Falco and falcosidekick. Needs the Prometheus Operator CRDs. Default false. */
  serviceMonitor: bool().default(false),
  /** Labels on both ServiceMonitors, so the Prometheus' serviceMonitorSelector picks them up. Default {}. */
  serviceMonitorLabels: z.record(z.string(), z.string()).default({}),
  /** Grafana dashboards as ConfigMaps (Falco's and falcosidekick's), for Grafana's sidecar. Default false. */
  dashboards: bool().default(false),
  /**
   * falcosidekick's PrometheusRules: event rates per priority, output errors, an absent sidekick.
   * The chart renders them only with its ServiceMonitor. Default false.
   */
  alerts: bool().default(false),
  /** Namespace of the Prometheus that scrapes the metrics ports; the NetworkPolicies admit it. Default "monitoring". */
  scraperNamespace: label("the scraper's namespace").default("monitoring"),
});
export type ObservabilitySettings = z.output<typeof observabilitySchema>;

/** Keys added to `falco`. */
export const falcoPlatformShape = {
  /**
   * Kubernetes metadata from the API server: the chart's k8s-metacollector and the k8smeta plugin
   * (gRPC 45000), so `k8smeta.*` fields are filled and rules may use them. Default false.
   */
  kubernetesMetadata: bool().default(false),
  /**
   * OCI repository that mirrors ghcr.io/falcosecurity (`registry.example.com/falcosecurity`): falcoctl
   * installs rulesets and plugins from there, `<mirror>/rules/falco-rules:5.1.0`,
   * `<mirror>/plugins/plugin/k8smeta:0.4.1`. Needed for kubernetesMetadata with airGapped. Default none.
   */
  artifactMirror: z
    .string({ error: "must be an OCI repository such as registry.example.com/falcosecurity" })
    .regex(OCI_PREFIX, {
      error: "must be an OCI repository without tag, such as registry.example.com/falcosecurity",
    })
    .optional(),
  /**
   * PriorityClass of the Falco pods, so they are the last to be evicted; "" for none. Default
   * system-node-critical (built in, allowed in any namespace since Kubernetes 1.17).
   */
  priorityClassName: z
    .string({ error: "must be a PriorityClass name" })
    .regex(/^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: "must be a PriorityClass name, or empty" })
    .default("system-node-critical"),
  /**
   * Alerts Falco queues for its outputs (`falco.outputs_queue.capacity`). The chart's 0 is unbounded:
   * a slow output then grows Falco until it is OOM-killed; bounded, Falco drops and counts. Default 10000.
   */
  outputsQueueCapacity: z
    .number({ error: "must be a whole number" })
    .int()
    .min(1, { error: "must be at least 1: 0 is unbounded and lets a slow output OOM-kill Falco" })
    .default(10000),
};

/** Keys added to `sidekick`. */
export const sidekickPlatformShape = {
  /** A PodDisruptionBudget (maxUnavailable 1), so a node drain never takes every replica at once. Default true. */
  disruptionBudget: bool().default(true),
  /**
   * Spread replicas across nodes and zones. The chart has no topologySpreadConstraints key, so
   * this is a preferred pod anti-affinity (its `affinity`). Default true.
   */
  spreadAcrossNodes: bool().default(true),
  /** falcosidekick container resources. Default: the chart's (none). */
  resources: resourcesSchema.optional(),
};

const ingressSchema = z.strictObject({
  /** Host name the UI is served on. */
  host: z.string({ error: "must be a host name" }).regex(DNS_NAME, { error: "must be a host name" }),
  /** IngressClass. Default: the cluster's default class. */
  className: z.string().optional(),
  /** TLS Secret for the host (cert-manager can create it). Default: no TLS. */
  tlsSecretName: z.string().optional(),
  /** Annotations, e.g. the authenticating proxy (oauth2-proxy) of the controller. Default {}. */
  annotations: z.record(z.string(), z.string()).default({}),
  /** Namespace of the ingress controller's pods: the only one the UI NetworkPolicy admits from outside. */
  controllerNamespace: label("the ingress controller's namespace"),
});

const parentRefSchema = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  sectionName: z.string().optional(),
});

const httprouteSchema = z.strictObject({
  /** Host names of the route. */
  hostnames: z
    .array(z.string().regex(DNS_NAME, { error: "must be a host name" }))
    .min(1, { error: "name at least one host" }),
  /** The Gateways (TLS is theirs) the route attaches to. */
  parentRefs: z.array(parentRefSchema).min(1, { error: "name at least one Gateway" }),
  /** Namespace of the gateway's data-plane pods: the only one the UI NetworkPolicy admits from outside. */
  controllerNamespace: label("the gateway's namespace"),
});

const REDIS_MEMORY = /^(auto|off|\d+(Ki|Mi|Gi))$/;

/** Keys added to `ui`. */
export const uiPlatformShape = {
  /** UI container resources. Default requests 50m/64Mi, limits 500m/256Mi. */
  resources: resourcesSchema.default({
    requests: { cpu: "50m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  }),
  /**
   * Redis `maxmemory`: "auto" is a quarter of ui.storageSize (its snapshots and AOF rewrites fit
   * in the volume), 256Mi without a volume; a quantity (`512Mi`); or "off", unbounded as the chart
   * ships it. Redis resources follow from it. Default "auto".
   */
  redisMaxMemory: z
    .string({ error: 'must be "auto", "off" or a quantity such as 512Mi' })
    .regex(REDIS_MEMORY, { error: 'must be "auto", "off" or a quantity in Ki, Mi or Gi such as 512Mi' })
    .default("auto"),
  /** Redis container resources. Default: derived from redisMaxMemory (none when it is "off"). */
  redisResources: resourcesSchema.optional(),
  /** Serve the UI through an Ingress. Default none (port-forward). */
  ingress: ingressSchema.optional(),
  /** Serve the UI through a Gateway API HTTPRoute. Default none (port-forward). */
  httproute: httprouteSchema.optional(),
};

const MI = 1024 * 1024;

/** Bytes as a whole number of mebibytes, rounded up: how Redis sizes are written. */
export function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / MI)}Mi`;
}

const REDIS_WITHOUT_VOLUME = 256 * MI;
const REDIS_FLOOR = 64 * MI;

/**
 * Redis `maxmemory` in bytes, from `ui.redisMaxMemory`: undefined when "off" (or a value only known
 * at deploy time). "auto" with a volume size known only at deploy time gets the no-volume bound.
 */
export function redisMaxMemoryBytes(ui: {
  redisMaxMemory: string;
  storageEnabled: boolean;
  storageSize: string;
}): number | undefined {
  if (ui.redisMaxMemory === "off") return undefined;
  if (ui.redisMaxMemory !== "auto") {
    const bytes = quantityValue(ui.redisMaxMemory);
    return bytes === undefined ? undefined : Math.floor(bytes);
  }
  if (!ui.storageEnabled) return REDIS_WITHOUT_VOLUME;
  const volume = quantityValue(ui.storageSize);
  // A quarter: the RDB snapshot and an AOF rewrite (up to twice the data) still fit in the volume.
  return volume === undefined
    ? REDIS_WITHOUT_VOLUME
    : Math.max(REDIS_FLOOR, Math.floor(volume / 4 / MI) * MI);
}

/** The parts of the settings the platform rules read. */
export interface PlatformSettingsView {
  observability: ObservabilitySettings;
  falco: { airGapped: boolean; kubernetesMetadata: boolean; artifactMirror?: string };
  ui: {
    enabled: boolean;
    ingress?: object;
    httproute?: object;
    redisMaxMemory: string;
    storageEnabled: boolean;
    storageSize: string;
    redisResources?: Resources;
  };
}

/** Rules between the platform settings, by property path. */
export function checkPlatformCombinations(
  settings: PlatformSettingsView,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const { observability, falco, ui } = settings;
  if (observability.serviceMonitor && !observability.metrics) {
    issues.push({
      path: ["observability", "serviceMonitor"],
      message: "needs observability.metrics: without it Falco serves no /metrics to scrape",
    });
  }
  if (observability.dashboards && !observability.metrics) {
    issues.push({
      path: ["observability", "dashboards"],
      message: "needs observability.metrics: the dashboards would stay empty",
    });
  }
  if (observability.alerts && !observability.serviceMonitor) {
    issues.push({
      path: ["observability", "alerts"],
      message:
        "needs observability.serviceMonitor: the falcosidekick chart renders its PrometheusRules only with its ServiceMonitor",
    });
  }
  if (falco.kubernetesMetadata && falco.airGapped && falco.artifactMirror === undefined) {
    issues.push({
      path: ["falco", "kubernetesMetadata"],
      message:
        "needs falco.artifactMirror with falco.airGapped: the k8smeta plugin is not in the Falco image, falcoctl must fetch it from a mirror of ghcr.io/falcosecurity",
    });
  }
  if (ui.ingress !== undefined && ui.httproute !== undefined) {
    issues.push({ path: ["ui", "httproute"], message: "choose ui.ingress or ui.httproute, not both" });
  }
  if (!ui.enabled) {
    for (const key of ["ingress", "httproute"] as const) {
      if (ui[key] !== undefined) issues.push({ path: ["ui", key], message: "needs ui.enabled" });
    }
  }
  const redisIssue = ui.enabled ? redisMemoryIssue(ui) : undefined;
  if (redisIssue) issues.push(redisIssue);
  return issues;
}

/** A Redis memory limit below `maxmemory`: the container is killed before Redis evicts anything. */
function redisMemoryIssue(ui: PlatformSettingsView["ui"]): { path: string[]; message: string } | undefined {
  const limit = ui.redisResources?.limits?.memory;
  const maxmemory = redisMaxMemoryBytes(ui);
  if (limit === undefined || isLateToken(limit) || maxmemory === undefined) return undefined;
  const limitBytes = quantityValue(limit);
  if (limitBytes === undefined || limitBytes >= maxmemory) return undefined;
  const from = ui.redisMaxMemory === "auto" ? ` (ui.redisMaxMemory "auto": a quarter of ui.storageSize)` : "";
  return {
    path: ["ui", "redisResources", "limits", "memory"],
    message: `${limit} is below Redis's maxmemory ${mebibytes(maxmemory)}${from}: the container would be OOM-killed before Redis evicts old events; allow about 1.5 times maxmemory (${mebibytes(maxmemory * 1.5)}) for background saves, or lower ui.redisMaxMemory`,
  };
}

/** The CRDs each opt-in needs; `pulumi up` without them fails inside the chart. */
export function platformWarnings(settings: {
  observability: ObservabilitySettings;
  ui: { httproute?: object };
}): string[] {
  const warnings: string[] = [];
  const { observability } = settings;
  if (observability.serviceMonitor) {
    const crds = observability.alerts
      ? "servicemonitors.monitoring.coreos.com and prometheusrules.monitoring.coreos.com"
      : "servicemonitors.monitoring.coreos.com";
    const sidekick = observability.alerts
      ? "; falcosidekick's chart skips its ServiceMonitor without them (nothing scrapes it) and its PrometheusRule fails the same way"
      : "; falcosidekick's chart skips its ServiceMonitor without them (nothing scrapes it)";
    warnings.push(
      `observability: install the Prometheus Operator CRDs (${crds}, e.g. with kube-prometheus-stack) before pulumi up: without them the falco release fails with "no matches for kind ServiceMonitor in version monitoring.coreos.com/v1"${sidekick}`,
    );
  }
  if (settings.ui.httproute !== undefined) {
    warnings.push(
      'ui.httproute: install the Gateway API CRDs (httproutes.gateway.networking.k8s.io) first, or the falcosidekick release fails with "no matches for kind HTTPRoute in version gateway.networking.k8s.io/v1"',
    );
  }
  return warnings;
}
