import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { buildNetworkPolicies, type NetworkPolicyManifest } from "../../src/builders/network-policies.ts";

const base = { namespace: "falco", sidekickFullname: "falcosidekick", falcoInstance: "falco" };

const FALCO_PODS = { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "falco" };
const SIDEKICK_PODS = {
  "app.kubernetes.io/name": "falcosidekick",
  "app.kubernetes.io/instance": "falcosidekick",
  "app.kubernetes.io/component": "core",
};
const UI_PODS = { ...SIDEKICK_PODS, "app.kubernetes.io/component": "ui" };
const REDIS_PODS = { ...SIDEKICK_PODS, "app.kubernetes.io/component": "ui-redis" };
const CHART_TEST_POD = {
  podSelector: {
    matchLabels: { "app.kubernetes.io/name": "falcosidekick", "app.kubernetes.io/instance": "falcosidekick" },
    matchExpressions: [{ key: "app.kubernetes.io/component", operator: "DoesNotExist" }],
  },
};

function byName(policies: NetworkPolicyManifest[], name: string): NetworkPolicyManifest {
  const found = policies.find((policy) => policy.metadata.name === name);
  assert.ok(found, `no policy ${name}; have ${policies.map((p) => p.metadata.name).join(", ")}`);
  return found;
}

describe("network policies", () => {
  it("every object is a valid networking.k8s.io/v1 NetworkPolicy in the stack's namespace", () => {
    const policies = buildNetworkPolicies({
      ...base,
      uiEnabled: true,
      uiAllowedFrom: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
      ],
      sidekickAllowedFrom: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
      ],
    });
    assert.equal(policies.length, 3);
    for (const policy of policies) {
      assert.doesNotThrow(() => new NetworkPolicy(policy).validate(), policy.metadata.name);
      assert.equal(policy.metadata.namespace, "falco");
      // Ingress only: outputs reach many places, egress stays open.
      assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
    }
  });

  it("the validator used here does reject a malformed policy", () => {
    const [policy] = buildNetworkPolicies({ ...base, uiEnabled: false });
    assert.ok(policy);
    const broken = {
      ...policy,
      spec: { ...policy.spec, ingress: [{ from: [], ports: [{ protocol: "TCPX", port: 2801 }] }] },
    };
    assert.throws(() => new NetworkPolicy(broken as never).validate());
  });

  it("sidekick (2801) only from the Falco pods, the UI pods and the chart's helm test pod", () => {
    const sidekick = byName(buildNetworkPolicies({ ...base, uiEnabled: true }), "falcosidekick");
    assert.deepEqual(sidekick.spec.podSelector, { matchLabels: SIDEKICK_PODS });
    assert.deepEqual(sidekick.spec.ingress, [
      {
        from: [
          { podSelector: { matchLabels: FALCO_PODS } },
          { podSelector: { matchLabels: UI_PODS } },
          CHART_TEST_POD,
        ],
        ports: [{ protocol: "TCP", port: 2801 }],
      },
    ]);
  });

  it("UI (2802) from falcosidekick by default, plus the configured sources", () => {
    const extra = { ipBlock: { cidr: "10.0.0.0/8" } };
    const policies = buildNetworkPolicies({ ...base, uiEnabled: true, uiAllowedFrom: [extra] });
    const ui = byName(policies, "falcosidekick-ui");
    assert.deepEqual(ui.spec.podSelector, { matchLabels: UI_PODS });
    assert.deepEqual(ui.spec.ingress, [
      {
        from: [{ podSelector: { matchLabels: SIDEKICK_PODS } }, extra],
        ports: [{ protocol: "TCP", port: 2802 }],
      },
    ]);
    const byDefault = byName(buildNetworkPolicies({ ...base, uiEnabled: true }), "falcosidekick-ui");
    assert.deepEqual(byDefault.spec.ingress[0]?.from, [{ podSelector: { matchLabels: SIDEKICK_PODS } }]);
  });

  it("Redis (6379) only from the UI pods", () => {
    const redis = byName(buildNetworkPolicies({ ...base, uiEnabled: true }), "falcosidekick-ui-redis");
    assert.deepEqual(redis.spec.podSelector, { matchLabels: REDIS_PODS });
    assert.deepEqual(redis.spec.ingress, [
      { from: [{ podSelector: { matchLabels: UI_PODS } }], ports: [{ protocol: "TCP", port: 6379 }] },
    ]);
  });

  it("without the UI there is only the sidekick policy, open to Falco alone", () => {
    const policies = buildNetworkPolicies({ ...base, uiEnabled: false });
    assert.deepEqual(
      policies.map((policy) => policy.metadata.name),
      ["falcosidekick"],
    );
    assert.deepEqual(policies[0]?.spec.ingress[0]?.from, [
      { podSelector: { matchLabels: FALCO_PODS } },
      CHART_TEST_POD,
    ]);
  });

  it("follows the release names it is given", () => {
    const policies = buildNetworkPolicies({
      namespace: "security",
      uiEnabled: true,
      sidekickFullname: "sec-sidekick",
      sidekickInstance: "sec",
      falcoInstance: "sec-falco",
    });
    assert.deepEqual(
      policies.map((policy) => policy.metadata.name),
      ["sec-sidekick", "sec-sidekick-ui", "sec-sidekick-ui-redis"],
    );
    for (const policy of policies) {
      assert.equal(policy.spec.podSelector.matchLabels["app.kubernetes.io/instance"], "sec");
    }
    assert.deepEqual(policies[0]?.spec.ingress[0]?.from[0], {
      podSelector: {
        matchLabels: { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "sec-falco" },
      },
    });
  });
});
