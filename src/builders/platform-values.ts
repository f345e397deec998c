/**
 * The production layer of both charts' values: metrics, ServiceMonitors, dashboards and alerts;
 * Kubernetes metadata; the cluster's name on every event; priority, spread and bounded memory;
 * the UI's Ingress or HTTPRoute. Every key exists in the pinned charts' values.yaml (tests check it).
 */
import type { FalcoSettings, SidekickSettings, UiSettings } from "../stack/settings.ts";
import {
  mebibytes,
  redisMaxMemoryBytes,
  type ObservabilitySettings,
  type Resources,
} from "../stack/settings-platform.ts";
import type { PlainObject } from "./merge.ts";
import { SIDEKICK_FULLNAME } from "./names.ts";

/** Where falcoctl finds artifacts without a mirror: the chart's own references. */
export const UPSTREAM_ARTIFACTS = "ghcr.io/falcosecurity";
/** Plugin versions of falco chart 9.1.0 (`collectors.*.pluginRef`). */
export const CONTAINER_PLUGIN_VERSION = "0.7.1";
export const K8SMETA_PLUGIN_VERSION = "0.4.1";
/** The k8s-metacollector's gRPC port the k8smeta plugin connects to (its Service port `broker-grpc`). */
export const METACOLLECTOR_GRPC_PORT = 45000;
/** The k8s-metacollector's metrics port (its Service port `metrics`). */
export const METACOLLECTOR_METRICS_PORT = 8080;
/** Falco's webserver: `/healthz` and, with metrics on, `/metrics`. */
export const FALCO_METRICS_PORT = 8765;

/** A falcoctl reference: the short name falcoctl resolves through its index, or a full one on a mirror. */
export function rulesetRef(name: string, version: string, mirror?: string): string {
  return mirror === undefined ? `${name}:${version}` : `${mirror}/rules/${name}:${version}`;
}

export function pluginRef(name: "container" | "k8smeta", version: string, mirror?: string): string {
  return `${mirror ?? UPSTREAM_ARTIFACTS}/plugins/plugin/${name}:${version}`;
}

/** The text every event carries in sidekick's custom fields and Falco's output line. */
export function clusterField(clusterName: string): { key: "cluster"; value: string } {
  return { key: "cluster", value: clusterName };
}

export interface FalcoPlatformInput {
  falco: FalcoSettings;
  observability?: ObservabilitySettings;
  clusterName?: string;
}

export function platformFalcoValues(input: FalcoPlatformInput): PlainObject {
  const { falco, observability, clusterName } = input;
  const values: PlainObject = {};
  const falcoConfig: PlainObject = { outputs_queue: { capacity: falco.outputsQueueCapacity } };
  if (clusterName !== undefined) {
    // The chart's own entry is kept: Helm replaces lists.
    falcoConfig.append_output = [
      { suggested_output: true },
      { extra_output: `cluster=${clusterName}`, extra_fields: [{ cluster: clusterName }] },
    ];
  }
  values.falco = falcoConfig;
  if (falco.priorityClassName !== "") values.podPriorityClassName = falco.priorityClassName;
  const collectors: PlainObject = {};
  if (falco.artifactMirror !== undefined) {
    collectors.containerEngine = {
      pluginRef: pluginRef("container", CONTAINER_PLUGIN_VERSION, falco.artifactMirror),
    };
    // Only the mirror: short names would send falcoctl to the public index.
    values.falcoctl = { config: { indexes: [] } };
  }
  if (falco.kubernetesMetadata) {
    collectors.kubernetes = {
      enabled: true,
      pluginRef: pluginRef("k8smeta", K8SMETA_PLUGIN_VERSION, falco.artifactMirror),
    };
  }
  if (Object.keys(collectors).length > 0) values.collectors = collectors;
  if (observability?.metrics) {
    values.metrics = { enabled: true, kernelEventCountersEnabled: true, rulesCountersEnabled: true };
  }
  if (observability?.serviceMonitor) {
    values.serviceMonitor = { create: true, labels: { ...observability.serviceMonitorLabels } };
  }
  if (observability?.dashboards) values.grafana = { dashboards: { enabled: true } };
  return values;
}

/** The UI's Redis: how much memory it may hold, what it evicts, and the resources that follow. */
export interface RedisBudget {
  maxmemoryBytes: number;
  /** volatile-ttl drops the events closest to expiry (the oldest); with ttl 0 no key expires, so allkeys-lru. */
  policy: "volatile-ttl" | "allkeys-lru";
  resources: Resources;
}

/** undefined when `ui.redisMaxMemory` is "off". A volume size given as an Output gets the no-volume bound. */
export function redisBudget(ui: UiSettings): RedisBudget | undefined {
  const maxmemoryBytes = redisMaxMemoryBytes(ui);
  if (maxmemoryBytes === undefined) return undefined;
  return {
    maxmemoryBytes,
    policy: ui.ttl === "0" ? "allkeys-lru" : "volatile-ttl",
    // The limit leaves room for the copy-on-write of a background save and the search index.
    resources: ui.redisResources ?? {
      requests: { cpu: "50m", memory: mebibytes(maxmemoryBytes) },
      limits: { cpu: "500m", memory: mebibytes(maxmemoryBytes * 1.5) },
    },
  };
}

export interface SidekickPlatformInput {
  sidekick: SidekickSettings;
  ui: UiSettings;
  observability?: ObservabilitySettings;
  clusterName?: string;
  /** The outputs' chart config: a NATS output gets the cluster in its subject. */
  outputsConfig: PlainObject;
}

/** Preferred, so a small cluster still schedules every replica. */
function spreadAffinity(component: "core"): PlainObject {
  const selector = {
    matchLabels: {
      "app.kubernetes.io/name": "falcosidekick",
      "app.kubernetes.io/instance": SIDEKICK_FULLNAME,
      "app.kubernetes.io/component": component,
    },
  };
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: selector, topologyKey: "kubernetes.io/hostname" } },
        {
          weight: 50,
          podAffinityTerm: { labelSelector: selector, topologyKey: "topology.kubernetes.io/zone" },
        },
      ],
    },
  };
}

/** The subject a cluster's NATS output publishes on, when the user did not choose one. */
export function clusterSubjectTemplate(clusterName: string): string {
  return `falco.${clusterName}.<priority>.<rule>`;
}

export function platformSidekickValues(input: SidekickPlatformInput): PlainObject {
  const { sidekick, ui, observability, clusterName } = input;
  const values: PlainObject = {};
  if (sidekick.spreadAcrossNodes) values.affinity = spreadAffinity("core");
  if (sidekick.resources !== undefined) values.resources = sidekick.resources;
  if (clusterName !== undefined) {
    const { key, value } = clusterField(clusterName);
    // Custom fields reach every output; Loki turns them into labels.
    const config: PlainObject = { customfields: `${key}:${value}` };
    const nats = input.outputsConfig.nats;
    if (nats !== null && typeof nats === "object" && !("subjecttemplate" in nats)) {
      config.nats = { subjecttemplate: clusterSubjectTemplate(clusterName) };
    }
    values.config = config;
  }
  if (observability?.serviceMonitor) {
    values.serviceMonitor = { enabled: true, additionalLabels: { ...observability.serviceMonitorLabels } };
  }
  if (observability?.alerts) values.prometheusRules = { enabled: true };
  if (observability?.dashboards) values.grafana = { dashboards: { enabled: true } };
  if (ui.enabled) values.webui = uiValues(ui);
  return values;
}

function uiValues(ui: UiSettings): PlainObject {
  const webui: PlainObject = { resources: ui.resources };
  const budget = redisBudget(ui);
  if (budget) {
    webui.redis = {
      customConfig: [`maxmemory ${budget.maxmemoryBytes}`, `maxmemory-policy ${budget.policy}`],
      resources: budget.resources,
    };
  } else if (ui.redisResources) {
    webui.redis = { resources: ui.redisResources };
  }
  if (ui.ingress) {
    const { host, className, tlsSecretName, annotations } = ui.ingress;
    webui.ingress = {
      enabled: true,
      ...(className !== undefined ? { ingressClassName: className } : {}),
      annotations: { ...annotations },
      hosts: [{ host, paths: [{ path: "/", pathType: "Prefix" }] }],
      tls: tlsSecretName !== undefined ? [{ secretName: tlsSecretName, hosts: [host] }] : [],
    };
  }
  if (ui.httproute) {
    webui.httproute = {
      enabled: true,
      parentRefs: ui.httproute.parentRefs,
      hostnames: ui.httproute.hostnames,
    };
  }
  return webui;
}
