/**
 * Ingress NetworkPolicies for falcosidekick, its UI and the UI's Redis. The UI API accepts POST without
 * auth upstream, so reachability is the only guard. Egress stays open: outputs go to many places.
 *
 * Pod labels are the charts' selector labels: `app.kubernetes.io/name` is the chart name (no
 * nameOverride is used), `app.kubernetes.io/instance` the Helm release name, and the sidekick chart adds
 * `app.kubernetes.io/component` core / ui / ui-redis (falcosidekick 0.14.0 deployment*.yaml, falco 9.1.0
 * pod-template.tpl).
 */

import { MANAGED_BY_LABELS, REDIS_PORT, SIDEKICK_PORT, UI_PORT } from "./names.ts";

export type Labels = Record<string, string>;

export interface NetworkPolicyPort {
  protocol: "TCP";
  port: number;
}

export interface NetworkPolicyIngressRule {
  from: object[];
  ports: NetworkPolicyPort[];
}

export interface NetworkPolicyManifest {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace: string; labels: Labels };
  spec: {
    podSelector: { matchLabels: Labels };
    policyTypes: ["Ingress"];
    ingress: NetworkPolicyIngressRule[];
  };
}

export interface NetworkPolicyOptions {
  /** Where falco, sidekick, UI and Redis live. */
  namespace: string;
  uiEnabled: boolean;
  /**
   * Extra sources allowed to reach the UI port (NetworkPolicyPeer objects), added to the default:
   * falcosidekick, which posts every event there. `kubectl port-forward` needs no rule: the kubelet
   * enters the pod's network namespace and connects to localhost there, which NetworkPolicy does not filter.
   */
  uiAllowedFrom?: object[];
  /** Extra sources allowed to reach sidekick's port, e.g. a Prometheus scraping /metrics from another namespace. */
  sidekickAllowedFrom?: object[];
  /** The sidekick chart's fullnameOverride, "falcosidekick": names the policies after the objects they guard. */
  sidekickFullname: string;
  /** The sidekick Helm release name (`app.kubernetes.io/instance`); defaults to sidekickFullname. */
  sidekickInstance?: string;
  /** The falco Helm release name (`app.kubernetes.io/instance` of the Falco pods), "falco". */
  falcoInstance: string;
}

function sidekickPods(instance: string, component: "core" | "ui" | "ui-redis"): Labels {
  return {
    "app.kubernetes.io/name": "falcosidekick",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  };
}

/** An Ingress-only NetworkPolicy for `podLabels`: each rule admits its peers to one TCP port. */
export function ingressPolicy(
  name: string,
  namespace: string,
  podLabels: Labels,
  rules: readonly { from: object[]; port: number }[],
): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } },
    spec: {
      podSelector: { matchLabels: podLabels },
      policyTypes: ["Ingress"],
      ingress: rules.map(({ from, port }) => ({ from, ports: [{ protocol: "TCP", port }] })),
    },
  };
}

function policy(name: string, namespace: string, podLabels: Labels, from: object[], port: number) {
  return ingressPolicy(name, namespace, podLabels, [{ from, port }]);
}

function chartTestPod(instance: string): object {
  return {
    podSelector: {
      matchLabels: { "app.kubernetes.io/name": "falcosidekick", "app.kubernetes.io/instance": instance },
      matchExpressions: [{ key: "app.kubernetes.io/component", operator: "DoesNotExist" }],
    },
  };
}

/**
 * sidekick (2801) only from Falco pods, the UI pods and the chart's test pod; UI (2802) only from
 * falcosidekick plus `uiAllowedFrom`;
 * Redis (6379) only from the UI pods (its wait-redis init container included). Kubelet probes are not
 * affected: CNIs let the node reach its own pods.
 */
export function buildNetworkPolicies(options: NetworkPolicyOptions): NetworkPolicyManifest[] {
  const { namespace, sidekickFullname } = options;
  const instance = options.sidekickInstance ?? sidekickFullname;
  const falcoPods: Labels = {
    "app.kubernetes.io/name": "falco",
    "app.kubernetes.io/instance": options.falcoInstance,
  };
  const uiPods = sidekickPods(instance, "ui");

  const sidekickFrom: object[] = [{ podSelector: { matchLabels: falcoPods } }];
  if (options.uiEnabled) sidekickFrom.push({ podSelector: { matchLabels: uiPods } });
  sidekickFrom.push(chartTestPod(instance));
  sidekickFrom.push(...(options.sidekickAllowedFrom ?? []));

  const policies = [
    policy(sidekickFullname, namespace, sidekickPods(instance, "core"), sidekickFrom, SIDEKICK_PORT),
  ];
  if (options.uiEnabled) {
    const uiFrom: object[] = [
      { podSelector: { matchLabels: sidekickPods(instance, "core") } },
      ...(options.uiAllowedFrom ?? []),
    ];
    policies.push(policy(`${sidekickFullname}-ui`, namespace, uiPods, uiFrom, UI_PORT));
    policies.push(
      policy(
        `${sidekickFullname}-ui-redis`,
        namespace,
        sidekickPods(instance, "ui-redis"),
        [{ podSelector: { matchLabels: uiPods } }],
        REDIS_PORT,
      ),
    );
  }
  return policies;
}
