import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStackSettings } from "../../src/stack/settings.ts";

/** Raw chart values may not beat what the stack owns or guarantees; air-gapped needs a driver that needs nothing. */

function issuesFor(raw: unknown): { path: string; message: string }[] {
  const result = validateStackSettings(raw);
  return result.ok
    ? []
    : result.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

const UI = { storageClass: "standard" };

describe("raw sidekick values", () => {
  const typed: [string, unknown, string, string][] = [
    [
      "webui.enabled with the UI off",
      { webui: { enabled: true } },
      "sidekick.values.webui.enabled",
      "ui.enabled",
    ],
    ["replicaCount", { replicaCount: 5 }, "sidekick.values.replicaCount", "sidekick.replicas"],
    [
      "webui.replicaCount",
      { webui: { replicaCount: 3 } },
      "sidekick.values.webui.replicaCount",
      "ui.replicas",
    ],
    [
      "webui.redis.storageClass",
      { webui: { redis: { storageClass: "gp3" } } },
      "sidekick.values.webui.redis.storageClass",
      "ui.storageClass",
    ],
    [
      "webui.redis.storageSize",
      { webui: { redis: { storageSize: "9Gi" } } },
      "sidekick.values.webui.redis.storageSize",
      "ui.storageSize",
    ],
    ["webui.ttl", { webui: { ttl: "1d" } }, "sidekick.values.webui.ttl", "ui.ttl"],
  ];
  for (const [title, values, path, typedKey] of typed) {
    it(`${title} is an error naming ${typedKey}`, () => {
      const issues = issuesFor({ ui: { ...UI, enabled: false }, sidekick: { values } });
      assert.deepEqual(
        issues.map((issue) => issue.path),
        [path],
      );
      assert.match(issues[0]!.message, new RegExp(`use ${typedKey.replace(".", "\\.")}`));
    });
  }

  it("webui.disableauth is refused: it turns the login off", () => {
    const [issue] = issuesFor({ ui: UI, sidekick: { values: { webui: { disableauth: true } } } });
    assert.equal(issue?.path, "sidekick.values.webui.disableauth");
    assert.match(issue!.message, /refused: it turns the UI login off/);
  });

  it("config.extraEnv is refused: it would carry a credential in plain values", () => {
    const [issue] = issuesFor({
      ui: UI,
      sidekick: { values: { config: { extraEnv: [{ name: "SLACK_WEBHOOKURL", value: "https://hooks" }] } } },
    });
    assert.equal(issue?.path, "sidekick.values.config.extraEnv");
    assert.match(issue!.message, /plain text/);
  });

  it("keys no typed setting covers still pass", () => {
    assert.deepEqual(
      issuesFor({
        ui: UI,
        sidekick: { values: { webui: { loglevel: "debug" }, podLabels: { team: "sec" } } },
      }),
      [],
    );
  });
});

describe("raw falco values", () => {
  const refused: [string, unknown, string, RegExp][] = [
    [
      "http_output.enabled: false",
      { falco: { http_output: { enabled: false } } },
      "falco.values.falco.http_output.enabled",
      /falcosidekick/,
    ],
    ["json_output: false", { falco: { json_output: false } }, "falco.values.falco.json_output", /JSON/],
    [
      "json_include_output_fields_property: false",
      { falco: { json_include_output_fields_property: false } },
      "falco.values.falco.json_include_output_fields_property",
      /400/,
    ],
    ["tty", { tty: false }, "falco.values.tty", /use falco\.tty/],
    ["resources", { resources: {} }, "falco.values.resources", /use falco\.resources/],
    ["tolerations", { tolerations: [] }, "falco.values.tolerations", /use falco\.tolerations/],
    [
      "falcoctl.artifact",
      { falcoctl: { artifact: { follow: { enabled: true } } } },
      "falco.values.falcoctl.artifact",
      /use falco\.airGapped/,
    ],
  ];
  for (const [title, values, path, message] of refused) {
    it(`${title} is refused at ${path}`, () => {
      const issues = issuesFor({ ui: UI, falco: { values } });
      assert.deepEqual(
        issues.map((issue) => issue.path),
        [path],
      );
      assert.match(issues[0]!.message, message);
    });
  }
});

describe("air-gapped drivers", () => {
  for (const driver of ["kmod", "auto"]) {
    it(`refuses ${driver} with falco.airGapped: the driver loader would reach the internet`, () => {
      const issues = issuesFor({ ui: UI, falco: { airGapped: true, driver } });
      assert.deepEqual(
        issues.map((issue) => issue.path),
        ["falco.driver"],
      );
      assert.match(issues[0]!.message, /air-gapped.*modern_ebpf/);
    });
    it(`accepts ${driver} when not air-gapped`, () => {
      assert.deepEqual(issuesFor({ ui: UI, falco: { driver } }), []);
    });
  }
  it("accepts modern_ebpf air-gapped", () => {
    assert.deepEqual(issuesFor({ ui: UI, falco: { airGapped: true } }), []);
  });
});
