import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { resolvedValueError } from "../../components/argument-checks.ts";
import { FalcoSecurityStack } from "../../components/falco-security-stack.ts";
import { LateValues } from "../../src/stack/late.ts";
import { chartDefaults, unknownValuesKeys } from "../helpers/chart-values.ts";
import { failureUnderMocks, runUnderMocks, type Registered } from "../helpers/pulumi-mocks.ts";
import { projectRoot } from "../helpers/shared.ts";

/** FalcoSecurityStack used from a user's own program: Outputs and secrets in, no stack file. */

const CHART = "kubernetes:helm.sh/v4:Chart";
const rules = { files: [path.join(projectRoot, "rules")] };

function named(resources: Registered[], type: string, name: string): Registered {
  const found = resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `${type} ${name} registered; have ${resources.map((r) => r.name).join(", ")}`);
  return found;
}

function chartValues(resources: Registered[], chart: string): Record<string, Record<string, unknown>> {
  const found = resources.find((r) => r.type === CHART && r.inputs.chart === chart);
  assert.ok(found, `chart ${chart}`);
  return found.inputs.values as Record<string, Record<string, unknown>>;
}

describe("FalcoSecurityStack as a library component", () => {
  it("takes Outputs and secrets, resolves them into the right objects and keeps secrets secret", async () => {
    const run = await runUnderMocks(() => {
      const storageClass = pulumi.output("fast-ssd");
      const stack = new FalcoSecurityStack("security", {
        namespace: pulumi.output("runtime-security"),
        ui: { storageClass, storageSize: "20Gi" },
        outputs: {
          slack: {
            webhookurl: pulumi.secret("https://hooks.slack.com/services/T/B/from-an-output"),
            minimumpriority: "warning",
          },
        },
        rules,
      });
      return { uiPassword: stack.uiPassword, summary: stack.summary };
    }, {});
    const sidekick = chartValues(run.resources, "falcosidekick");
    const redis = (sidekick.webui!.redis ?? {}) as Record<string, unknown>;
    assert.equal(redis.storageClass, "fast-ssd");
    assert.equal(redis.storageSize, "20Gi");
    assert.deepEqual((sidekick.config!.slack as Record<string, unknown>).minimumpriority, "warning");
    assert.ok(!JSON.stringify(sidekick).includes("from-an-output"), "the webhook never reaches chart values");
    assert.deepEqual(unknownValuesKeys(sidekick, chartDefaults("falcosidekick")), []);

    const outputsSecret = named(run.resources, "kubernetes:core/v1:Secret", "security-sidekick-outputs");
    assert.deepEqual(outputsSecret.secretInputs, ["stringData"]);
    assert.equal(
      (outputsSecret.inputs.stringData as Record<string, string>).SLACK_WEBHOOKURL,
      "https://hooks.slack.com/services/T/B/from-an-output",
    );
    assert.equal((outputsSecret.inputs.metadata as { namespace: string }).namespace, "runtime-security");

    const falco = chartValues(run.resources, "falco");
    assert.equal(
      (falco.falco!.http_output as { url: string }).url,
      "http://falcosidekick.runtime-security:2801/",
    );
    const namespace = named(run.resources, "kubernetes:core/v1:Namespace", "security-namespace");
    assert.equal((namespace.inputs.metadata as { name: string }).name, "runtime-security");
    assert.ok(run.secretOutputs.includes("uiPassword"));
    const summary = run.outputs.summary as { namespace: string; outputs: unknown[] };
    assert.equal(summary.namespace, "runtime-security");
    assert.deepEqual(summary.outputs, [{ name: "slack", minimumpriority: "warning" }]);
  });

  it("parents every resource under the stack and orders Secrets and ConfigMaps before the charts", async () => {
    const run = await runUnderMocks(() => {
      new FalcoSecurityStack("security", { ui: { storageClass: "" }, rules, demo: { enabled: true } });
      return {};
    }, {});
    for (const resource of run.resources) {
      if (resource.type === "falco-stack:index:FalcoSecurityStack" || resource.type.startsWith("pulumi:"))
        continue;
      assert.ok(resource.parent, `${resource.name} has a parent`);
    }
    const falco = run.resources.find((r) => r.type === CHART && r.inputs.chart === "falco");
    assert.deepEqual(falco?.dependsOn.sort(), [
      "kubernetes:core/v1:ConfigMap::security-rules",
      "kubernetes:helm.sh/v4:Chart::security-sidekick",
    ]);
    const sidekick = run.resources.find((r) => r.type === CHART && r.inputs.chart === "falcosidekick");
    assert.ok(sidekick?.dependsOn.includes("kubernetes:core/v1:Secret::security-sidekick-outputs"));
    named(run.resources, "kubernetes:core/v1:Pod", "security-demo");
  });

  it("reports bad arguments by property path with InputPropertiesError, and creates nothing", async () => {
    const { error, registered } = await failureUnderMocks(() => {
      new FalcoSecurityStack("security", {
        sidekick: { replicas: 0 },
        ui: { storageSize: "10GB" },
        rules,
      });
    }, {});
    assert.ok(pulumi.InputPropertiesError.isInstance(error), String(error));
    const paths = error.errors.map((e) => e.propertyPath).sort();
    assert.deepEqual(paths, ["sidekick.replicas", "ui.storageSize"]);
    assert.doesNotMatch(error.message, /falco-stack:/, "component errors name properties, not config keys");
    assert.match(error.errors.find((e) => e.propertyPath === "ui.storageSize")!.reason, /write 10Gi/);
    assert.equal(registered, 0);
  });

  it("checks cross-field rules the same way the stack file does: storage class required with a volume", async () => {
    const { error } = await failureUnderMocks(() => new FalcoSecurityStack("security", { rules }), {});
    assert.ok(pulumi.InputPropertiesError.isInstance(error));
    assert.deepEqual(
      error.errors.map((e) => e.propertyPath),
      ["ui.storageClass"],
    );
  });

  it("refuses an Output where the value decides which resources exist", async () => {
    const { error } = await failureUnderMocks(
      () =>
        new FalcoSecurityStack("security", {
          ui: { enabled: pulumi.output(false) as unknown as boolean },
          rules,
        }),
      {},
    );
    assert.ok(pulumi.InputPropertiesError.isInstance(error));
    assert.match(error.errors[0]!.reason, /plain value, not an Output/);
    assert.equal(error.errors[0]!.propertyPath, "ui.enabled");
  });

  it("names the rule file and line of a rule Falco would refuse", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-components-"));
    fs.writeFileSync(
      path.join(dir, "broken.yaml"),
      "- rule: Broken\n  desc: x\n  condition: evt.type = open and\n  output: x\n  priority: WARNING\n",
    );
    const { error, registered } = await failureUnderMocks(
      () =>
        new FalcoSecurityStack("security", {
          ui: { enabled: false },
          rules: { files: ["broken.yaml"], root: dir },
        }),
      {},
    );
    assert.ok(pulumi.InputPropertiesError.isInstance(error));
    assert.equal(error.errors[0]!.propertyPath, "rules.files");
    assert.match(error.message, /broken\.yaml:3:\d+: error/);
    assert.equal(registered, 0);
  });

  it("uses a Secret the team manages with outputs.existingSecret and creates none of its own", async () => {
    const run = await runUnderMocks(() => {
      new FalcoSecurityStack("security", {
        ui: { enabled: false },
        outputs: { existingSecret: "falcosidekick-from-vault", slack: { minimumpriority: "error" } },
        rules,
      });
      return {};
    }, {});
    const sidekick = chartValues(run.resources, "falcosidekick");
    assert.equal(sidekick.config!.existingSecret, "falcosidekick-from-vault");
    assert.ok(!run.resources.some((r) => r.name === "security-sidekick-outputs"));

    const { error } = await failureUnderMocks(
      () =>
        new FalcoSecurityStack("security", {
          ui: { enabled: false },
          outputs: {
            existingSecret: "falcosidekick-from-vault",
            slack: { webhookurl: pulumi.secret("https://hooks.slack.com/services/T/B/x") },
          },
          rules,
        }),
      {},
    );
    assert.ok(pulumi.InputPropertiesError.isInstance(error));
    assert.equal(error.errors[0]!.propertyPath, "outputs.slack.webhookurl");
  });

  it("checks an Output's value by the same rules once it resolves, at its property path", () => {
    const late = new LateValues<unknown>();
    const args = {
      ui: {
        storageClass: late.stand("", ["ui", "storageClass"]),
        storageSize: late.stand("", ["ui", "storageSize"]),
      },
      outputs: { slack: { webhookurl: late.stand("", ["outputs", "slack", "webhookurl"]) } },
    };
    const size = resolvedValueError(args, ["ui", "storageSize"], "10GB");
    assert.ok(size);
    assert.deepEqual(
      size.errors.map((e) => e.propertyPath),
      ["ui.storageSize"],
    );
    assert.match(size.errors[0]!.reason, /write 10Gi/);
    assert.equal(resolvedValueError(args, ["ui", "storageSize"], "20Gi"), undefined);

    const webhook = resolvedValueError(
      args,
      ["outputs", "slack", "webhookurl"],
      "http://insecure/hook-secret",
    );
    assert.ok(webhook);
    assert.equal(webhook.errors[0]!.propertyPath, "outputs.slack.webhookurl");
    assert.doesNotMatch(webhook.message, /hook-secret/, "a sensitive value is never printed");
    assert.equal(
      resolvedValueError(args, ["outputs", "slack", "webhookurl"], "https://hooks.slack.com/services/T/B/x"),
      undefined,
    );
  });
});
