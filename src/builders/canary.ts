import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { CanarySettings, FalcoSettings } from "../stack/settings.ts";
import { durationSeconds } from "../stack/settings.ts";
import { buildNamespace, type Namespace } from "./manifests.ts";
import { CANARY_NAME, CANARY_NAMESPACE, FALCO_RELEASE, MANAGED_BY_LABELS } from "./names.ts";

/**
 * The detection canary (README, "Detection canary"): a DaemonSet that writes one file on every node
 * Falco watches, the rule in rules/falco-stack-canary.yaml that raises exactly that write, and the
 * PrometheusRule that alerts when a node's match counter stops growing. Pure builders.
 */

/** The rule in rules/falco-stack-canary.yaml; the alert selects its counter by this name. */
export const CANARY_RULE = "Falco stack canary";
export const CANARY_CONTAINER = CANARY_NAME;
export const CANARY_APP_LABEL = CANARY_NAME;
/** The emptyDir the beacon lives in: the root filesystem is read-only. */
export const CANARY_BEACON_DIR = "/canary";
/** The file whose write the canary rule raises; the rule names it exactly. */
export const CANARY_BEACON_FILE = `${CANARY_BEACON_DIR}/falco-stack-canary`;
/** busybox's `nobody`: the canary needs no privilege at all. */
const CANARY_UID = 65534;

export function canaryPodSelector(): string {
  return `app.kubernetes.io/name=${CANARY_APP_LABEL}`;
}

/** What `demo --nodes` runs in a canary pod to write the beacon now: the shell itself opens the file. */
export function canaryTriggerCommand(): string[] {
  return ["sh", "-c", `: > ${CANARY_BEACON_FILE}`];
}

/** Pod Security `restricted`: nothing in the canary may run privileged. */
export function buildCanaryNamespace(): Namespace {
  return buildNamespace(CANARY_NAMESPACE, "restricted");
}

/**
 * The loop the canary container runs: the beacon write is a shell builtin (no process starts for
 * it), then a sleep in the background so SIGTERM ends the pod at once.
 */
export function canaryScript(schedule: string): string {
  const seconds = durationSeconds(schedule);
  return [
    "trap 'exit 0' TERM",
    "while true; do",
    `  : > ${CANARY_BEACON_FILE}`,
    `  sleep ${seconds} &`,
    "  wait $!",
    "done",
  ].join("\n");
}

export interface CanaryDaemonSetInput {
  canary: CanarySettings;
  /** Falco's tolerations: the canary lands on every node Falco watches, and only there. */
  tolerations: FalcoSettings["tolerations"];
}

export type DaemonSet = IDaemonSet;

/** One canary pod per node, Pod Security `restricted`, a few millicores and megabytes. */
export function buildCanaryDaemonSet(input: CanaryDaemonSetInput): DaemonSet {
  const labels = { ...MANAGED_BY_LABELS, "app.kubernetes.io/name": CANARY_APP_LABEL };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: CANARY_NAME, namespace: CANARY_NAMESPACE, labels },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": CANARY_APP_LABEL } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: CANARY_UID,
            runAsGroup: CANARY_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          tolerations: input.tolerations.map((toleration) => ({ ...toleration })),
          containers: [
            {
              name: CANARY_CONTAINER,
              image: input.canary.image,
              command: ["sh", "-c", canaryScript(input.canary.schedule)],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              resources: {
                requests: { cpu: "1m", memory: "4Mi" },
                limits: { cpu: "10m", memory: "16Mi" },
              },
              volumeMounts: [{ name: "beacon", mountPath: CANARY_BEACON_DIR }],
            },
          ],
          volumes: [{ name: "beacon", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }],
        },
      },
    },
  };
}

/** The canary talks to nothing and nothing talks to it: all ingress and egress denied (where a policy engine runs). */
export function buildCanaryNetworkPolicy() {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: `${CANARY_NAME}-deny-all`,
      namespace: CANARY_NAMESPACE,
      labels: { ...MANAGED_BY_LABELS },
    },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

/**
 * Every metric the canary's alerts read, with where it comes from. A test keeps the expressions to
 * these names.
 * - Falco 0.44 (falcosecurity/falco, userspace/falco/falco_metrics.cpp, `rules_counters_enabled`):
 *   `falcosecurity_falco_rules_matches_total{rule_name, priority, source, tag_<tag>="true"}`, a
 *   counter per rule, exported only once the rule has matched at least once since Falco started.
 * - kube-state-metrics (pod and node collectors): `kube_pod_info{namespace, pod, node,
 *   created_by_kind, created_by_name}`, `kube_pod_start_time{namespace, pod}` (Unix seconds),
 *   `kube_pod_status_ready{namespace, pod, condition}`, `kube_node_info{node}`.
 */
export const CANARY_ALERT_METRICS = [
  "falcosecurity_falco_rules_matches_total",
  "kube_pod_info",
  "kube_pod_start_time",
  "kube_pod_status_ready",
  "kube_node_info",
] as const;

export const CANARY_SILENT_ALERT = "FalcoCanarySilent";
export const FALCO_NOT_READY_ALERT = "FalcoNodeWithoutReadyPod";

/** A PrometheusRule (monitoring.coreos.com/v1) as the plan holds it. */
export interface PrometheusRule {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PrometheusRule";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    groups: {
      name: string;
      interval: string;
      rules: {
        alert: string;
        expr: string;
        for: string;
        labels: Record<string, string>;
        annotations: Record<string, string>;
      }[];
    }[];
  };
}

export interface CanaryAlertInput {
  /** The Falco namespace: its DaemonSet's pods are the ones that must detect. */
  falcoNamespace: string;
  alert: CanarySettings["alert"];
  /** Labels the Prometheus' rule selector picks (kube-prometheus-stack: `release: <its release>`). */
  selectorLabels?: Readonly<Record<string, string>>;
}

/** Falco's DaemonSet pods, by node (kube-state-metrics). */
function falcoPodsByNode(falcoNamespace: string): string {
  return `kube_pod_info{namespace="${falcoNamespace}", created_by_kind="DaemonSet", created_by_name="${FALCO_RELEASE}"}`;
}

/**
 * The alert expressions. A node is silent when its Falco pod has run for longer than the window and
 * the canary rule's counter did not grow on it within the window (a missing counter counts as not
 * grown: Falco exports it only after the first match). Falco's metrics carry no node, so the pod's
 * node comes from kube_pod_info.
 */
export function canaryAlertExpressions(input: CanaryAlertInput): { silent: string; notReady: string } {
  const window = input.alert.window;
  const pods = falcoPodsByNode(input.falcoNamespace);
  const silent = [
    "max by (node) (",
    `  (time() - kube_pod_start_time{namespace="${input.falcoNamespace}"} > ${durationSeconds(window)})`,
    `  * on (namespace, pod) group_left (node) ${pods}`,
    ")",
    "unless on (node)",
    "max by (node) (",
    `  (increase(falcosecurity_falco_rules_matches_total{namespace="${input.falcoNamespace}", rule_name="${CANARY_RULE}"}[${window}]) > 0)`,
    `  * on (namespace, pod) group_left (node) ${pods}`,
    ")",
  ].join("\n");
  const notReady = [
    "max by (node) (kube_node_info)",
    "unless on (node)",
    "max by (node) (",
    `  (kube_pod_status_ready{namespace="${input.falcoNamespace}", condition="true"} == 1)`,
    `  * on (namespace, pod) group_left (node) ${pods}`,
    ")",
  ].join("\n");
  return { silent, notReady };
}

/** Two alerts per node: its canary went silent, or it has no ready Falco pod at all. */
export function buildCanaryPrometheusRule(input: CanaryAlertInput): PrometheusRule {
  const { alert } = input;
  const { silent, notReady } = canaryAlertExpressions(input);
  const labels = { severity: alert.severity };
  const check = "Check with: npx falco-stack demo --nodes --stack NAME";
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: CANARY_NAME,
      namespace: input.falcoNamespace,
      labels: { ...input.selectorLabels, ...MANAGED_BY_LABELS, "app.kubernetes.io/name": CANARY_APP_LABEL },
    },
    spec: {
      groups: [
        {
          name: "falco-stack-canary",
          interval: alert.interval,
          rules: [
            {
              alert: CANARY_SILENT_ALERT,
              expr: silent,
              for: alert.interval,
              labels,
              annotations: {
                summary: "Falco on node {{ $labels.node }} has not detected the canary for " + alert.window,
                description:
                  `The rule "${CANARY_RULE}" has not matched on node {{ $labels.node }} for ${alert.window}: ` +
                  "its Falco may have lost its driver, its rules or its events, or the canary pod is not running there. " +
                  check,
              },
            },
            {
              alert: FALCO_NOT_READY_ALERT,
              expr: notReady,
              for: alert.window,
              labels,
              annotations: {
                summary: "Node {{ $labels.node }} has had no ready Falco pod for " + alert.window,
                description:
                  `No ready pod of the ${input.falcoNamespace}/${FALCO_RELEASE} DaemonSet on node {{ $labels.node }}: ` +
                  `nothing is detected there. kubectl -n ${input.falcoNamespace} get pods -o wide shows why (taints, crash loop, driver). ` +
                  check,
              },
            },
          ],
        },
      ],
    },
  };
}
