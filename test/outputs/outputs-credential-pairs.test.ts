import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/errors.ts";
import { planOutputs, type PlanOptions } from "../../src/outputs/index.ts";

/** Credentials falcosidekick 2.32 never sends unless they come as a set are refused, naming the missing key. */

const OPTIONS: PlanOptions = { missingSecret: "error", allSecret: true };

function issueKeys(raw: unknown, options: PlanOptions = OPTIONS): { key: string; message: string }[] {
  try {
    planOutputs(raw, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((issue) => ({ key: issue.key, message: issue.message }));
  }
  return [];
}

const KAFKA = { hostport: "kafka:9092", topic: "falco" };
const LOKI = { hostport: "http://loki:3100" };
const ES = { hostport: "https://es:9200" };
const MQTT = { broker: "tcp://mqtt:1883" };

describe("outputs: credentials falcosidekick only sends together", () => {
  const cases: [string, unknown, string[]][] = [
    [
      "Kafka username and password without sasl",
      { kafka: { ...KAFKA, username: "u", password: "p" } },
      ["kafka.sasl"],
    ],
    ["Kafka username alone", { kafka: { ...KAFKA, username: "u" } }, ["kafka.sasl", "kafka.password"]],
    [
      "Kafka sasl without credentials",
      { kafka: { ...KAFKA, sasl: "PLAIN" } },
      ["kafka.username", "kafka.password"],
    ],
    ["Loki apikey without user", { loki: { ...LOKI, apikey: "k" } }, ["loki.user"]],
    ["Loki user without apikey", { loki: { ...LOKI, user: "u" } }, ["loki.apikey"]],
    ["Elasticsearch username only", { elasticsearch: { ...ES, username: "u" } }, ["elasticsearch.password"]],
    ["Elasticsearch password only", { elasticsearch: { ...ES, password: "p" } }, ["elasticsearch.username"]],
    ["MQTT user only", { mqtt: { ...MQTT, user: "u" } }, ["mqtt.password"]],
    ["MQTT password only", { mqtt: { ...MQTT, password: "p" } }, ["mqtt.user"]],
  ];
  for (const [title, raw, missing] of cases) {
    it(`refuses ${title}, naming ${missing.join(" and ")}`, () => {
      const issues = issueKeys(raw);
      assert.deepEqual(
        issues.map((issue) => issue.key),
        missing.map((key) => `falco-stack:outputs.${key}`),
      );
      for (const issue of issues) assert.match(issue.message, /^is required with .*falcosidekick 2\.32/);
    });
  }

  it("accepts complete sets, and outputs without credentials", () => {
    assert.deepEqual(
      issueKeys({ kafka: { ...KAFKA, sasl: "SCRAM_SHA512", username: "u", password: "p" } }),
      [],
    );
    assert.deepEqual(issueKeys({ kafka: KAFKA, loki: LOKI, elasticsearch: ES, mqtt: MQTT }), []);
    assert.deepEqual(issueKeys({ loki: { ...LOKI, user: "u", apikey: "k" } }), []);
    assert.deepEqual(issueKeys({ elasticsearch: { ...ES, username: "u", password: "p" } }), []);
    assert.deepEqual(issueKeys({ mqtt: { ...MQTT, user: "u", password: "p" } }), []);
  });

  it("counts secrets declared in the stack file as given", () => {
    assert.deepEqual(
      issueKeys(
        { elasticsearch: { ...ES, username: "<secret>", password: "<secret>" } },
        { missingSecret: "placeholder", env: {} },
      ),
      [],
    );
    assert.deepEqual(
      issueKeys(
        { elasticsearch: { ...ES, username: "<secret>" } },
        { missingSecret: "placeholder", env: {} },
      ).map((issue) => issue.key),
      ["falco-stack:outputs.elasticsearch.password"],
    );
  });

  it("leaves sensitive keys to a user-managed Secret (outputs.existingSecret)", () => {
    assert.deepEqual(
      issueKeys({ kafka: { ...KAFKA, sasl: "PLAIN" } }, { ...OPTIONS, existingSecret: true }),
      [],
    );
  });
});
