import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Namespace } from "kubernetes-models/v1";
import { parse } from "yaml";
import {
  CANARY_ALERT_METRICS,
  CANARY_BEACON_FILE,
  CANARY_RULE,
  canaryAlertExpressions,
  canaryTriggerCommand,
  type DaemonSet as CanaryDaemonSet,
  type PrometheusRule as CanaryPrometheusRule,
} from "../../src/builders/canary.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseStackConfig } from "../../src/config/schema.ts";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { planOutputs } from "../../src/outputs/index.ts";
import { renderStack } from "../../src/render/render.ts";
import { LateValues } from "../../src/stack/late.ts";
import { planStack, type StackCredentials, type StackPlan } from "../../src/stack/plan.ts";
import { collectRuleFiles } from "../../src/stack/rule-files.ts";
import { stackSettingsSchema, validateStackSettings, type StackSettings } from "../../src/stack/settings.ts";
import { chartDefaults } from "../helpers/chart-values.ts";
import { projectRoot } from "../helpers/shared.ts";

const CREDENTIALS: StackCredentials = {
  uiUser: "u",
  uiPassword: "p",
  redisPassword: "r",
  checksumKey: "k",
};

/** The prod stack's settings; `change` edits them the way a stack file or a test double would. */
function prodSettings(change: (settings: StackSettings) => StackSettings = (s) => s): StackSettings {
  return change(stackSettingsSchema.parse(readStackConfig({ stack: "prod" }).raw));
}

/** Alerts on as they will be once the stack has observability settings (the check is bypassed here). */
const withAlert = (settings: StackSettings): StackSettings => ({
  ...settings,
  canary: { ...settings.canary, alert: { ...settings.canary.alert, enabled: true } },
});

function plan(settings: StackSettings, rules = collectRuleFiles(["rules"], projectRoot)): StackPlan {
  return planStack({
    settings,
    ruleFiles: rules,
    outputs: { chartConfig: {}, secretEnv: {}, enabled: [] },
    credentials: CREDENTIALS,
    late: new LateValues(),
  });
}

function manifest(stackPlan: StackPlan, id: string): Record<string, unknown> {
  const object = stackPlan.objects.find((candidate) => candidate.id === id);
  assert.ok(object, `the plan holds ${id}`);
  return object.manifest;
}

/** The settings' issues, on top of a UI volume on the cluster's default class (required otherwise). */
function issues(input: Record<string, unknown>): string[] {
  const result = validateStackSettings({ ui: { storageClass: "" }, ...input });
  return result.ok ? [] : result.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("canary workload for prod", () => {
  const rendered = renderStack({ stack: "prod", env: {}, credentials: CREDENTIALS });
  const daemonSet = manifest(rendered.plan, "canary") as unknown as CanaryDaemonSet;
  const pod = daemonSet.spec!.template.spec!;
  const container = pod.containers[0]!;

  it("renders a namespace under Pod Security restricted and a DaemonSet, both valid Kubernetes objects", () => {
    const namespace = manifest(rendered.plan, "canary-namespace");
    assert.doesNotThrow(() => new Namespace(namespace as never).validate());
    assert.doesNotThrow(() => new DaemonSet(daemonSet as never).validate());
    const labels = (namespace.metadata as { labels: Record<string, string> }).labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.ok(rendered.manifests.includes(daemonSet as never), "render writes it into manifests.yaml");
  });

  it("meets Pod Security restricted: non-root by number, no escalation, no capabilities, RuntimeDefault seccomp", () => {
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(typeof pod.securityContext?.runAsUser, "number");
    assert.notEqual(pod.securityContext?.runAsUser, 0);
    assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault");
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
    assert.equal(container.securityContext?.capabilities?.add, undefined);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.privileged, undefined);
    assert.equal(pod.hostNetwork ?? pod.hostPID ?? pod.hostIPC, undefined);
    assert.ok(
      pod.volumes?.every((volume) => volume.emptyDir !== undefined),
      "only an emptyDir",
    );
    assert.equal(pod.automountServiceAccountToken, false);
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory);
    assert.ok(container.resources?.limits?.cpu && container.resources.limits.memory);
  });

  it("is cut off from the network: a deny-all NetworkPolicy in its namespace", () => {
    const policy = manifest(rendered.plan, "canary-network-policy");
    assert.doesNotThrow(() => new NetworkPolicy(policy as never).validate());
    assert.deepEqual(policy.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    assert.equal((policy.metadata as { namespace: string }).namespace, "falco-stack-canary");
  });

  it("runs a pinned image and writes the beacon the rule names, on the schedule", () => {
    assert.match(container.image ?? "", /^docker\.io\/library\/busybox:\d+\.\d+\.\d+$/);
    const script = container.command?.at(-1) ?? "";
    assert.match(script, new RegExp(`: > ${CANARY_BEACON_FILE}\\n`));
    assert.match(script, /sleep 300 &/, "prod's 5m");
    assert.ok(
      container.volumeMounts?.some((mount) => CANARY_BEACON_FILE.startsWith(`${mount.mountPath}/`)),
      "the beacon is on the writable volume",
    );
    assert.deepEqual(canaryTriggerCommand(), ["sh", "-c", `: > ${CANARY_BEACON_FILE}`]);
  });

  it("tolerates what Falco tolerates, so it lands on every node Falco watches", () => {
    assert.deepEqual(pod.tolerations, prodSettings().falco.tolerations);
    const tainted = plan(
      prodSettings((s) => ({
        ...s,
        falco: { ...s.falco, tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }] },
      })),
    );
    const spec = (manifest(tainted, "canary") as unknown as CanaryDaemonSet).spec!.template.spec!;
    assert.deepEqual(spec.tolerations, [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("relies only on chart keys the pinned falco chart has, with the defaults the canary needs", () => {
    const falco = chartDefaults("falco") as {
      tolerations: unknown;
      metrics: { rulesCountersEnabled: boolean };
      falco: { priority: string };
    };
    assert.equal(falco.metrics.rulesCountersEnabled, true, "the per-rule match counter the alert reads");
    assert.equal(falco.falco.priority, "debug", "Falco loads the Debug canary rule");
    assert.ok(Array.isArray(falco.tolerations));
  });

  it("is on in prod and staging, off in dev, and exported for demo --nodes", () => {
    for (const [stack, enabled] of [
      ["prod", true],
      ["staging", true],
      ["dev", false],
    ] as const) {
      const { plan: stackPlan } = renderStack({ stack, env: {}, credentials: CREDENTIALS });
      assert.equal(stackPlan.outputs.canary.enabled, enabled, stack);
      assert.equal(
        stackPlan.objects.some((object) => object.id === "canary"),
        enabled,
        stack,
      );
    }
    assert.deepEqual(rendered.plan.outputs.canary, {
      enabled: true,
      namespace: "falco-stack-canary",
      labelSelector: "app.kubernetes.io/name=falco-stack-canary",
      container: "falco-stack-canary",
      rule: CANARY_RULE,
      beaconFile: CANARY_BEACON_FILE,
      schedule: "5m",
      alert: true,
    });
  });

  it("is refused without the canary rule among the rule files", () => {
    const withoutCanary = collectRuleFiles(["rules/falco-stack-detections.yaml"], projectRoot);
    assert.throws(
      () => plan(prodSettings(), withoutCanary),
      (error: unknown) =>
        error instanceof ConfigError &&
        /falco-stack:rules\.files: must include rules\/falco-stack-canary\.yaml/.test(error.message),
    );
  });
});

describe("canary alert", () => {
  const alerting = plan(prodSettings(withAlert));
  const rule = manifest(alerting, "canary-alerts") as unknown as CanaryPrometheusRule;

  it("is a valid PrometheusRule in the Falco namespace, with the window, interval and severity settings", () => {
    assert.doesNotThrow(() => new PrometheusRule(rule as never).validate());
    assert.equal(rule.metadata.namespace, "falco");
    const group = rule.spec.groups[0]!;
    assert.equal(group.interval, "1m");
    assert.deepEqual(
      group.rules.map((alert) => [alert.alert, alert.labels.severity]),
      [
        ["FalcoCanarySilent", "warning"],
        ["FalcoNodeWithoutReadyPod", "warning"],
      ],
    );
    const custom = plan(
      prodSettings((s) =>
        withAlert({
          ...s,
          canary: {
            ...s.canary,
            alert: { ...s.canary.alert, window: "1h", interval: "30s", severity: "critical" },
          },
        }),
      ),
    );
    const customRule = manifest(custom, "canary-alerts") as unknown as CanaryPrometheusRule;
    assert.equal(customRule.spec.groups[0]!.interval, "30s");
    assert.match(customRule.spec.groups[0]!.rules[0]!.expr, /\[1h\]/);
    assert.equal(customRule.spec.groups[0]!.rules[1]!.for, "1h");
    assert.equal(customRule.spec.groups[0]!.rules[0]!.labels.severity, "critical");
  });

  it("is absent while the stack's alerting is off, present in prod where it is on", () => {
    const alertsOff = (settings: StackSettings): StackSettings => ({
      ...settings,
      observability: { ...settings.observability, alerts: false },
    });
    assert.ok(!plan(prodSettings(alertsOff)).objects.some((object) => object.id === "canary-alerts"));
    assert.ok(plan(prodSettings()).objects.some((object) => object.id === "canary-alerts"));
  });

  it("selects the counter of the rule our rules file defines, by its exact name", () => {
    const file = parse(
      fs.readFileSync(path.join(projectRoot, "rules", "falco-stack-canary.yaml"), "utf8"),
    ) as {
      rule?: string;
      priority?: string;
      tags?: string[];
    }[];
    const canary = file.find((item) => item.rule === CANARY_RULE);
    assert.ok(canary, `rules/falco-stack-canary.yaml defines "${CANARY_RULE}"`);
    assert.equal(canary.priority, "DEBUG", "below every human-facing output's default");
    assert.ok(canary.tags?.includes("falco_stack_canary"));
    assert.match(rule.spec.groups[0]!.rules[0]!.expr, new RegExp(`rule_name="${CANARY_RULE}"`));
  });

  it("uses only the metric names Falco 0.44 and kube-state-metrics export (CANARY_ALERT_METRICS)", () => {
    const promqlWords = new Set([
      "max",
      "by",
      "on",
      "unless",
      "group_left",
      "increase",
      "time",
      "and",
      "or",
      "node",
      "namespace",
      "pod",
    ]);
    const expressions = Object.values(
      canaryAlertExpressions({ falcoNamespace: "falco", alert: prodSettings().canary.alert }),
    );
    assert.deepEqual(
      expressions,
      rule.spec.groups[0]!.rules.map((alert) => alert.expr),
    );
    const used = new Set<string>();
    for (const expression of expressions) {
      const bare = expression
        .replace(/\{[^}]*\}/g, " ")
        .replace(/\[[^\]]*\]/g, " ")
        .replace(/"[^"]*"/g, " ");
      for (const word of bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []) {
        if (!promqlWords.has(word)) used.add(word);
      }
    }
    assert.deepEqual([...used].sort(), [...CANARY_ALERT_METRICS].sort());
  });
});

describe("canary settings and their prerequisites", () => {
  it("default off, every 5m, a pinned busybox, alert following observability", () => {
    const { canary } = stackSettingsSchema.parse({});
    assert.deepEqual(canary, {
      enabled: false,
      schedule: "5m",
      image: "docker.io/library/busybox:1.37.0",
      alert: { window: "30m", interval: "1m", severity: "warning" },
    });
  });

  it("refuse the alert without observability alerts, and without the canary", () => {
    assert.deepEqual(issues({ canary: { enabled: true, alert: { enabled: true } } }), [
      "canary.alert.enabled: needs the stack's observability alerts on (observability.alerts): Prometheus must scrape Falco's rule-match metric and load the stack's PrometheusRules",
    ]);
    assert.match(
      issues({ canary: { alert: { enabled: true } } })[0] ?? "",
      /^canary\.alert\.enabled: needs canary\.enabled: true/,
    );
    assert.throws(
      () => parseStackConfig({ canary: { enabled: true, alert: { enabled: true } } }),
      /falco-stack:canary\.alert\.enabled: needs the stack's observability alerts/,
    );
  });

  it("refuse a window shorter than three schedules, a schedule out of range, and bad durations", () => {
    assert.deepEqual(issues({ canary: { enabled: true, schedule: "15m", alert: { window: "30m" } } }), [
      "canary.alert.window: must be at least 3 canary schedules (2700s for canary.schedule 15m), or every scrape gap raises a false alert",
    ]);
    assert.deepEqual(issues({ canary: { schedule: "10s" } }), [
      "canary.schedule: must be between 30s and 1h",
    ]);
    assert.match(
      issues({ canary: { schedule: "5 minutes" } })[0] ?? "",
      /^canary\.schedule: must be a whole number of seconds, minutes or hours/,
    );
    assert.match(
      issues({ canary: { alert: { severity: "page" } } })[0] ?? "",
      /allowed: critical, warning, info/,
    );
  });

  it("refuse a Falco priority that would skip the Debug canary rule, and the canary's namespace for Falco", () => {
    assert.deepEqual(
      issues({ canary: { enabled: true }, falco: { values: { falco: { priority: "notice" } } } }),
      [
        "falco.values.falco.priority: must stay debug while canary.enabled: Falco skips rules below its priority, and the canary rule is DEBUG, so every node would look silent",
      ],
    );
    assert.deepEqual(
      issues({ falco: { values: { falco: { priority: "notice" } } } }),
      [],
      "fine without the canary",
    );
    assert.match(
      issues({ canary: { enabled: true }, namespace: "falco-stack-canary" })[0] ?? "",
      /^namespace: must differ from the canary's namespace/,
    );
  });
});

describe("outputs while the canary runs", () => {
  const outputs = {
    slack: { webhookurl: "https://hooks.slack.com/services/T/B/x", acknowledgePlaintext: true },
    loki: { hostport: "http://loki:3100" },
    extra: { pagerduty: { routingkey: "r" } },
  };

  it("human-facing outputs default to informational, stores keep debug", () => {
    const planned = planOutputs(outputs, { missingSecret: "error", canary: true });
    const config = planned.chartConfig as Record<string, { minimumpriority?: string }>;
    assert.equal(config.slack?.minimumpriority, "informational");
    assert.equal(config.pagerduty?.minimumpriority, "informational");
    assert.equal(config.loki?.minimumpriority, "debug");
    assert.deepEqual(
      planned.enabled.map((output) => `${output.name}:${output.minimumpriority}`),
      ["slack:informational", "loki:debug", "pagerduty:informational"],
    );
    const without = planOutputs(outputs, { missingSecret: "error" }).chartConfig as Record<
      string,
      { minimumpriority?: string }
    >;
    assert.equal(without.slack?.minimumpriority, "debug", "unchanged without the canary");
    assert.equal(without.pagerduty?.minimumpriority, undefined);
  });

  it("an explicit debug on a human-facing output is kept and warned about", () => {
    const planned = planOutputs(
      {
        ...outputs,
        slack: { ...outputs.slack, minimumpriority: "debug" },
        extra: { teams: { webhookurl: "https://t", minimumpriority: "debug" } },
      },
      { missingSecret: "error", canary: true },
    );
    assert.equal((planned.chartConfig.slack as { minimumpriority: string }).minimumpriority, "debug");
    const warnings = planned.warnings.filter((warning) => warning.includes("canary"));
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0] ?? "",
      /^falco-stack:outputs\.slack\.minimumpriority is debug while the detection canary runs/,
    );
    assert.match(warnings[1] ?? "", /^falco-stack:outputs\.extra\.teams\.minimumpriority is debug/);
  });
});

describe("canary through the component's arguments", () => {
  const rules = { files: [path.join(projectRoot, "rules")] };

  it("creates the canary namespace and DaemonSet under pulumi up, with Outputs for the image", async () => {
    const { FalcoSecurityStack } = await import("../../components/falco-security-stack.ts");
    const pulumi = await import("@pulumi/pulumi");
    const { runUnderMocks } = await import("../helpers/pulumi-mocks.ts");
    const run = await runUnderMocks(() => {
      const stack = new FalcoSecurityStack("security", {
        ui: { storageClass: "" },
        rules,
        canary: { enabled: true, schedule: "2m", image: pulumi.output("registry.local/busybox:1.37.0") },
      });
      return { summary: stack.summary };
    }, {});
    const daemonSet = run.resources.find((resource) => resource.type === "kubernetes:apps/v1:DaemonSet");
    assert.ok(daemonSet, "a DaemonSet");
    const container = (daemonSet.inputs as unknown as CanaryDaemonSet).spec!.template.spec!.containers[0]!;
    assert.equal(container.image, "registry.local/busybox:1.37.0");
    assert.match(container.command?.at(-1) ?? "", /sleep 120 &/);
    assert.ok(
      run.resources.some(
        (resource) =>
          resource.type === "kubernetes:core/v1:Namespace" &&
          (resource.inputs.metadata as { name: string }).name === "falco-stack-canary",
      ),
    );
    assert.equal((run.outputs.summary as { canary: { enabled: boolean } }).canary.enabled, true);
  });

  it("reports the alert without observability as a bad argument, and creates nothing", async () => {
    const { FalcoSecurityStack } = await import("../../components/falco-security-stack.ts");
    const pulumi = await import("@pulumi/pulumi");
    const { failureUnderMocks } = await import("../helpers/pulumi-mocks.ts");
    const { error, registered } = await failureUnderMocks(
      () =>
        new FalcoSecurityStack("security", {
          ui: { storageClass: "" },
          rules,
          canary: { enabled: true, alert: { enabled: true } },
        }),
      {},
    );
    assert.ok(pulumi.InputPropertiesError.isInstance(error), String(error));
    assert.deepEqual(
      error.errors.map((e) => e.propertyPath),
      ["canary.alert.enabled"],
    );
    assert.equal(registered, 0);
  });
});
