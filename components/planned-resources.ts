import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlannedObject, PlannedRelease } from "../src/stack/plan.ts";
import { resolveLate, type PulumiLateValues } from "./late-inputs.ts";

/** Resources already created, by plan id: dependencies always point at earlier plan entries. */
export type CreatedResources = Map<string, pulumi.Resource>;

/** What a component of the stack needs to create its share of the plan. */
export interface PlannedGroupArgs {
  /** The stack's name: resources are named `<stackName>-<plan id>`. */
  readonly stackName: string;
  readonly objects: readonly PlannedObject[];
  readonly releases: readonly PlannedRelease[];
  readonly late: PulumiLateValues;
  /** Filled in as resources are created, so later entries can depend on earlier ones. */
  readonly created: CreatedResources;
}

type Manifest = Record<string, unknown>;

/** A resource class, whatever its args type: the manifest is checked by the plan's builders and tests. */
type ResourceClass = new (
  name: string,
  args: never,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The typed resource class for each built-in kind we plan; custom resources go through CustomResource. */
const RESOURCE_CLASSES: Readonly<Record<string, ResourceClass>> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/Pod": k8s.core.v1.Pod,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
  "networking.k8s.io/v1/Ingress": k8s.networking.v1.Ingress,
  "apps/v1/DaemonSet": k8s.apps.v1.DaemonSet,
  "policy/v1/PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
  "scheduling.k8s.io/v1/PriorityClass": k8s.scheduling.v1.PriorityClass,
};

function createKubernetesObject(
  name: string,
  manifest: Manifest,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const ResourceClass = RESOURCE_CLASSES[`${String(manifest.apiVersion)}/${String(manifest.kind)}`];
  if (ResourceClass) return new ResourceClass(name, manifest as never, opts);
  return new k8s.apiextensions.CustomResource(
    name,
    manifest as unknown as k8s.apiextensions.CustomResourceArgs,
    opts,
  );
}

function dependencies(ids: readonly string[], created: CreatedResources): pulumi.Resource[] {
  return ids.map((id) => {
    const resource = created.get(id);
    if (!resource) throw new Error(`internal: plan entry "${id}" is used before it is created`);
    return resource;
  });
}

/** Creates a group's objects, then its releases, parented to `parent`. */
export function createPlannedGroup(parent: pulumi.Resource, args: PlannedGroupArgs): pulumi.Resource[] {
  const resources: pulumi.Resource[] = [];
  for (const object of args.objects) {
    let manifest = resolveLate(object.manifest, args.late) as Manifest;
    if (object.secret) {
      const { stringData, ...rest } = manifest;
      // Kept secret whatever the plan's inputs were: the data is a credential.
      manifest = { ...rest, stringData: pulumi.secret(stringData as Record<string, pulumi.Input<string>>) };
    }
    const resource = createKubernetesObject(`${args.stackName}-${object.id}`, manifest, { parent });
    args.created.set(object.id, resource);
    resources.push(resource);
  }
  for (const release of args.releases) {
    const chart = new k8s.helm.v4.Chart(
      `${args.stackName}-${release.id}`,
      {
        name: release.name,
        chart: release.chart,
        version: resolveLate(release.version, args.late),
        namespace: resolveLate(release.namespace, args.late),
        repositoryOpts: { repo: release.repo },
        values: resolveLate(release.values, args.late),
      },
      { parent, dependsOn: dependencies(release.dependsOn, args.created) },
    );
    args.created.set(release.id, chart);
    resources.push(chart);
  }
  return resources;
}
