/**
 * The objects the production settings add to the plan: falcosidekick's PodDisruptionBudget, and the
 * NetworkPolicies of the Falco metrics port and the k8s-metacollector. Pure, like the plan.
 */
import type { PlainObject } from "../builders/merge.ts";
import { FALCO_RELEASE, MANAGED_BY_LABELS, SIDEKICK_FULLNAME } from "../builders/names.ts";
import { ingressPolicy } from "../builders/network-policies.ts";
import {
  FALCO_METRICS_PORT,
  METACOLLECTOR_GRPC_PORT,
  METACOLLECTOR_METRICS_PORT,
} from "../builders/platform-values.ts";
import type { PlannedObject } from "./plan.ts";
import type { StackSettings } from "./settings.ts";

/** A NetworkPolicyPeer for every pod of one namespace (the label Kubernetes sets on each namespace). */
export function namespacePeer(namespace: string): PlainObject {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

/** Who may reach falcosidekick's port besides Falco and the UI: the scraper, for `/metrics`. */
export function sidekickScraperPeers(settings: StackSettings): PlainObject[] {
  return settings.observability.metrics ? [namespacePeer(settings.observability.scraperNamespace)] : [];
}

/** The ingress controller or gateway that serves the UI: the one namespace admitted from outside. */
export function uiControllerPeers(settings: StackSettings): PlainObject[] {
  const controller = settings.ui.ingress ?? settings.ui.httproute;
  return controller ? [namespacePeer(controller.controllerNamespace)] : [];
}

const FALCO_PODS = { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": FALCO_RELEASE };
/** The k8s-metacollector subchart's selector labels: its chart name and the falco release. */
export const METACOLLECTOR_PODS = {
  "app.kubernetes.io/name": "k8s-metacollector",
  "app.kubernetes.io/instance": FALCO_RELEASE,
};

export function planPlatformObjects(settings: StackSettings): PlannedObject[] {
  const { namespace, observability } = settings;
  const objects: PlannedObject[] = [];
  if (settings.sidekick.disruptionBudget) {
    objects.push({
      id: "sidekick-disruption-budget",
      owner: "sidekick",
      manifest: {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: SIDEKICK_FULLNAME, namespace, labels: { ...MANAGED_BY_LABELS } },
        spec: {
          // maxUnavailable, not minAvailable: a single replica can still be drained.
          maxUnavailable: 1,
          selector: {
            matchLabels: {
              "app.kubernetes.io/name": "falcosidekick",
              "app.kubernetes.io/instance": SIDEKICK_FULLNAME,
              "app.kubernetes.io/component": "core",
            },
          },
        },
      },
    });
  }
  if (!settings.sidekick.networkPolicies) return objects;
  const scraper = namespacePeer(observability.scraperNamespace);
  if (observability.metrics) {
    // Falco's pods take no other traffic (the gRPC server is gone); probes and falcoctl's
    // /versions call come from the node and localhost, which NetworkPolicy does not filter.
    objects.push({
      id: "falco-metrics-policy",
      owner: "falco",
      manifest: {
        ...ingressPolicy("falco-metrics", namespace, FALCO_PODS, [
          { from: [scraper], port: FALCO_METRICS_PORT },
        ]),
      },
    });
  }
  if (settings.falco.kubernetesMetadata) {
    const rules: { from: PlainObject[]; port: number }[] = [
      { from: [{ podSelector: { matchLabels: FALCO_PODS } }], port: METACOLLECTOR_GRPC_PORT },
    ];
    if (observability.metrics) rules.push({ from: [scraper], port: METACOLLECTOR_METRICS_PORT });
    objects.push({
      id: "falco-metacollector-policy",
      owner: "falco",
      manifest: { ...ingressPolicy("falco-k8s-metacollector", namespace, METACOLLECTOR_PODS, rules) },
    });
  }
  return objects;
}
