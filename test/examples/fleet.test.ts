import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deployFleet, fleetProblems, sinkOutputs, type FleetArgs } from "../../examples/fleet/fleet.ts";
import { runUnderMocks, type ProgramRun, type Registered } from "../helpers/pulumi-mocks.ts";

/** The fleet example under mocks: two clusters, two providers, one central NATS. */

const FLEET: FleetArgs = {
  clusters: [
    { context: "kind-eu-west-1", clusterName: "eu-west-1" },
    { context: "kind-us-east-1", clusterName: "us-east-1" },
  ],
  sink: { kind: "nats", address: "nats://nats.central.example.com:4222" },
};

function ofCluster(run: ProgramRun, cluster: string, type: string): Registered[] {
  return run.resources.filter((r) => r.type === type && r.name.startsWith(`falco-${cluster}-`));
}

function one(run: ProgramRun, cluster: string, type: string, suffix: string): Registered {
  const found = run.resources.find((r) => r.type === type && r.name === `falco-${cluster}-${suffix}`);
  assert.ok(found, `${type} falco-${cluster}-${suffix}`);
  return found;
}

function at(object: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

describe("examples/fleet: one stack per cluster, one sink", () => {
  let run: ProgramRun;
  const names = FLEET.clusters.map((cluster) => cluster.clusterName);

  it("deploys both clusters under mocks", async () => {
    run = await runUnderMocks(() => {
      const fleet = deployFleet(FLEET);
      return Object.fromEntries([...fleet].map(([name, member]) => [name, member.stack.summary]));
    }, {});
    assert.deepEqual(Object.keys(run.outputs).sort(), names);
  });

  it("one Kubernetes provider per kubeconfig context", () => {
    const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    assert.deepEqual(providers.map((p) => [p.name, p.inputs.context]).sort(), [
      ["k8s-eu-west-1", "kind-eu-west-1"],
      ["k8s-us-east-1", "kind-us-east-1"],
    ]);
  });

  it("every Kubernetes object and chart of a cluster goes through that cluster's provider (children inherit it)", () => {
    for (const cluster of names) {
      const objects = run.resources.filter(
        (r) => r.name.startsWith(`falco-${cluster}-`) && r.type.startsWith("kubernetes:"),
      );
      assert.ok(objects.length >= 6, `${cluster}: namespace, rules, Secret, NetworkPolicies, both charts`);
      for (const object of objects) {
        assert.match(
          object.provider ?? "(default provider)",
          new RegExp(`pulumi:providers:kubernetes::k8s-${cluster}::`),
          `${object.type} ${object.name}`,
        );
      }
    }
  });

  it("each cluster's events carry its own name; all go to the one sink", () => {
    const subjects = new Set<unknown>();
    const sinks = new Set<unknown>();
    for (const cluster of names) {
      const [sidekick] = ofCluster(run, cluster, "kubernetes:helm.sh/v4:Chart").filter(
        (chart) => chart.inputs.chart === "falcosidekick",
      );
      assert.ok(sidekick);
      assert.equal(at(sidekick.inputs.values, "config.customfields"), `cluster:${cluster}`);
      subjects.add(at(sidekick.inputs.values, "config.nats.subjecttemplate"));
      const falco = ofCluster(run, cluster, "kubernetes:helm.sh/v4:Chart").find(
        (c) => c.inputs.chart === "falco",
      );
      assert.match(
        JSON.stringify(at(falco!.inputs.values, "falco.append_output")),
        new RegExp(`cluster=${cluster}`),
      );
      const secret = one(run, cluster, "kubernetes:core/v1:Secret", "sidekick-outputs");
      sinks.add((secret.inputs.stringData as Record<string, string>).NATS_HOSTPORT);
      assert.equal((run.outputs[cluster] as { clusterName: string }).clusterName, cluster);
    }
    assert.deepEqual([...subjects].sort(), [
      "falco.eu-west-1.<priority>.<rule>",
      "falco.us-east-1.<priority>.<rule>",
    ]);
    assert.deepEqual([...sinks], ["nats://nats.central.example.com:4222"], "one sink");
  });

  it("a Loki sink gets the same treatment: the cluster is a custom field, which Loki makes a label", () => {
    const outputs = sinkOutputs({ kind: "loki", address: "http://loki.central.example.com:3100" });
    assert.deepEqual(outputs, {
      loki: { hostport: "http://loki.central.example.com:3100", minimumpriority: "notice" },
    });
  });

  it("refuses two clusters with the same name before anything is registered", () => {
    const twice = {
      ...FLEET,
      clusters: [FLEET.clusters[0]!, { context: "other", clusterName: "eu-west-1" }],
    };
    assert.deepEqual(fleetProblems(twice), [
      'clusters[1].clusterName: "eu-west-1" is used twice; a central sink could not tell them apart',
    ]);
    assert.throws(() => deployFleet(twice), /used twice/);
  });
});
