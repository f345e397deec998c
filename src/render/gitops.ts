import type { PlainObject } from "../builders/merge.ts";
import type { PlannedRelease } from "../stack/plan.ts";

/**
 * The GitOps formats of render: the stack's own objects as a kustomize base, and the two releases
 * as the objects Flux or Argo CD install charts from, with our values inline and the install order
 * of the plan. Pure: objects in, objects out; render writes them.
 */

export const HELM_REPOSITORY_NAME = "falcosecurity";
export const FLUX_INTERVAL = "10m";
export const FLUX_CHART_INTERVAL = "1h";
/** Where Argo CD runs (and where it reads Application objects from). */
export const ARGOCD_NAMESPACE = "argocd";
export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
const IN_CLUSTER = "https://kubernetes.default.svc";

/** A kustomization over `resources`, as `kustomize build` and Flux's kustomize-controller read it. */
export function kustomization(resources: readonly string[]): PlainObject {
  return { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [...resources] };
}

/** The plan's release order as names: only releases count, objects are in the base. */
function releaseDependencies(release: PlannedRelease, releases: readonly PlannedRelease[]): PlannedRelease[] {
  return releases.filter((other) => release.dependsOn.includes(other.id));
}

export function fluxHelmRepository(namespace: string, url: string): PlainObject {
  return {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "HelmRepository",
    metadata: { name: HELM_REPOSITORY_NAME, namespace },
    spec: { interval: FLUX_CHART_INTERVAL, url },
  };
}

/** One HelmRelease per planned release; `dependsOn` keeps falcosidekick before Falco. */
export function fluxHelmReleases(releases: readonly PlannedRelease[]): PlainObject[] {
  return releases.map((release) => {
    const dependsOn = releaseDependencies(release, releases).map((other) => ({ name: other.name }));
    return {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: { name: release.name, namespace: release.namespace },
      spec: {
        interval: FLUX_INTERVAL,
        releaseName: release.name,
        chart: {
          spec: {
            chart: release.chart,
            version: release.version,
            sourceRef: { kind: "HelmRepository", name: HELM_REPOSITORY_NAME },
            interval: FLUX_CHART_INTERVAL,
          },
        },
        ...(dependsOn.length > 0 ? { dependsOn } : {}),
        install: { remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3 } },
        values: release.values,
      },
    };
  });
}

/**
 * Sync waves in plan order: namespaces, then the stack's own objects, then each release one wave
 * after the releases it depends on.
 */
export function argocdWaves(releases: readonly PlannedRelease[]): {
  namespace: number;
  object: number;
  release: Map<string, number>;
} {
  const release = new Map<string, number>();
  const waveOf = (item: PlannedRelease): number => {
    const known = release.get(item.id);
    if (known !== undefined) return known;
    const wave = Math.max(-1, ...releaseDependencies(item, releases).map(waveOf)) + 1;
    release.set(item.id, wave);
    return wave;
  };
  releases.forEach(waveOf);
  return { namespace: -2, object: -1, release };
}

/** A copy of a base object with its sync wave (Argo CD applies lower waves first). */
export function withSyncWave(manifest: PlainObject, wave: number): PlainObject {
  const metadata = (manifest.metadata ?? {}) as PlainObject;
  const annotations = (metadata.annotations ?? {}) as Record<string, string>;
  return {
    ...manifest,
    metadata: { ...metadata, annotations: { ...annotations, [SYNC_WAVE_ANNOTATION]: String(wave) } },
  };
}

/** One Application per planned release, pointing at the upstream chart with our values. */
export function argocdApplications(releases: readonly PlannedRelease[]): PlainObject[] {
  const waves = argocdWaves(releases);
  return releases.map((release) => ({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: release.name,
      namespace: ARGOCD_NAMESPACE,
      annotations: { [SYNC_WAVE_ANNOTATION]: String(waves.release.get(release.id) ?? 0) },
      // Deleting the Application removes what it installed.
      finalizers: ["resources-finalizer.argocd.argoproj.io"],
    },
    spec: {
      project: "default",
      destination: { server: IN_CLUSTER, namespace: release.namespace },
      source: {
        repoURL: release.repo,
        chart: release.chart,
        targetRevision: release.version,
        helm: { releaseName: release.name, valuesObject: release.values },
      },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  }));
}
