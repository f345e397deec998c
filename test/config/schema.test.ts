import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/errors.ts";
import { parseStackConfig } from "../../src/config/schema.ts";
import { readStackConfig, StackFileError } from "../../src/config/stack-file.ts";

/** The messages of the ConfigError `fn` throws, as `key: message` lines. */
function configErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.key}: ${issue.message}`);
  }
  assert.fail("expected a ConfigError");
}

const withStorage = { ui: { storageClass: "standard" } };

describe("stack config defaults", () => {
  it("applies the documented defaults to an empty config with an explicit storage class", () => {
    const config = parseStackConfig(withStorage);
    assert.equal(config.namespace, "falco");
    assert.equal(config.falco.chartVersion, "9.1.0");
    assert.equal(config.falco.driver, "modern_ebpf");
    assert.equal(config.falco.tty, true);
    assert.equal(config.falco.airGapped, false);
    assert.deepEqual(
      config.falco.tolerations.map((t) => t.key),
      ["node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"],
    );
    assert.equal(config.sidekick.chartVersion, "0.14.0");
    assert.equal(config.sidekick.networkPolicies, true);
    assert.equal(config.ui.enabled, true);
    assert.equal(config.ui.storageSize, "1Gi");
    assert.equal(config.ui.ttl, "7d");
    assert.deepEqual(config.rules, { files: ["rules"], rulesets: ["falco-rules"] });
    assert.deepEqual(config.demo, { enabled: false, namespace: "demo", name: "www", image: "nginx:1.24" });
  });

  it("accepts the drivers chart 9.x renders", () => {
    for (const driver of ["modern_ebpf", "auto", "kmod"]) {
      assert.equal(parseStackConfig({ ...withStorage, falco: { driver } }).falco.driver, driver);
    }
  });
});

describe("stack config errors name the key and what is allowed", () => {
  it("refuses 10GB with a hint to write 10Gi", () => {
    const [message] = configErrors(() =>
      parseStackConfig({ ui: { storageClass: "x", storageSize: "10GB" } }),
    );
    assert.match(message!, /^falco-stack:ui\.storageSize: /);
    assert.match(message!, /write 10Gi/);
  });

  it("refuses the removed eBPF and gVisor drivers, saying what to use", () => {
    const [ebpf] = configErrors(() => parseStackConfig({ ...withStorage, falco: { driver: "ebpf" } }));
    assert.match(ebpf!, /^falco-stack:falco\.driver: .*removed in falco chart 9\.0\.0; use modern_ebpf/);
    const [gvisor] = configErrors(() => parseStackConfig({ ...withStorage, falco: { driver: "gvisor" } }));
    assert.match(gvisor!, /^falco-stack:falco\.driver: .*gVisor/);
    const [other] = configErrors(() => parseStackConfig({ ...withStorage, falco: { driver: "magic" } }));
    assert.match(other!, /allowed: modern_ebpf, auto, kmod/);
  });

  it("refuses raw chart values that chart 9.x rejects", () => {
    const messages = configErrors(() =>
      parseStackConfig({
        ...withStorage,
        falco: {
          values: {
            driver: { kind: "ebpf", ebpf: { hostNetwork: true } },
            falco: { grpc: {}, grpc_output: {} },
          },
        },
      }),
    );
    assert.deepEqual(
      messages.map((m) => m.split(":").slice(0, 2).join(":")),
      [
        "falco-stack:falco.values.driver.ebpf",
        "falco-stack:falco.values.driver.kind",
        "falco-stack:falco.values.falco.grpc",
        "falco-stack:falco.values.falco.grpc_output",
      ],
    );
    assert.match(messages[0]!, /falco chart 9\.x refuses this key: .*modern_ebpf/);
    assert.match(messages[1]!, /managed by falco-stack: set the driver with falco\.driver/);
    assert.match(messages[2]!, /falco chart 9\.x refuses this key: .*gRPC/);
  });

  it("refuses raw falco values that would bypass rule validation or cut Falco off from sidekick", () => {
    const messages = configErrors(() =>
      parseStackConfig({
        ...withStorage,
        falco: {
          values: {
            customRules: { "x.yaml": "- rule: unchecked" },
            mounts: { volumes: [] },
            falco: { rules_files: ["/etc/falco/x.yaml"], http_output: { url: "http://elsewhere" } },
            falcosidekick: { enabled: true },
          },
        },
      }),
    );
    assert.deepEqual(
      messages.map((m) => m.split(": ")[0]),
      [
        "falco-stack:falco.values.customRules",
        "falco-stack:falco.values.mounts",
        "falco-stack:falco.values.falco.rules_files",
        "falco-stack:falco.values.falco.http_output.url",
        "falco-stack:falco.values.falcosidekick",
      ],
    );
    assert.match(messages[0]!, /falco-stack:rules\.files, validated before deploy/);
  });

  it("refuses raw falcosidekick values that would put a credential into chart values", () => {
    const messages = configErrors(() =>
      parseStackConfig({
        ...withStorage,
        sidekick: {
          values: {
            fullnameOverride: "sk",
            config: {
              existingSecret: "mine",
              slack: { webhookurl: "https://hooks.slack.com/x" },
              debug: true,
            },
            webui: { user: "admin:admin", redis: { password: "hunter2" }, externalRedis: { password: "x" } },
          },
        },
      }),
    );
    assert.deepEqual(
      messages.map((m) => m.split(": ")[0]),
      [
        "falco-stack:sidekick.values.fullnameOverride",
        "falco-stack:sidekick.values.config.existingSecret",
        "falco-stack:sidekick.values.webui.user",
        "falco-stack:sidekick.values.webui.redis.password",
        "falco-stack:sidekick.values.webui.externalRedis.password",
        "falco-stack:sidekick.values.config.slack",
      ],
    );
    assert.match(messages[5]!, /configure outputs under falco-stack:outputs/);
    assert.ok(messages.every((m) => !m.includes("hunter2") && !m.includes("hooks.slack.com")));
    assert.equal(
      parseStackConfig({ ...withStorage, sidekick: { values: { config: { debug: true } } } }).sidekick.values
        .config
        ? true
        : false,
      true,
      "settings that are not outputs or credentials pass through",
    );
  });

  it("names unknown keys and lists the allowed ones", () => {
    const [top] = configErrors(() => parseStackConfig({ ...withStorage, output: {} }));
    assert.match(
      top!,
      /^falco-stack:output: unknown key; allowed: namespace, falco, sidekick, outputs, ui, rules, demo.*did you mean "outputs"\?/,
    );
    const [nested] = configErrors(() => parseStackConfig({ ui: { storageClass: "x", storgeSize: "1Gi" } }));
    assert.match(nested!, /^falco-stack:ui: unknown key "storgeSize"; allowed: .*storageSize/);
  });

  it("checks types and shapes", () => {
    assert.match(
      configErrors(() => parseStackConfig({ ...withStorage, falco: { tty: "yes" } }))[0]!,
      /falco\.tty: must be true or false/,
    );
    assert.match(
      configErrors(() => parseStackConfig({ ...withStorage, namespace: "Falco_NS" }))[0]!,
      /^falco-stack:namespace: must be a DNS label/,
    );
    assert.match(
      configErrors(() => parseStackConfig({ ...withStorage, rules: { rulesets: ["falco-rulez"] } }))[0]!,
      /^falco-stack:rules\.rulesets\[0\]: allowed: falco-rules, falco-incubating-rules, falco-sandbox-rules/,
    );
    assert.match(
      configErrors(() => parseStackConfig({ ui: { storageClass: "x", ttl: "7 days" } }))[0]!,
      /^falco-stack:ui\.ttl: /,
    );
    assert.match(
      configErrors(() => parseStackConfig({ ...withStorage, sidekick: { replicas: 0 } }))[0]!,
      /^falco-stack:sidekick\.replicas: /,
    );
    assert.match(
      configErrors(() =>
        parseStackConfig({ ...withStorage, falco: { resources: { limits: { memory: "1GB" } } } }),
      )[0]!,
      /falco\.resources\.limits\.memory: .*write 1Gi/,
    );
  });

  it("checks the UI's extra NetworkPolicy peers at their config key", () => {
    const peers = (allowedFrom: unknown[]) => () =>
      parseStackConfig({ ui: { storageClass: "x", allowedFrom } });
    assert.deepEqual(configErrors(peers([{ ipBlok: { cidr: "10.0.0.0/8" } }])), [
      'falco-stack:ui.allowedFrom[0]: unknown key "ipBlok"',
      "falco-stack:ui.allowedFrom[0]: needs podSelector, namespaceSelector (or both), or ipBlock",
    ]);
    assert.match(
      configErrors(peers([{ ipBlock: { cidr: "10.0.0.0/33" } }]))[0]!,
      /^falco-stack:ui\.allowedFrom\[0\]\.ipBlock\.cidr: "10\.0\.0\.0\/33" is not a CIDR/,
    );
    assert.match(
      configErrors(peers([{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }]))[0]!,
      /ipBlock cannot be combined with podSelector or namespaceSelector/,
    );
    const ingress = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
    };
    assert.deepEqual(
      parseStackConfig({
        ui: { storageClass: "x", allowedFrom: [ingress, { ipBlock: { cidr: "fd00::/8" } }] },
      }).ui.allowedFrom,
      [ingress, { ipBlock: { cidr: "fd00::/8" } }],
    );
  });

  it("requires an explicit storage class for the Redis volume", () => {
    const [message] = configErrors(() => parseStackConfig({}));
    assert.match(message!, /^falco-stack:ui\.storageClass: is required/);
    assert.equal(parseStackConfig({ ui: { storageEnabled: false } }).ui.storageClass, undefined);
    assert.equal(parseStackConfig({ ui: { enabled: false } }).ui.enabled, false);
    assert.equal(parseStackConfig({ ui: { storageClass: "" } }).ui.storageClass, "");
  });

  it("refuses combinations that cannot work", () => {
    assert.match(
      configErrors(() =>
        parseStackConfig({
          ...withStorage,
          falco: { airGapped: true },
          rules: { rulesets: ["falco-rules", "falco-sandbox-rules"] },
        }),
      )[0]!,
      /^falco-stack:rules\.rulesets: with falco\.airGapped only falco-rules/,
    );
    assert.match(
      configErrors(() =>
        parseStackConfig({ ...withStorage, namespace: "demo", demo: { enabled: true } }),
      )[0]!,
      /^falco-stack:demo\.namespace: must differ/,
    );
  });
});

describe("stack files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-config-"));

  it("reads every shipped stack", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const file = readStackConfig({ stack });
      assert.equal(file.stack, stack);
      assert.ok(file.config.ui.storageClass !== undefined, `${stack} names a storage class`);
    }
  });

  it("ships dev with the demo on and prod with the demo off and a bigger volume", () => {
    const dev = readStackConfig({ stack: "dev" }).config;
    const prod = readStackConfig({ stack: "prod" }).config;
    assert.equal(dev.demo.enabled, true);
    assert.equal(dev.ui.storageClass, "standard");
    assert.equal(dev.ui.storageSize, "1Gi");
    assert.equal(prod.demo.enabled, false);
    assert.equal(prod.ui.storageSize, "10Gi");
    assert.notEqual(prod.ui.storageClass, "");
  });

  it("records encrypted values without reading them", () => {
    const file = path.join(dir, "Pulumi.secure.yaml");
    fs.writeFileSync(
      file,
      "config:\n  falco-stack:ui:\n    storageClass: gp3\n  falco-stack:outputs:\n    slack:\n      webhookurl:\n        secure: v1:abc\n      channel: '#x'\n  aws:region: eu-west-1\n",
    );
    const read = readStackConfig({ file });
    assert.equal(read.stack, "secure");
    assert.deepEqual([...read.securePaths], ["outputs.slack.webhookurl"]);
    assert.deepEqual(read.raw.outputs, { slack: { channel: "#x" } });
  });

  it("points at the line of broken YAML", () => {
    const file = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(file, "config:\n  falco-stack:ui:\n    storageClass: [gp3\n");
    assert.throws(
      () => readStackConfig({ file }),
      (error: unknown) => {
        assert.ok(error instanceof StackFileError);
        assert.match(error.message, new RegExp(`^${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: `));
        return true;
      },
    );
  });

  it("names the file and the stacks that exist when a stack is missing", () => {
    assert.throws(
      () => readStackConfig({ stack: "nope" }),
      /cannot read stack file .*Pulumi\.nope\.yaml; stacks here: dev, prod, staging/,
    );
  });

  it("names the file in config errors", () => {
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, "config:\n  falco-stack:ui:\n    storageClass: gp3\n    storageSize: 10GB\n");
    assert.throws(
      () => readStackConfig({ file }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /falco-stack:ui\.storageSize: .*\(in .*Pulumi\.bad\.yaml\)/);
        return true;
      },
    );
  });
});
