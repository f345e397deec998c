import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/errors.ts";
import { parseStackConfig } from "../../src/config/schema.ts";
import { LateValues } from "../../src/stack/late.ts";
import { readValidatedRuleFiles } from "../../src/stack/rule-files.ts";
import { validateStackSettings } from "../../src/stack/settings.ts";

/** `key: message` lines of the ConfigError `fn` throws. */
function refusals(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.key}: ${issue.message}`);
  }
  assert.fail("accepted");
}

const storage = { storageClass: "standard" };
const withStorage = { ui: storage };

describe("settings a cluster would refuse or misread are refused at their key (issue 13, item 8)", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "a storage class with spaces",
      { ui: { storageClass: "my storage class" } },
      /^falco-stack:ui\.storageClass: "my storage class" is not a valid Kubernetes name.*or "" for the cluster default/,
    ],
    [
      "an upper-case storage class",
      { ui: { storageClass: "GP3" } },
      /^falco-stack:ui\.storageClass: "GP3" is not a valid Kubernetes name/,
    ],
    [
      "a shell expansion as storage class",
      { ui: { storageClass: "$(id)" } },
      /^falco-stack:ui\.storageClass: "\$\(id\)" is not/,
    ],
    [
      "a zero volume size",
      { ui: { ...storage, storageSize: "0Gi" } },
      /^falco-stack:ui\.storageSize: must be more than 0/,
    ],
    [
      "a request above its own limit",
      { ...withStorage, falco: { resources: { requests: { cpu: "2" }, limits: { cpu: "500m" } } } },
      /^falco-stack:falco\.resources\.requests\.cpu: the request 2 is above the limit 500m, and Kubernetes refuses/,
    ],
    [
      "a request above the chart's default limit",
      { ...withStorage, falco: { resources: { requests: { memory: "2Gi" } } } },
      /^falco-stack:falco\.resources\.requests\.memory: the request 2Gi is above the chart's default limit 1024Mi.*set falco\.resources\.limits\.memory too/,
    ],
    [
      "a limit below the chart's default request",
      { ...withStorage, falco: { resources: { limits: { memory: "256Mi" } } } },
      /^falco-stack:falco\.resources\.limits\.memory: the chart's default request 512Mi is above the limit 256Mi.*set falco\.resources\.requests\.memory too/,
    ],
    [
      "a toleration Exists with a value",
      { ...withStorage, falco: { tolerations: [{ key: "k", operator: "Exists", value: "v" }] } },
      /^falco-stack:falco\.tolerations\[0\]\.value: must be empty with operator Exists/,
    ],
    [
      "tolerationSeconds without NoExecute",
      { ...withStorage, falco: { tolerations: [{ key: "k", effect: "NoSchedule", tolerationSeconds: 30 }] } },
      /^falco-stack:falco\.tolerations\[0\]\.tolerationSeconds: is only allowed with effect NoExecute/,
    ],
    [
      "an invalid label key in ui.allowedFrom",
      { ui: { ...storage, allowedFrom: [{ namespaceSelector: { matchLabels: { "not a key": "x" } } }] } },
      /^falco-stack:ui\.allowedFrom\[0\]\.namespaceSelector\.matchLabels\.not a key: label key "not a key" is not valid/,
    ],
    [
      "an invalid label key in an expression",
      {
        ui: {
          ...storage,
          allowedFrom: [{ podSelector: { matchExpressions: [{ key: "-x", operator: "Exists" }] } }],
        },
      },
      /matchExpressions\[0\]\.key: label key "-x" is not valid/,
    ],
    [
      "In without values",
      {
        ui: {
          ...storage,
          allowedFrom: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }] } }],
        },
      },
      /^falco-stack:ui\.allowedFrom\[0\]\.namespaceSelector\.matchExpressions\[0\]\.values: must list at least one value for operator In/,
    ],
    [
      "kube-system as namespace",
      { ...withStorage, namespace: "kube-system" },
      /^falco-stack:namespace: "kube-system" is reserved for Kubernetes itself/,
    ],
    [
      "kube-public as demo namespace",
      { ...withStorage, demo: { namespace: "kube-public" } },
      /^falco-stack:demo\.namespace: "kube-public" is reserved/,
    ],
    [
      "a falco chart we do not support",
      { ...withStorage, falco: { chartVersion: "9.2.0" } },
      /^falco-stack:falco\.chartVersion: "9\.2\.0" is not supported: .*falco chart 9\.1\.x only/,
    ],
    [
      "a falcosidekick chart we do not support",
      { ...withStorage, sidekick: { chartVersion: "0.13.2" } },
      /^falco-stack:sidekick\.chartVersion: "0\.13\.2" is not supported: .*0\.14\.x only/,
    ],
    [
      "a falcosidekick request above its limit",
      {
        ...withStorage,
        sidekick: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } },
      },
      /^falco-stack:sidekick\.resources\.requests\.memory: the request 1Gi is above the limit 512Mi, and Kubernetes refuses/,
    ],
    [
      "a UI request above its limit",
      { ui: { ...storage, resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } } },
      /^falco-stack:ui\.resources\.requests\.cpu: the request 2 is above the limit 1, and Kubernetes refuses/,
    ],
    [
      "a Redis request above its limit",
      { ui: { ...storage, redisResources: { requests: { cpu: "1" }, limits: { cpu: "100m" } } } },
      /^falco-stack:ui\.redisResources\.requests\.cpu: the request 1 is above the limit 100m/,
    ],
    [
      "a Redis memory limit below the maxmemory the volume gives",
      { ui: { ...storage, storageSize: "10Gi", redisResources: { limits: { memory: "1Gi" } } } },
      /^falco-stack:ui\.redisResources\.limits\.memory: 1Gi is below Redis's maxmemory 2560Mi \(ui\.redisMaxMemory "auto": a quarter of ui\.storageSize\): the container would be OOM-killed .*\(3840Mi\)/,
    ],
    [
      "a Redis memory limit below the maxmemory it is given",
      { ui: { ...storage, redisMaxMemory: "1Gi", redisResources: { limits: { memory: "512Mi" } } } },
      /^falco-stack:ui\.redisResources\.limits\.memory: 512Mi is below Redis's maxmemory 1024Mi: .*or lower ui\.redisMaxMemory/,
    ],
    [
      "an image reference that is not one",
      { ...withStorage, demo: { image: "Nginx Latest" } },
      /^falco-stack:demo\.image: "Nginx Latest" is not an image reference/,
    ],
  ];
  for (const [title, raw, expected] of cases) {
    it(title, () => {
      const found = refusals(() => parseStackConfig(raw));
      assert.ok(
        found.some((line) => expected.test(line)),
        found.join("\n"),
      );
    });
  }

  it("a 2 MB storage class is refused with the value cut short", () => {
    const [message] = refusals(() => parseStackConfig({ ui: { storageClass: "a".repeat(2_000_000) } }));
    assert.match(message ?? "", /is longer than 253 characters/);
    assert.ok((message ?? "").length < 400, "the message does not repeat the value");
  });

  it("still accepts what a cluster accepts", () => {
    const config = parseStackConfig({
      ui: {
        storageClass: "gp3.csi-x",
        storageSize: "20Gi",
        allowedFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress" } } }],
      },
      falco: {
        chartVersion: "9.1.2",
        resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } },
        tolerations: [{ operator: "Exists" }, { key: "k", effect: "NoExecute", tolerationSeconds: 60 }],
      },
      demo: { image: "registry.example.com:5000/team/nginx:1.25@sha256:" + "a".repeat(64) },
    });
    assert.equal(config.ui.storageClass, "gp3.csi-x");
    // Redis with room above its maxmemory (a quarter of 20Gi), and limits without requests.
    const redis = { limits: { cpu: "1", memory: "8Gi" } };
    const roomy = parseStackConfig({ ui: { ...storage, storageSize: "20Gi", redisResources: redis } });
    assert.deepEqual(roomy.ui.redisResources, redis);
    // Without the UI its Redis does not run: nothing to be killed.
    const small = { limits: { memory: "64Mi" } };
    assert.equal(parseStackConfig({ ui: { enabled: false, redisResources: small } }).ui.enabled, false);
    assert.equal(parseStackConfig({ ui: { storageClass: "" } }).ui.storageClass, "");
  });

  it("a late value (a Pulumi Output) passes now and is checked once it resolves", () => {
    const late = new LateValues();
    const result = validateStackSettings({
      namespace: late.stand("ns"),
      ui: { storageClass: late.stand("sc") },
      falco: { chartVersion: late.stand("v") },
      demo: { image: late.stand("img") },
    });
    assert.ok(result.ok, JSON.stringify(result));
  });
});

describe("rule files a ConfigMap cannot hold are refused (issue 13, item 8)", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-rulefiles-"));
  const rule = "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n";

  it("a file name that is not a ConfigMap key", () => {
    fs.mkdirSync(path.join(root, "spaced"));
    fs.writeFileSync(path.join(root, "spaced", "my rules.yaml"), rule);
    const [message] = refusals(() => readValidatedRuleFiles(["spaced"], root, ["falco-rules"]));
    assert.match(
      message ?? "",
      /^falco-stack:rules\.files\[0\]: the file name "my rules\.yaml" becomes a ConfigMap key/,
    );
  });

  it("rules over the ConfigMap size limit", () => {
    fs.mkdirSync(path.join(root, "big"));
    fs.writeFileSync(path.join(root, "big", "big.yaml"), `${rule}${"# padding\n".repeat(110_000)}`);
    const [message] = refusals(() => readValidatedRuleFiles(["big"], root, ["falco-rules"]));
    assert.match(
      message ?? "",
      /^falco-stack:rules\.files: the rule files add up to \d+ bytes, over the 1048576 bytes \(1 MiB\)/,
    );
  });

  it("a folder without any rules file", () => {
    fs.mkdirSync(path.join(root, "empty"));
    fs.writeFileSync(path.join(root, "empty", "README.md"), "no rules here");
    const [message] = refusals(() => readValidatedRuleFiles(["empty"], root, ["falco-rules"]));
    assert.match(message ?? "", /^falco-stack:rules\.files\[0\]: the folder "empty" holds no rules file/);
  });
});

describe("a huge mistaken value is not repeated in full (issue 13, item 8)", () => {
  it("settings and outputs cut it short", () => {
    const huge = "x".repeat(100_000);
    const messages = refusals(() =>
      parseStackConfig({ ui: { storageClass: huge }, falco: { driver: huge }, namespace: huge }),
    );
    for (const message of messages) assert.ok(message.length < 500, message.slice(0, 200));
  });
});
