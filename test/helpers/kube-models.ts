import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { HelmRelease } from "@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2beta2";
import { HelmRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1beta2";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Pod, Secret } from "kubernetes-models/v1";

/** Schema models by `apiVersion/kind`, for every kind the stack renders. */
export const KUBE_MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Pod": Pod,
  "apps/v1/DaemonSet": DaemonSet,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "helm.toolkit.fluxcd.io/v2beta2/HelmRelease": HelmRelease,
  "source.toolkit.fluxcd.io/v1beta2/HelmRepository": HelmRepository,
  "argoproj.io/v1alpha1/Application": Application,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};
