import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { secretChecksum } from "../../src/stack/rule-files.ts";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { chartDefaults, unknownValuesKeys } from "../helpers/chart-values.ts";
import * as pulumi from "@pulumi/pulumi";
import {
  failureUnderMocks,
  pulumiConfigFrom,
  runUnderMocks,
  type ProgramRun,
  type Registered,
} from "../helpers/pulumi-mocks.ts";

/** The Slack secret prod declares with `<secret>`: a committed stack file cannot hold it. */
const SLACK_URL = "https://hooks.slack.com/services/T0/B0/secret";

async function runStack(stack: string, extra: Record<string, unknown> = {}): Promise<ProgramRun> {
  const { runProgram } = await import("../../components/program.ts");
  const raw = { ...readStackConfig({ stack }).raw, ...extra };
  return runUnderMocks(runProgram, pulumiConfigFrom(raw), { stack });
}

function find(run: ProgramRun, type: string, name: string): Registered {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  assert.ok(
    found,
    `${type}::${name} registered; got ${run.resources.map((r) => `${r.type}::${r.name}`).join(", ")}`,
  );
  return found;
}

const CHART = "kubernetes:helm.sh/v4:Chart";
const SECRET = "kubernetes:core/v1:Secret";

function values(resource: Registered): Record<string, unknown> {
  return resource.inputs.values as Record<string, unknown>;
}

function at(object: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

describe("the program under mocks: dev stack", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runStack("dev");
  });

  it("installs the two pinned charts from the falcosecurity repository", () => {
    const falco = find(run, CHART, "falco-stack-falco");
    const sidekick = find(run, CHART, "falco-stack-sidekick");
    assert.deepEqual(
      [falco.inputs.chart, falco.inputs.version, falco.inputs.name, falco.inputs.namespace],
      ["falco", "9.1.0", "falco", "falco"],
    );
    assert.deepEqual(
      [sidekick.inputs.chart, sidekick.inputs.version, sidekick.inputs.name, sidekick.inputs.namespace],
      ["falcosidekick", "0.14.0", "falcosidekick", "falco"],
    );
    for (const chart of [falco, sidekick]) {
      assert.deepEqual(chart.inputs.repositoryOpts, { repo: "https://falcosecurity.github.io/charts" });
    }
  });

  it("configures Falco as the architecture requires", () => {
    const falco = values(find(run, CHART, "falco-stack-falco"));
    assert.equal(at(falco, "driver.kind"), "modern_ebpf");
    assert.equal(falco.tty, true);
    assert.equal(at(falco, "falcosidekick.enabled"), false);
    assert.equal(at(falco, "falco.json_output"), true);
    assert.equal(at(falco, "falco.json_include_output_property"), true);
    assert.equal(at(falco, "falco.json_include_output_fields_property"), true);
    assert.equal(at(falco, "falco.http_output.enabled"), true);
    assert.equal(at(falco, "falco.http_output.url"), "http://falcosidekick.falco:2801/");
    assert.deepEqual(
      (falco.tolerations as { key: string }[]).map((t) => t.key),
      ["node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"],
    );
    assert.deepEqual(at(falco, "resources.limits"), { cpu: "1000m", memory: "1024Mi" });
    assert.deepEqual(falco.customRules, {});
  });

  it("mounts the custom rules ConfigMap as a directory and rolls the DaemonSet on a rules change", () => {
    const falco = values(find(run, CHART, "falco-stack-falco"));
    assert.deepEqual(at(falco, "mounts.volumes"), [
      { name: "custom-rules", configMap: { name: "falco-custom-rules" } },
    ]);
    assert.deepEqual(at(falco, "mounts.volumeMounts"), [
      { name: "custom-rules", mountPath: "/etc/falco/rules.d", readOnly: true },
    ]);
    assert.deepEqual(at(falco, "falco.rules_files"), [
      "/etc/falco/falco_rules.yaml",
      "/etc/falco/falco-incubating_rules.yaml",
      "/etc/falco/rules.d",
    ]);
    const checksum = (run.outputs.rules as { checksum: string }).checksum;
    assert.match(checksum, /^[0-9a-f]{64}$/);
    assert.deepEqual(falco.podAnnotations, { "falco-stack/rules-checksum": checksum });
  });

  it("pins the rulesets falcoctl installs and turns following off", () => {
    const falco = values(find(run, CHART, "falco-stack-falco"));
    assert.deepEqual(at(falco, "falcoctl.config.artifact.install.refs"), [
      "falco-rules:5.1.0",
      "falco-incubating-rules:6.0.1",
    ]);
    assert.equal(at(falco, "falcoctl.artifact.follow.enabled"), false);
  });

  it("ships every file in rules/ unchanged in one ConfigMap keyed by file name", () => {
    const configMap = find(run, "kubernetes:core/v1:ConfigMap", "falco-stack-rules");
    const expected = Object.fromEntries(
      fs
        .readdirSync("rules")
        .filter((name) => name.endsWith(".yaml"))
        .map((name) => [name, fs.readFileSync(path.join("rules", name), "utf8")]),
    );
    assert.ok("nginx-html-write.yaml" in expected);
    assert.deepEqual(configMap.inputs.data, expected);
    assert.deepEqual((run.outputs.rules as { files: string[] }).files, Object.keys(expected).sort());
    assert.equal(at(configMap.inputs, "metadata.name"), "falco-custom-rules");
    assert.equal(at(configMap.inputs, "metadata.namespace"), "falco");
  });

  it("configures falcosidekick and its UI without a secret in the values", () => {
    const sidekick = values(find(run, CHART, "falco-stack-sidekick"));
    assert.equal(sidekick.fullnameOverride, "falcosidekick");
    assert.equal(sidekick.replicaCount, 2);
    assert.equal(at(sidekick, "config.existingSecret"), "falcosidekick-outputs");
    assert.deepEqual(at(sidekick, "config.webhook"), { minimumpriority: "debug" });
    assert.equal(at(sidekick, "webui.enabled"), true);
    assert.equal(at(sidekick, "webui.image.tag"), "2.3.0");
    assert.equal(at(sidekick, "webui.user"), "");
    assert.equal(at(sidekick, "webui.existingSecret"), "falcosidekick-ui-auth");
    assert.equal(at(sidekick, "webui.ttl"), "7d");
    assert.equal(at(sidekick, "webui.redis.existingSecret"), "falcosidekick-redis-auth");
    assert.equal(at(sidekick, "webui.redis.storageEnabled"), true);
    assert.equal(at(sidekick, "webui.redis.storageClass"), "standard");
    assert.equal(at(sidekick, "webui.redis.storageSize"), "1Gi");
    const serialized = JSON.stringify(sidekick);
    assert.ok(!serialized.includes("admin:admin"));
    assert.ok(!serialized.includes("webhooks.app"), "the webhook address stays out of values");
    assert.ok(!serialized.includes("mock-password"), "no generated password in values");
  });

  it("rolls falcosidekick on an outputs Secret change with a keyed checksum, its key a secret of its own", () => {
    const annotations = values(find(run, CHART, "falco-stack-sidekick")).podAnnotations as Record<
      string,
      string
    >;
    const key = "mock-password-falco-stack-sidekick-checksum-key";
    const data = { WEBHOOK_ADDRESS: "https://webhooks.app/data?token=LJDEM0" };
    assert.equal(annotations["falco-stack/outputs-checksum"], secretChecksum(data, key));
    assert.notEqual(secretChecksum(data, key), secretChecksum({ WEBHOOK_ADDRESS: "https://other" }, key));
    assert.notEqual(secretChecksum(data, key), secretChecksum(data, "another key"));
  });

  it("generates the UI and Redis credentials and hands them over in Secrets marked secret", () => {
    const ui = find(run, SECRET, "falco-stack-sidekick-ui-auth");
    const redis = find(run, SECRET, "falco-stack-sidekick-redis-auth");
    const outputs = find(run, SECRET, "falco-stack-sidekick-outputs");
    for (const secret of [ui, redis, outputs]) assert.deepEqual(secret.secretInputs, ["stringData"]);
    const redisPassword = "mock-password-falco-stack-sidekick-redis-password";
    assert.deepEqual(ui.inputs.stringData, {
      FALCOSIDEKICK_UI_USER: "falco-mockuser:mock-password-falco-stack-sidekick-ui-password",
      FALCOSIDEKICK_UI_REDIS_PASSWORD: redisPassword,
      REDIS_PASSWORD: redisPassword,
    });
    assert.deepEqual(redis.inputs.stringData, {
      REDIS_ARGS: `--requirepass ${redisPassword}`,
      REDIS_PASSWORD: redisPassword,
    });
    assert.deepEqual(outputs.inputs.stringData, {
      WEBHOOK_ADDRESS: "https://webhooks.app/data?token=LJDEM0",
    });
    assert.equal(at(ui.inputs, "metadata.name"), "falcosidekick-ui-auth");
    assert.equal(at(redis.inputs, "metadata.name"), "falcosidekick-redis-auth");
    assert.equal(at(outputs.inputs, "metadata.name"), "falcosidekick-outputs");
  });

  it("exports the UI credentials as secrets and everything the demo needs", () => {
    assert.deepEqual(run.secretOutputs.sort(), ["uiPassword", "uiUser"]);
    assert.equal(run.outputs.uiUser, "falco-mockuser");
    assert.equal(run.outputs.namespace, "falco");
    assert.deepEqual(run.outputs.chartVersions, { falco: "9.1.0", falcosidekick: "0.14.0" });
    assert.equal(run.outputs.sidekickUrl, "http://falcosidekick.falco:2801/");
    assert.deepEqual(run.outputs.ui, {
      enabled: true,
      namespace: "falco",
      serviceName: "falcosidekick-ui",
      port: 2802,
      portForwardCommand: "kubectl -n falco port-forward svc/falcosidekick-ui 2802:2802",
    });
    assert.deepEqual(run.outputs.demo, {
      enabled: true,
      namespace: "demo",
      podName: "www",
      container: "www",
      labelSelector: "app.kubernetes.io/name=falco-stack-demo",
    });
    assert.deepEqual(run.outputs.outputs, [{ name: "webhook", minimumpriority: "debug" }]);
    assert.ok(!JSON.stringify(run.outputs.outputs).includes("webhooks.app"));
  });

  it("labels the namespaces for Pod Security: Falco privileged, the demo baseline", () => {
    const falcoNs = find(run, "kubernetes:core/v1:Namespace", "falco-stack-namespace");
    const demoNs = find(run, "kubernetes:core/v1:Namespace", "falco-stack-demo-namespace");
    assert.equal(at(falcoNs.inputs, "metadata.name"), "falco");
    assert.equal(
      at(falcoNs.inputs, "metadata.labels")?.valueOf() &&
        (at(falcoNs.inputs, "metadata.labels") as Record<string, string>)[
          "pod-security.kubernetes.io/enforce"
        ],
      "privileged",
    );
    assert.equal(at(demoNs.inputs, "metadata.name"), "demo");
    assert.equal(
      (at(demoNs.inputs, "metadata.labels") as Record<string, string>)["pod-security.kubernetes.io/enforce"],
      "baseline",
    );
  });

  it("deploys the tutorial's www pod in the demo namespace", () => {
    const pod = find(run, "kubernetes:core/v1:Pod", "falco-stack-demo");
    assert.equal(at(pod.inputs, "metadata.name"), "www");
    assert.equal(at(pod.inputs, "metadata.namespace"), "demo");
    assert.equal(
      (at(pod.inputs, "metadata.labels") as Record<string, string>)["app.kubernetes.io/name"],
      "falco-stack-demo",
    );
    const containers = at(pod.inputs, "spec.containers") as { image: string }[];
    assert.equal(containers[0]!.image, "nginx:1.24");
  });

  it("parents every resource under its component and orders ConfigMaps and Secrets before the charts", () => {
    const parentOf = (type: string, name: string) => find(run, type, name).parent;
    const stack = "falco-stack:index:FalcoSecurityStack::falco-stack";
    for (const component of [
      "CustomRules::falco-stack-rules",
      "Sidekick::falco-stack-sidekick",
      "FalcoAgent::falco-stack-falco",
      "DemoWorkload::falco-stack-demo",
    ]) {
      const [type, name] = component.split("::");
      assert.equal(parentOf(`falco-stack:index:${type}`, name!), stack);
    }
    assert.equal(parentOf(CHART, "falco-stack-falco"), "falco-stack:index:FalcoAgent::falco-stack-falco");
    assert.equal(parentOf(CHART, "falco-stack-sidekick"), "falco-stack:index:Sidekick::falco-stack-sidekick");
    assert.equal(
      parentOf("kubernetes:core/v1:ConfigMap", "falco-stack-rules"),
      "falco-stack:index:CustomRules::falco-stack-rules",
    );
    assert.equal(
      parentOf(SECRET, "falco-stack-sidekick-ui-auth"),
      "falco-stack:index:Sidekick::falco-stack-sidekick",
    );

    assert.deepEqual(find(run, CHART, "falco-stack-sidekick").dependsOn.sort(), [
      `${SECRET}::falco-stack-sidekick-outputs`,
      `${SECRET}::falco-stack-sidekick-redis-auth`,
      `${SECRET}::falco-stack-sidekick-ui-auth`,
    ]);
    assert.deepEqual(find(run, CHART, "falco-stack-falco").dependsOn.sort(), [
      "kubernetes:core/v1:ConfigMap::falco-stack-rules",
      `${CHART}::falco-stack-sidekick`,
    ]);
  });

  it("registers each resource once", () => {
    const keys = run.resources.map((r) => `${r.type}::${r.name}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it("sets only values keys the pinned charts know", () => {
    assert.deepEqual(
      unknownValuesKeys(values(find(run, CHART, "falco-stack-falco")), chartDefaults("falco")),
      [],
    );
    assert.deepEqual(
      unknownValuesKeys(values(find(run, CHART, "falco-stack-sidekick")), chartDefaults("falcosidekick")),
      [],
    );
  });
});

describe("the program under mocks: other stacks and edge configs", () => {
  it("deploys staging with NATS and without the demo", async () => {
    const run = await runStack("staging");
    assert.deepEqual(run.outputs.outputs, [{ name: "nats", minimumpriority: "notice" }]);
    assert.deepEqual(run.outputs.demo, { enabled: false });
    assert.ok(!run.resources.some((r) => r.type === "kubernetes:core/v1:Pod"));
    assert.deepEqual(find(run, SECRET, "falco-stack-sidekick-outputs").inputs.stringData, {
      NATS_HOSTPORT: "nats://nats.nats:4222",
    });
  });

  it("deploys prod once its secret is set: Slack, Loki and Elasticsearch, a 10Gi volume, no demo", async () => {
    const { runProgram } = await import("../../components/program.ts");
    const raw = readStackConfig({ stack: "prod" }).raw as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const outputs = raw.outputs!;
    const withSecret = {
      ...raw,
      outputs: {
        ...outputs,
        slack: { ...outputs.slack, webhookurl: SLACK_URL },
        elasticsearch: { ...outputs.elasticsearch, username: "falco", password: "es-password" },
      },
    };
    const run = await runUnderMocks(runProgram, pulumiConfigFrom(withSecret), {
      stack: "prod",
      secretKeys: ["falco-stack:outputs"],
    });
    assert.deepEqual((run.outputs.outputs as { name: string }[]).map((o) => o.name).sort(), [
      "elasticsearch",
      "loki",
      "slack",
    ]);
    const sidekick = values(find(run, CHART, "falco-stack-sidekick"));
    assert.equal(at(sidekick, "webui.redis.storageSize"), "10Gi");
    assert.equal(at(sidekick, "webui.redis.storageClass"), "gp3");
    assert.ok(!JSON.stringify(sidekick).includes("hooks.slack.com"));
    assert.ok(!JSON.stringify(sidekick).includes("es-password"));
    assert.deepEqual(find(run, SECRET, "falco-stack-sidekick-outputs").inputs.stringData, {
      SLACK_WEBHOOKURL: SLACK_URL,
      ELASTICSEARCH_USERNAME: "falco",
      ELASTICSEARCH_PASSWORD: "es-password",
    });
    assert.deepEqual(run.outputs.demo, { enabled: false });
  });

  it("stops prod without its secrets, printing the exact commands, and registers nothing", async () => {
    const { runProgram } = await import("../../components/program.ts");
    const { error, registered } = await failureUnderMocks(
      runProgram,
      pulumiConfigFrom(readStackConfig({ stack: "prod" }).raw),
      {
        stack: "prod",
      },
    );
    assert.ok(
      error instanceof pulumi.RunError,
      "a RunError: Pulumi prints its message without a stack trace",
    );
    assert.match(
      error.message,
      /pulumi config set --secret --path 'falco-stack:outputs\.slack\.webhookurl' --stack prod/,
    );
    assert.equal(registered, 0);
  });

  it("refuses bad config before registering any resource", async () => {
    const { runProgram } = await import("../../components/program.ts");
    const { error, registered } = await failureUnderMocks(runProgram, {
      "falco-stack:ui": JSON.stringify({ storageClass: "x", storageSize: "10GB" }),
    });
    assert.ok(error instanceof pulumi.RunError);
    assert.match(error.message, /falco-stack:ui\.storageSize: .*write 10Gi/);
    assert.equal(registered, 0);
  });

  it("stops on a rule Falco would refuse, naming file, line and column, before any resource", async () => {
    const { runProgram } = await import("../../components/program.ts");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-rules-"));
    fs.writeFileSync(
      path.join(dir, "broken.yaml"),
      "- rule: Broken\n  desc: a typo in a field name\n  condition: evt.type = open and proc.nme = bash\n  output: x %proc.name\n  priority: WARNING\n",
    );
    const { error, registered } = await failureUnderMocks(runProgram, {
      "falco-stack:ui": JSON.stringify({ storageClass: "x" }),
      "falco-stack:rules": JSON.stringify({ files: [dir] }),
    });
    assert.ok(error instanceof pulumi.RunError);
    assert.match(error.message, new RegExp(`${path.join(dir, "broken.yaml")}:3:34: error: .*proc\\.nme`));
    assert.equal(registered, 0);
  });

  it("reads secrets through the config API, never the stack file: a secret outputs block is trusted as a whole", async (t) => {
    const { runProgram } = await import("../../components/program.ts");
    // No stack file on disk: what the engine hands over is all the program reads.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-secure-"));
    const warnings: string[] = [];
    t.mock.method(pulumi.log, "warn", (message: string) => {
      warnings.push(message);
      return Promise.resolve();
    });
    const outputs = {
      slack: { webhookurl: "https://hooks.slack.com/services/T/B/decrypted" },
      elasticsearch: { hostport: "https://es:9200", username: "falco", password: "plain-es-password" },
    };
    const run = await runUnderMocks(
      () => runProgram(root),
      pulumiConfigFrom({ ui: { storageClass: "x" }, rules: { files: [path.resolve("rules")] }, outputs }),
      { stack: "team", secretKeys: ["falco-stack:outputs"] },
    );
    // The engine marks falco-stack:outputs secret as a whole; per-leaf origin is not knowable.
    assert.ok(!warnings.some((w) => w.includes("plain-es-password")), "no warning prints the value");
    const secret = find(run, "kubernetes:core/v1:Secret", "falco-stack-sidekick-outputs");
    assert.equal(
      (secret.inputs.stringData as Record<string, string>).ELASTICSEARCH_PASSWORD,
      "plain-es-password",
    );
    assert.ok(!JSON.stringify(run.outputs).includes("plain-es-password"));
  });

  it("refuses a misspelled config namespace instead of ignoring the block", async () => {
    const { runProgram } = await import("../../components/program.ts");
    const { error, registered } = await failureUnderMocks(runProgram, {
      "falco-stack:ui": JSON.stringify({ storageClass: "x" }),
      "falco-stak:outputs": JSON.stringify({ slack: { webhookurl: "https://hooks.slack.com/x" } }),
    });
    assert.ok(error instanceof pulumi.RunError);
    assert.match(
      error.message,
      /falco-stak:outputs: unknown config namespace "falco-stak": did you mean falco-stack:outputs\?/,
    );
    assert.equal(registered, 0);
  });

  it("turns the UI off and NetworkPolicies off when asked", async () => {
    const run = await runStack("dev", { ui: { enabled: false }, sidekick: { networkPolicies: false } });
    const sidekick = values(find(run, CHART, "falco-stack-sidekick"));
    assert.equal(at(sidekick, "webui.enabled"), false);
    assert.deepEqual(
      run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name),
      ["falco-stack-sidekick-checksum-key"],
      "no UI or Redis credentials",
    );
    assert.ok(!run.resources.some((r) => r.type === SECRET && r.name.includes("auth")));
    assert.ok(!run.resources.some((r) => r.type.includes("NetworkPolicy")));
    assert.deepEqual(run.outputs.ui, { enabled: false });
    assert.equal(run.outputs.uiPassword, undefined);
  });

  it("runs air-gapped without falcoctl, shadowing /etc/falco/config.d; kmod is refused there", async () => {
    const airGapped = await runStack("dev", {
      falco: { airGapped: true },
      rules: { files: ["rules"], rulesets: ["falco-rules"] },
    });
    const falco = values(find(airGapped, CHART, "falco-stack-falco"));
    assert.equal(at(falco, "falcoctl.artifact.install.enabled"), false);
    assert.equal(at(falco, "falcoctl.artifact.follow.enabled"), false);
    assert.ok(
      (at(falco, "mounts.volumeMounts") as { mountPath: string }[]).some(
        (m) => m.mountPath === "/etc/falco/config.d",
      ),
    );

    const { runProgram } = await import("../../components/program.ts");
    const refused = await failureUnderMocks(
      runProgram,
      pulumiConfigFrom({
        ...readStackConfig({ stack: "dev" }).raw,
        falco: { airGapped: true, driver: "kmod" },
        rules: { files: ["rules"], rulesets: ["falco-rules"] },
      }),
      { stack: "dev" },
    );
    assert.match(String(refused.error), /falco-stack:falco\.driver: "kmod" needs the driver loader/);

    const kmod = await runStack("dev", { falco: { driver: "kmod" } });
    const kmodValues = values(find(kmod, CHART, "falco-stack-falco"));
    assert.equal(at(kmodValues, "driver.kind"), "kmod");
    assert.ok(
      !(at(kmodValues, "mounts.volumeMounts") as { mountPath: string }[]).some(
        (m) => m.mountPath === "/etc/falco/config.d",
      ),
    );
    assert.deepEqual(unknownValuesKeys(kmodValues, chartDefaults("falco")), []);
  });

  it("loads the rulesets a stack enables in Falco's order, before our rules", async () => {
    const run = await runStack("dev", {
      rules: { files: ["rules"], rulesets: ["falco-sandbox-rules", "falco-rules"] },
    });
    const falco = values(find(run, CHART, "falco-stack-falco"));
    assert.deepEqual(at(falco, "falco.rules_files"), [
      "/etc/falco/falco-sandbox_rules.yaml",
      "/etc/falco/falco_rules.yaml",
      "/etc/falco/rules.d",
    ]);
    assert.deepEqual(at(falco, "falcoctl.config.artifact.install.refs"), [
      "falco-sandbox-rules:6.1.0",
      "falco-rules:5.1.0",
    ]);
  });

  it("merges raw chart values last", async () => {
    const run = await runStack("dev", {
      falco: { values: { falco: { priority: "notice" }, nodeSelector: { pool: "sec" } } },
      sidekick: { values: { priorityClassName: "high" } },
    });
    const falco = values(find(run, CHART, "falco-stack-falco"));
    assert.equal(at(falco, "falco.priority"), "notice");
    assert.deepEqual(falco.nodeSelector, { pool: "sec" });
    assert.equal(at(falco, "falco.json_output"), true, "merging keeps the rest of the map");
    assert.equal(values(find(run, CHART, "falco-stack-sidekick")).priorityClassName, "high");
  });
});
