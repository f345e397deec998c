import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CustomRules } from "../components/custom-rules.ts";
import { DemoWorkload } from "../components/demo-workload.ts";
import { FalcoAgent } from "../components/falco-agent.ts";
import { Sidekick } from "../components/sidekick.ts";
import { ConfigError } from "../src/config/errors.ts";
import { RulesValidationError } from "../src/falco-rules/index.ts";
import { chartDefaults, unknownValuesKeys } from "./helpers/chart-values.ts";
import { failureUnderMocks, runUnderMocks, type Registered } from "./helpers/pulumi-mocks.ts";

/** The components used on their own, as a library user would, with only the required args. */

function only(resources: Registered[], type: string): Registered {
  const found = resources.filter((r) => r.type === type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
}

describe("components used directly", () => {
  it("FalcoAgent applies the documented defaults", async () => {
    const run = await runUnderMocks(() => {
      const agent = new FalcoAgent("falco", { namespace: "security" });
      return { version: agent.chartVersion };
    }, {});
    const chart = only(run.resources, "kubernetes:helm.sh/v4:Chart");
    const values = chart.inputs.values as Record<string, Record<string, unknown>>;
    assert.equal(chart.inputs.version, "9.1.0");
    assert.equal(chart.inputs.namespace, "security");
    assert.deepEqual(values.driver, { kind: "modern_ebpf" });
    assert.equal(values.tty as unknown, true);
    assert.equal(
      (values.falco!.http_output as { url: string }).url,
      "http://falcosidekick.security.svc.cluster.local:2801/",
    );
    assert.deepEqual(unknownValuesKeys(values, chartDefaults("falco")), []);
    assert.equal(chart.parent, "falco-stack:index:FalcoAgent::falco");
  });

  it("FalcoAgent refuses raw values chart 9.x rejects, before the chart is registered", async () => {
    const { error, types } = await failureUnderMocks(() => {
      new FalcoAgent("falco", {
        namespace: "falco",
        settings: { values: { driver: { ebpf: { hostNetwork: true } } } },
      });
    }, {});
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /falco\.values\.driver\.ebpf: falco chart 9\.x refuses this key: .*modern_ebpf/,
    );
    assert.ok(!types.includes("kubernetes:helm.sh/v4:Chart"));
  });

  it("CustomRules validates the files it reads and creates no ConfigMap for a broken rule", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-components-"));
    fs.writeFileSync(
      path.join(dir, "broken.yaml"),
      "- rule: Broken\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: NOTICE\n",
    );
    const { error, types } = await failureUnderMocks(() => {
      new CustomRules("rules", { namespace: "falco", files: [dir] });
    }, {});
    assert.ok(error instanceof RulesValidationError);
    assert.match(error.message, /broken\.yaml:3:\d+: error: /);
    assert.ok(!types.includes("kubernetes:core/v1:ConfigMap"));
  });

  it("CustomRules ships the files it read by default from rules/", async () => {
    const run = await runUnderMocks(() => {
      const rules = new CustomRules("rules", { namespace: "falco" });
      return { files: rules.fileNames, checksum: rules.checksum };
    }, {});
    const data = only(run.resources, "kubernetes:core/v1:ConfigMap").inputs.data as Record<string, string>;
    assert.deepEqual(Object.keys(data), run.outputs.files);
    assert.ok(Object.keys(data).includes("nginx-html-write.yaml"));
  });

  it("Sidekick without UI settings keeps Redis on the cluster's default StorageClass and generates credentials", async () => {
    const run = await runUnderMocks(() => {
      const sidekick = new Sidekick("sidekick", { namespace: "falco" });
      return { user: sidekick.uiUser, password: sidekick.uiPassword };
    }, {});
    const chart = only(run.resources, "kubernetes:helm.sh/v4:Chart");
    const webui = (chart.inputs.values as { webui: Record<string, Record<string, unknown>> }).webui;
    assert.equal(webui.enabled as unknown, true);
    assert.equal("storageClass" in webui.redis!, false);
    assert.equal(webui.redis!.storageSize, "1Gi");
    assert.deepEqual(run.secretOutputs.sort(), ["password", "user"]);
    assert.deepEqual(
      unknownValuesKeys(chart.inputs.values as Record<string, unknown>, chartDefaults("falcosidekick")),
      [],
    );
  });

  it("DemoWorkload deploys the tutorial's www pod by default", async () => {
    const run = await runUnderMocks(() => {
      const demo = new DemoWorkload("demo");
      return { namespace: demo.namespace, pod: demo.podName };
    }, {});
    const pod = only(run.resources, "kubernetes:core/v1:Pod");
    assert.deepEqual(pod.inputs.metadata, {
      name: "www",
      namespace: "demo",
      labels: {
        "app.kubernetes.io/part-of": "falco-stack",
        "app.kubernetes.io/managed-by": "falco-stack",
        "app.kubernetes.io/name": "falco-stack-demo",
        run: "www",
      },
    });
    assert.deepEqual(run.outputs, { namespace: "demo", pod: "www" });
  });
});
