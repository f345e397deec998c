import path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FalcoSecurityStack, type FalcoSecurityStackArgs, type OutputsArgs } from "../../library.ts";

/** One cluster of the fleet: how to reach it, and the name its events carry. */
export interface FleetCluster {
  /** kubeconfig context (`kubectl config get-contexts`). */
  readonly context: string;
  /** A DNS label, unique in the fleet: the `cluster` field of every event, a token of its NATS subjects. */
  readonly clusterName: string;
  /** kubeconfig file or its contents. Default: the one kubectl uses ($KUBECONFIG, ~/.kube/config). */
  readonly kubeconfig?: pulumi.Input<string>;
}

/** The one place every cluster sends its events to. */
export interface FleetSink {
  readonly kind: "nats" | "loki";
  /** nats://host:4222 or http(s)://loki-gateway:3100, reachable from every cluster. */
  readonly address: pulumi.Input<string>;
  /** Default notice. */
  readonly minimumpriority?:
    "emergency" | "alert" | "critical" | "error" | "warning" | "notice" | "informational" | "debug";
}

export interface FleetArgs {
  readonly clusters: readonly FleetCluster[];
  readonly sink: FleetSink;
  /** Arguments every cluster's stack shares (rules, observability, ...); clusterName and outputs are the fleet's. */
  readonly common?: Omit<FalcoSecurityStackArgs, "clusterName" | "outputs">;
}

export interface FleetMember {
  readonly provider: k8s.Provider;
  readonly stack: FalcoSecurityStack;
}

/** The sink as the typed outputs argument: NATS subjects and Loki labels carry the cluster name. */
export function sinkOutputs(sink: FleetSink): OutputsArgs {
  const minimumpriority = sink.minimumpriority ?? "notice";
  return sink.kind === "nats"
    ? { nats: { hostport: sink.address, minimumpriority } }
    : { loki: { hostport: sink.address, minimumpriority } };
}

/** Problems with the fleet's shape, before anything is registered. */
export function fleetProblems(args: FleetArgs): string[] {
  const problems: string[] = [];
  if (args.clusters.length === 0) problems.push("clusters: name at least one cluster");
  const seen = new Set<string>();
  for (const [index, cluster] of args.clusters.entries()) {
    if (seen.has(cluster.clusterName)) {
      problems.push(
        `clusters[${index}].clusterName: "${cluster.clusterName}" is used twice; a central sink could not tell them apart`,
      );
    }
    seen.add(cluster.clusterName);
  }
  return problems;
}

/**
 * One FalcoSecurityStack per cluster, each through its own Kubernetes provider (children inherit
 * it), each with its cluster name, all sending to the same sink. The UI is off by default: the
 * sink is where a fleet is watched (turn it on in `common.ui`).
 */
export function deployFleet(
  args: FleetArgs,
  rulesRoot = path.resolve(__dirname, "..", ".."),
): Map<string, FleetMember> {
  const problems = fleetProblems(args);
  if (problems.length > 0) throw new pulumi.RunError(`invalid fleet:\n  ${problems.join("\n  ")}`);
  const members = new Map<string, FleetMember>();
  for (const cluster of args.clusters) {
    const provider = new k8s.Provider(`k8s-${cluster.clusterName}`, {
      context: cluster.context,
      ...(cluster.kubeconfig !== undefined ? { kubeconfig: cluster.kubeconfig } : {}),
    });
    const common = args.common ?? {};
    const stack = new FalcoSecurityStack(
      `falco-${cluster.clusterName}`,
      {
        ui: { enabled: false },
        ...common,
        rules: { root: rulesRoot, ...common.rules },
        clusterName: cluster.clusterName,
        outputs: sinkOutputs(args.sink),
      },
      { provider },
    );
    members.set(cluster.clusterName, { provider, stack });
  }
  return members;
}
