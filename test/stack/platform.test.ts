import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { ConfigError } from "../../src/config/errors.ts";
import { renderStack, type RenderedStack } from "../../src/render/render.ts";
import { RulesValidationError } from "../../src/falco-rules/index.ts";
import { redisBudget } from "../../src/builders/platform-values.ts";
import { validateStackSettings, type UiSettings } from "../../src/stack/settings.ts";
import { chartDefaults, unknownValuesKeys } from "../helpers/chart-values.ts";
import { failureUnderMocks, runUnderMocks } from "../helpers/pulumi-mocks.ts";
import { projectRoot } from "../helpers/shared.ts";

/**
 * What a platform team checks before production: metrics, Kubernetes metadata, cluster identity,
 * bounded memory, disruption budgets, reaching the UI. Rendered offline from stack files, the same
 * plan `pulumi up` creates (the parity test in test/stack/plan.test.ts proves that).
 */

const PROD_ENV = {
  FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T0/B0/platform",
  FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
  FALCO_STACK_ELASTICSEARCH_PASSWORD: "platform-password",
};

/** Renders a stack file written from `config` (keys without the `falco-stack:` namespace). */
function renderConfig(config: Record<string, unknown>): RenderedStack {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-platform-"));
  const file = path.join(dir, "Pulumi.platform.yaml");
  const namespaced = Object.fromEntries(
    Object.entries({ ui: { storageClass: "standard" }, ...config }).map(([k, v]) => [`falco-stack:${k}`, v]),
  );
  fs.writeFileSync(file, stringify({ config: namespaced }));
  return renderStack({ file, env: {}, projectRoot });
}

function at(object: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

function manifest(rendered: RenderedStack, kind: string, name: string): Record<string, unknown> | undefined {
  return rendered.manifests.find(
    (object) => object.kind === kind && (object.metadata as { name: string }).name === name,
  );
}

function policyPeers(policy: Record<string, unknown>): { from: unknown[]; port: number }[] {
  const ingress = at(policy, "spec.ingress") as { from: unknown[]; ports: { port: number }[] }[];
  return ingress.map((rule) => ({ from: rule.from, port: rule.ports[0]!.port }));
}

const namespacePeer = (name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

/** Everything on at once: every values key it sets must exist in the pinned charts. */
const EVERYTHING = {
  clusterName: "eu-west-1",
  observability: {
    metrics: true,
    serviceMonitor: true,
    serviceMonitorLabels: { release: "kube-prometheus-stack" },
    dashboards: true,
    alerts: true,
  },
  falco: { kubernetesMetadata: true, artifactMirror: "registry.example.com/falcosecurity" },
  sidekick: { resources: { requests: { cpu: "50m", memory: "64Mi" } } },
  outputs: {
    nats: { hostport: "nats://nats.central:4222" },
    talon: { address: "http://falco-talon.falco.svc.cluster.local:2803" },
  },
  ui: {
    storageClass: "gp3",
    storageSize: "8Gi",
    ingress: {
      host: "falco.example.com",
      className: "nginx",
      tlsSecretName: "falco-ui-tls",
      annotations: { "nginx.ingress.kubernetes.io/auth-url": "https://oauth2.example.com/oauth2/auth" },
      controllerNamespace: "ingress-nginx",
    },
  },
};

describe("production features: on in prod, off in dev", () => {
  const prod = renderStack({ stack: "prod", env: PROD_ENV });
  const dev = renderStack({ stack: "dev", env: {} });

  it("prod: Falco metrics with drop and rule-match counters, ServiceMonitors labelled for kube-prometheus-stack, dashboards, alerts", () => {
    assert.equal(at(prod.falcoValues, "metrics.enabled"), true);
    assert.equal(at(prod.falcoValues, "metrics.kernelEventCountersEnabled"), true);
    assert.equal(at(prod.falcoValues, "metrics.rulesCountersEnabled"), true);
    assert.deepEqual(at(prod.falcoValues, "serviceMonitor"), {
      create: true,
      labels: { release: "kube-prometheus-stack" },
    });
    assert.equal(at(prod.sidekickValues, "serviceMonitor.enabled"), true);
    assert.deepEqual(at(prod.sidekickValues, "serviceMonitor.additionalLabels"), {
      release: "kube-prometheus-stack",
    });
    assert.equal(at(prod.sidekickValues, "prometheusRules.enabled"), true);
    assert.equal(at(prod.falcoValues, "grafana.dashboards.enabled"), true);
    assert.equal(at(prod.sidekickValues, "grafana.dashboards.enabled"), true);
  });

  it("prod: Falco is system-node-critical with a bounded outputs queue; falcosidekick has a PDB and spreads", () => {
    assert.equal(prod.falcoValues.podPriorityClassName, "system-node-critical");
    assert.equal(at(prod.falcoValues, "falco.outputs_queue.capacity"), 10000);
    const pdb = manifest(prod, "PodDisruptionBudget", "falcosidekick");
    assert.ok(pdb, "a PodDisruptionBudget for falcosidekick");
    new PodDisruptionBudget(pdb as never).validate();
    assert.deepEqual(at(pdb, "spec.maxUnavailable"), 1);
    assert.deepEqual(at(pdb, "spec.selector.matchLabels"), {
      "app.kubernetes.io/name": "falcosidekick",
      "app.kubernetes.io/instance": "falcosidekick",
      "app.kubernetes.io/component": "core",
    });
    const spread = at(
      prod.sidekickValues,
      "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution",
    ) as { podAffinityTerm: { topologyKey: string } }[];
    assert.deepEqual(
      spread.map((term) => term.podAffinityTerm.topologyKey),
      ["kubernetes.io/hostname", "topology.kubernetes.io/zone"],
    );
  });

  it("prod: Redis holds at most a quarter of its 10Gi volume, evicting the events closest to expiry, within its limits", () => {
    assert.deepEqual(at(prod.sidekickValues, "webui.redis.customConfig"), [
      `maxmemory ${2560 * 1024 * 1024}`,
      "maxmemory-policy volatile-ttl",
    ]);
    assert.deepEqual(at(prod.sidekickValues, "webui.redis.resources"), {
      requests: { cpu: "50m", memory: "2560Mi" },
      limits: { cpu: "500m", memory: "3840Mi" },
    });
    assert.deepEqual(at(prod.sidekickValues, "webui.resources"), {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
  });

  it("prod: every event carries the cluster name, in sidekick's custom fields and Falco's output line", () => {
    assert.equal(at(prod.sidekickValues, "config.customfields"), "cluster:prod");
    assert.deepEqual(at(prod.falcoValues, "falco.append_output"), [
      { suggested_output: true },
      { extra_output: "cluster=prod", extra_fields: [{ cluster: "prod" }] },
    ]);
    assert.equal(prod.plan.outputs.clusterName, "prod");
  });

  it("prod: warns that the ServiceMonitor and PrometheusRule CRDs must be installed first", () => {
    const warning = prod.warnings.find((text) => text.startsWith("observability:"));
    assert.ok(warning, `a CRD warning; got ${prod.warnings.join(" | ")}`);
    assert.match(warning, /servicemonitors\.monitoring\.coreos\.com/);
    assert.match(warning, /prometheusrules\.monitoring\.coreos\.com/);
    assert.match(warning, /no matches for kind ServiceMonitor/);
    assert.ok(!dev.warnings.some((text) => text.startsWith("observability:")));
  });

  it("dev: none of it (metrics, dashboards, priority class, PDB, spread, Redis bound, cluster name)", () => {
    assert.equal(at(dev.falcoValues, "metrics.enabled"), undefined);
    assert.equal(at(dev.falcoValues, "serviceMonitor"), undefined);
    assert.equal(at(dev.falcoValues, "grafana"), undefined);
    assert.equal(dev.falcoValues.podPriorityClassName, undefined);
    assert.equal(manifest(dev, "PodDisruptionBudget", "falcosidekick"), undefined);
    assert.equal(at(dev.sidekickValues, "affinity"), undefined);
    assert.equal(at(dev.sidekickValues, "webui.redis.customConfig"), undefined);
    assert.equal(at(dev.sidekickValues, "config.customfields"), undefined);
    assert.equal(at(dev.falcoValues, "falco.append_output"), undefined);
    assert.equal(dev.plan.outputs.clusterName, undefined);
  });

  it("every values key the shipped stacks and an everything-on stack set exists in the pinned charts", () => {
    const everything = renderConfig(EVERYTHING);
    for (const rendered of [prod, dev, renderStack({ stack: "staging", env: {} }), everything]) {
      assert.deepEqual(unknownValuesKeys(rendered.falcoValues, chartDefaults("falco")), [], rendered.stack);
      assert.deepEqual(
        unknownValuesKeys(rendered.sidekickValues, chartDefaults("falcosidekick")),
        [],
        rendered.stack,
      );
    }
  });
});

describe("NetworkPolicies: the scraper reaches the metrics ports, and nothing else does", () => {
  const rendered = renderConfig({
    ...EVERYTHING,
    observability: { metrics: true, scraperNamespace: "prom" },
  });

  it("Falco's pods take traffic only from the scraper's namespace, on 8765", () => {
    const policy = manifest(rendered, "NetworkPolicy", "falco-metrics");
    assert.ok(policy);
    new NetworkPolicy(policy as never).validate();
    assert.deepEqual(at(policy, "spec.podSelector.matchLabels"), {
      "app.kubernetes.io/name": "falco",
      "app.kubernetes.io/instance": "falco",
    });
    assert.deepEqual(policyPeers(policy), [{ from: [namespacePeer("prom")], port: 8765 }]);
  });

  it("falcosidekick's port (events and /metrics) admits the scraper besides Falco, the UI and the chart's test pod", () => {
    const policy = manifest(rendered, "NetworkPolicy", "falcosidekick");
    const [rule] = policyPeers(policy!);
    assert.equal(rule!.port, 2801);
    assert.deepEqual(rule!.from.at(-1), namespacePeer("prom"));
    assert.equal(rule!.from.length, 4);
  });

  it("the k8s-metacollector takes gRPC only from Falco's pods and metrics only from the scraper", () => {
    const policy = manifest(rendered, "NetworkPolicy", "falco-k8s-metacollector");
    assert.ok(policy);
    new NetworkPolicy(policy as never).validate();
    assert.deepEqual(at(policy, "spec.podSelector.matchLabels"), {
      "app.kubernetes.io/name": "k8s-metacollector",
      "app.kubernetes.io/instance": "falco",
    });
    assert.deepEqual(policyPeers(policy), [
      {
        from: [
          {
            podSelector: {
              matchLabels: { "app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": "falco" },
            },
          },
        ],
        port: 45000,
      },
      { from: [namespacePeer("prom")], port: 8080 },
    ]);
  });

  it("the UI admits falcosidekick and the ingress controller's namespace, no other", () => {
    const policy = manifest(rendered, "NetworkPolicy", "falcosidekick-ui");
    assert.deepEqual(policyPeers(policy!), [
      {
        from: [
          {
            podSelector: {
              matchLabels: {
                "app.kubernetes.io/name": "falcosidekick",
                "app.kubernetes.io/instance": "falcosidekick",
                "app.kubernetes.io/component": "core",
              },
            },
          },
          namespacePeer("ingress-nginx"),
        ],
        port: 2802,
      },
    ]);
  });

  it("without metrics, no scraper is admitted anywhere", () => {
    const quiet = renderConfig({});
    assert.equal(manifest(quiet, "NetworkPolicy", "falco-metrics"), undefined);
    const text = JSON.stringify(quiet.manifests);
    assert.ok(!text.includes("monitoring"), "no scraper namespace in any policy");
  });
});

describe("Kubernetes metadata", () => {
  it("turns on the chart's k8s-metacollector and k8smeta plugin", () => {
    const rendered = renderConfig({ falco: { kubernetesMetadata: true } });
    assert.deepEqual(at(rendered.falcoValues, "collectors.kubernetes"), {
      enabled: true,
      pluginRef: "ghcr.io/falcosecurity/plugins/plugin/k8smeta:0.4.1",
    });
  });

  it("air-gapped, it is refused without a mirror: falcoctl must fetch the plugin", () => {
    assert.throws(
      () => renderConfig({ falco: { airGapped: true, kubernetesMetadata: true } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /falco-stack:falco\.kubernetesMetadata: needs falco\.artifactMirror/.test(error.message),
    );
  });

  it("air-gapped with a mirror, falcoctl installs rulesets and both plugins from the mirror only", () => {
    const mirror = "registry.example.com/falcosecurity";
    const rendered = renderConfig({
      falco: { airGapped: true, kubernetesMetadata: true, artifactMirror: mirror },
      rules: { rulesets: ["falco-rules", "falco-incubating-rules"] },
    });
    const falcoctl = rendered.falcoValues.falcoctl;
    assert.deepEqual(at(falcoctl, "config.artifact.install.refs"), [
      `${mirror}/rules/falco-rules:5.1.0`,
      `${mirror}/rules/falco-incubating-rules:6.0.1`,
    ]);
    assert.deepEqual(at(falcoctl, "config.indexes"), []);
    assert.equal(at(falcoctl, "artifact.install.enabled"), undefined, "falcoctl stays on");
    assert.equal(
      at(rendered.falcoValues, "collectors.containerEngine.pluginRef"),
      `${mirror}/plugins/plugin/container:0.7.1`,
    );
    assert.equal(
      at(rendered.falcoValues, "collectors.kubernetes.pluginRef"),
      `${mirror}/plugins/plugin/k8smeta:0.4.1`,
    );
    const mounts = JSON.stringify(at(rendered.falcoValues, "mounts"));
    assert.ok(!mounts.includes("empty-config-d"), "falcoctl shadows /etc/falco: no config.d workaround");
  });

  const K8SMETA_RULE = `- rule: Shell in a deployment
  desc: a shell in a pod that belongs to a Deployment
  condition: evt.type = execve and proc.name = bash and k8smeta.deployment.name != ""
  output: shell in %k8smeta.deployment.name (pod %k8s.pod.name)
  priority: WARNING
`;

  function rulesDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-k8smeta-"));
    fs.writeFileSync(path.join(dir, "k8smeta.yaml"), K8SMETA_RULE);
    return dir;
  }

  it("without it, a rule using k8smeta.* fields is refused before anything is rendered", () => {
    assert.throws(
      () => renderConfig({ rules: { files: [rulesDir()] } }),
      (error: unknown) =>
        error instanceof RulesValidationError && /k8smeta\.deployment\.name/.test(error.message),
    );
  });

  it("with it, rules may use k8smeta.* fields", () => {
    const rendered = renderConfig({ falco: { kubernetesMetadata: true }, rules: { files: [rulesDir()] } });
    assert.deepEqual(rendered.plan.outputs.rules.files, ["k8smeta.yaml"]);
  });
});

describe("cluster identity", () => {
  it("a NATS output publishes on falco.<cluster>.<priority>.<rule> unless a subject template is set", () => {
    const nats = { nats: { hostport: "nats://nats.central:4222" } };
    const rendered = renderConfig({ clusterName: "eu-west-1", outputs: nats });
    assert.equal(
      at(rendered.sidekickValues, "config.nats.subjecttemplate"),
      "falco.eu-west-1.<priority>.<rule>",
    );
    const own = renderConfig({
      clusterName: "eu-west-1",
      outputs: { nats: { ...nats.nats, subjecttemplate: "security.<priority>" } },
    });
    assert.equal(at(own.sidekickValues, "config.nats.subjecttemplate"), "security.<priority>");
    const noNats = renderConfig({ clusterName: "eu-west-1" });
    assert.equal(at(noNats.sidekickValues, "config.nats"), undefined);
  });

  it("refuses a name that is not a DNS label: it goes into NATS subjects and Loki labels", () => {
    const result = validateStackSettings({ clusterName: "prod.eu", ui: { storageClass: "" } });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.issues.map((issue) => issue.path), [["clusterName"]]);
  });
});

describe("the UI behind an Ingress or a Gateway", () => {
  it("an Ingress with TLS host and class, through the chart's webui.ingress", () => {
    const rendered = renderConfig(EVERYTHING);
    assert.deepEqual(at(rendered.sidekickValues, "webui.ingress"), {
      enabled: true,
      ingressClassName: "nginx",
      annotations: { "nginx.ingress.kubernetes.io/auth-url": "https://oauth2.example.com/oauth2/auth" },
      hosts: [{ host: "falco.example.com", paths: [{ path: "/", pathType: "Prefix" }] }],
      tls: [{ secretName: "falco-ui-tls", hosts: ["falco.example.com"] }],
    });
  });

  it("an HTTPRoute through the chart's webui.httproute, with a warning naming the Gateway API CRDs", () => {
    const rendered = renderConfig({
      ui: {
        storageClass: "",
        httproute: {
          hostnames: ["falco.example.com"],
          parentRefs: [{ name: "public", namespace: "gateways" }],
          controllerNamespace: "envoy-gateway-system",
        },
      },
    });
    assert.deepEqual(at(rendered.sidekickValues, "webui.httproute"), {
      enabled: true,
      hostnames: ["falco.example.com"],
      parentRefs: [{ name: "public", namespace: "gateways" }],
    });
    assert.ok(rendered.warnings.some((text) => /httproutes\.gateway\.networking\.k8s\.io/.test(text)));
    const policy = manifest(rendered, "NetworkPolicy", "falcosidekick-ui");
    assert.deepEqual(policyPeers(policy!)[0]!.from, [
      {
        podSelector: {
          matchLabels: {
            "app.kubernetes.io/name": "falcosidekick",
            "app.kubernetes.io/instance": "falcosidekick",
            "app.kubernetes.io/component": "core",
          },
        },
      },
      namespacePeer("envoy-gateway-system"),
    ]);
  });
});

describe("settings that cannot work together are refused by key", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "a ServiceMonitor without metrics",
      { observability: { serviceMonitor: true } },
      "observability.serviceMonitor",
      /needs observability\.metrics/,
    ],
    [
      "dashboards without metrics",
      { observability: { dashboards: true } },
      "observability.dashboards",
      /needs observability\.metrics/,
    ],
    [
      "alerts without the ServiceMonitor",
      { observability: { metrics: true, alerts: true } },
      "observability.alerts",
      /renders its PrometheusRules only with its ServiceMonitor/,
    ],
    [
      "an Ingress and an HTTPRoute",
      {
        ui: {
          storageClass: "",
          ingress: { host: "a.example.com", controllerNamespace: "ingress" },
          httproute: {
            hostnames: ["a.example.com"],
            parentRefs: [{ name: "gw" }],
            controllerNamespace: "gw",
          },
        },
      },
      "ui.httproute",
      /not both/,
    ],
    [
      "an unbounded outputs queue",
      { falco: { outputsQueueCapacity: 0 } },
      "falco.outputsQueueCapacity",
      /unbounded/,
    ],
    [
      "a Redis bound in bytes without unit",
      { ui: { storageClass: "", redisMaxMemory: "512MB" } },
      "ui.redisMaxMemory",
      /Ki, Mi or Gi/,
    ],
  ];
  for (const [what, raw, key, message] of cases) {
    it(what, () => {
      const result = validateStackSettings({ ui: { storageClass: "" }, ...raw });
      assert.equal(result.ok, false);
      const issue = !result.ok ? result.issues.find((i) => i.path.join(".") === key) : undefined;
      assert.ok(issue, `an issue at ${key}; got ${JSON.stringify(!result.ok && result.issues)}`);
      assert.match(issue.message, message);
    });
  }
});

describe("the Redis budget follows the volume", () => {
  function ui(overrides: Partial<UiSettings>): UiSettings {
    const result = validateStackSettings({ ui: { storageClass: "", ...overrides } });
    assert.ok(result.ok);
    return result.settings.ui;
  }

  it("a quarter of the volume, 256Mi without one, an explicit size, or unbounded when off", () => {
    assert.equal(redisBudget(ui({ storageSize: "1Gi" }))?.maxmemoryBytes, 256 * 1024 * 1024);
    assert.equal(redisBudget(ui({ storageSize: "20Gi" }))?.maxmemoryBytes, 5 * 1024 * 1024 * 1024);
    assert.equal(redisBudget(ui({ storageEnabled: false }))?.maxmemoryBytes, 256 * 1024 * 1024);
    assert.equal(redisBudget(ui({ redisMaxMemory: "1Gi" }))?.maxmemoryBytes, 1024 * 1024 * 1024);
    assert.equal(redisBudget(ui({ storageSize: "8G" }))?.maxmemoryBytes, 1907 * 1024 * 1024);
    assert.equal(redisBudget(ui({ redisMaxMemory: "off" })), undefined);
  });

  it("evicts the events closest to expiry, or the least recently used when events never expire", () => {
    assert.equal(redisBudget(ui({ ttl: "7d" }))?.policy, "volatile-ttl");
    assert.equal(redisBudget(ui({ ttl: "0" }))?.policy, "allkeys-lru");
  });

  it("user-given Redis resources win over the derived ones", () => {
    const resources = { requests: { memory: "1Gi" }, limits: { memory: "2Gi" } };
    assert.deepEqual(redisBudget(ui({ redisResources: resources }))?.resources, resources);
  });
});

describe("FalcoSecurityStack takes the production arguments", () => {
  it("refuses combinations by property path with InputPropertiesError, creating nothing", async () => {
    const { FalcoSecurityStack } = await import("../../components/falco-security-stack.ts");
    const { error, registered } = await failureUnderMocks(
      () =>
        new FalcoSecurityStack("security", {
          observability: { metrics: true, alerts: true },
          falco: { airGapped: true, kubernetesMetadata: true },
          ui: { storageClass: "" },
          rules: { root: projectRoot },
        }),
      {},
    );
    assert.ok(pulumi.InputPropertiesError.isInstance(error), String(error));
    assert.deepEqual(error.errors.map((e) => e.propertyPath).sort(), [
      "falco.kubernetesMetadata",
      "observability.alerts",
    ]);
    assert.equal(registered, 0);
  });

  it("passes clusterName and observability from the arguments to the charts", async () => {
    const { FalcoSecurityStack } = await import("../../components/falco-security-stack.ts");
    const run = await runUnderMocks(() => {
      const stack = new FalcoSecurityStack("security", {
        clusterName: "edge-7",
        observability: { metrics: true, serviceMonitor: true, serviceMonitorLabels: { team: "sec" } },
        ui: { storageClass: "" },
        rules: { root: projectRoot },
      });
      return { summary: stack.summary };
    }, {});
    const charts = run.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
    const sidekick = charts.find((c) => c.inputs.chart === "falcosidekick")!;
    const falco = charts.find((c) => c.inputs.chart === "falco")!;
    assert.equal(at(sidekick.inputs.values, "config.customfields"), "cluster:edge-7");
    assert.deepEqual(at(falco.inputs.values, "serviceMonitor.labels"), { team: "sec" });
    assert.equal((run.outputs.summary as { clusterName: string }).clusterName, "edge-7");
  });
});
