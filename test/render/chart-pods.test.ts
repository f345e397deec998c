import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { buildNetworkPolicies, type NetworkPolicyManifest } from "../../src/builders/network-policies.ts";
import { sidekickUrl } from "../../src/builders/names.ts";
import { projectRoot } from "../helpers/shared.ts";

/**
 * The NetworkPolicies judged against the labels the pinned charts give their pods (falcosidekick
 * 0.14.0 deployment*.yaml and tests/test-connection.yaml, falco 9.1.0 pod-template.tpl), as a CNI
 * would: a pod in the namespace is admitted when a peer's selector matches its labels.
 */

type Labels = Record<string, string>;
interface Requirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: Requirement[];
}

const chartLabels = (component?: string): Labels => ({
  "app.kubernetes.io/name": "falcosidekick",
  "app.kubernetes.io/instance": "falcosidekick",
  "app.kubernetes.io/managed-by": "Helm",
  "helm.sh/chart": "falcosidekick-0.14.0",
  ...(component ? { "app.kubernetes.io/component": component } : {}),
});

const PODS: Record<string, Labels> = {
  falco: {
    "app.kubernetes.io/name": "falco",
    "app.kubernetes.io/instance": "falco",
    "helm.sh/chart": "falco-9.1.0",
  },
  sidekick: chartLabels("core"),
  ui: chartLabels("ui"),
  redis: chartLabels("ui-redis"),
  "helm test": {
    "app.kubernetes.io/name": "falcosidekick",
    "helm.sh/chart": "falcosidekick-0.14.0",
    "app.kubernetes.io/instance": "falcosidekick",
    "app.kubernetes.io/managed-by": "Helm",
  },
  "another pod of the namespace": { app: "debug-shell" },
};

function selects(selector: Selector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const requirement of selector.matchExpressions ?? []) {
    const value = labels[requirement.key];
    const ok =
      requirement.operator === "Exists"
        ? value !== undefined
        : requirement.operator === "DoesNotExist"
          ? value === undefined
          : requirement.operator === "In"
            ? value !== undefined && (requirement.values ?? []).includes(value)
            : value === undefined || !(requirement.values ?? []).includes(value);
    if (!ok) return false;
  }
  return true;
}

/** Which of PODS (same namespace) may open `port` on the pods `policy` guards. */
function admitted(policy: NetworkPolicyManifest): string[] {
  return Object.entries(PODS)
    .filter(([, labels]) =>
      policy.spec.ingress.some((rule) =>
        (rule.from as { podSelector?: Selector; namespaceSelector?: Selector }[]).some(
          (peer) =>
            peer.podSelector !== undefined && !peer.namespaceSelector && selects(peer.podSelector, labels),
        ),
      ),
    )
    .map(([name]) => name);
}

function policyGuarding(policies: NetworkPolicyManifest[], pod: string): NetworkPolicyManifest {
  const found = policies.find((policy) => selects(policy.spec.podSelector, PODS[pod]!));
  assert.ok(found, `a policy guards ${pod}`);
  return found;
}

describe("NetworkPolicies against the charts' pod labels", () => {
  const policies = buildNetworkPolicies({
    namespace: "falco",
    uiEnabled: true,
    sidekickFullname: "falcosidekick",
    falcoInstance: "falco",
  });

  it("`helm test falcosidekick` can reach 2801, and only the stack's pods besides it", () => {
    assert.deepEqual(admitted(policyGuarding(policies, "sidekick")), ["falco", "ui", "helm test"]);
  });

  it("the UI admits falcosidekick only, not every pod of the namespace", () => {
    assert.deepEqual(admitted(policyGuarding(policies, "ui")), ["sidekick"]);
  });

  it("Redis admits the UI only", () => {
    assert.deepEqual(admitted(policyGuarding(policies, "redis")), ["ui"]);
  });

  it("the test pod is not mistaken for a workload: no policy guards it", () => {
    assert.equal(
      policies.some((policy) => selects(policy.spec.podSelector, PODS["helm test"]!)),
      false,
    );
  });
});

describe("values/falco.yaml alone", () => {
  const values = parse(fs.readFileSync(path.join(projectRoot, "values", "falco.yaml"), "utf8")) as {
    falco: { http_output: { enabled: boolean; url?: string } };
  };

  it("never enables http_output without a URL (Falco 0.44 exits at start)", () => {
    assert.equal(values.falco.http_output.enabled, true);
    assert.ok(values.falco.http_output.url, "http_output.url is set");
  });

  it("points at the sidekick of values/falcosidekick.yaml in namespace falco", () => {
    assert.equal(values.falco.http_output.url, sidekickUrl("falco"));
  });
});

describe("the sidekick URL", () => {
  it("does not depend on the cluster domain", () => {
    const url = sidekickUrl("security");
    assert.equal(url, "http://falcosidekick.security:2801/");
    assert.doesNotMatch(url, /cluster\.local|\.svc/);
  });
});
