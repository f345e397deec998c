import { describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runProgram } from "../../components/program.ts";
import { renderStack } from "../../src/render/render.ts";
import { pulumiConfigFrom, runUnderMocks } from "../helpers/pulumi-mocks.ts";
import { stringify } from "yaml";
import {
  CHART_OUTPUT_KEYS,
  OUTPUT_NAMES,
  OUTPUTS,
  PRIORITIES,
  envName,
  planOutputs,
  type OutputName,
} from "../../src/outputs/index.ts";
import { ADDRESS_KEY_PATTERN, CREDENTIAL_KEY_PATTERN } from "../../src/outputs/catalog.ts";
import {
  chartHasPath,
  leafPaths,
  sidekickChartConfig,
  sidekickSecretEnvNames,
} from "../helpers/sidekick-chart.ts";
import { projectRoot } from "../helpers/shared.ts";

const chartConfig = sidekickChartConfig();
const secretEnvNames = sidekickSecretEnvNames();

interface Case {
  config: Record<string, unknown>;
  /** Paths (relative to outputs) stored with --secret, as Pulumi reports them. */
  secretPaths: string[];
  chartConfig: Record<string, unknown>;
  secretEnv: Record<string, string>;
}

/** One realistic block per output, with every sensitive key set to a value that is easy to search for. */
const CASES: Record<OutputName, Case> = {
  slack: {
    config: {
      webhookurl: "https://hooks.slack.com/services/T000/B000/slack-secret-1",
      channel: "#falco",
      username: "falco",
      outputformat: "text",
      minimumpriority: "warning",
    },
    secretPaths: ["slack.webhookurl"],
    chartConfig: {
      slack: { channel: "#falco", username: "falco", outputformat: "text", minimumpriority: "warning" },
    },
    secretEnv: { SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T000/B000/slack-secret-1" },
  },
  googlechat: {
    config: {
      webhookurl: "https://chat.googleapis.com/v1/spaces/AAA/messages?key=gc-key-2&token=gc-token-2",
      outputformat: "all",
      messageformat: "Falco: {{ .Rule }}",
      minimumpriority: "error",
    },
    secretPaths: ["googlechat.webhookurl"],
    chartConfig: {
      googlechat: { outputformat: "all", messageformat: "Falco: {{ .Rule }}", minimumpriority: "error" },
    },
    secretEnv: {
      GOOGLECHAT_WEBHOOKURL:
        "https://chat.googleapis.com/v1/spaces/AAA/messages?key=gc-key-2&token=gc-token-2",
    },
  },
  datadog: {
    config: { apikey: "dd-secret-3", host: "https://api.datadoghq.eu", minimumpriority: "critical" },
    secretPaths: ["datadog.apikey"],
    chartConfig: { datadog: { host: "https://api.datadoghq.eu", minimumpriority: "critical" } },
    secretEnv: { DATADOG_APIKEY: "dd-secret-3" },
  },
  elasticsearch: {
    config: {
      hostport: "https://es.logging:9200",
      index: "falco-events",
      suffix: "monthly",
      username: "es-user-4",
      password: "es-secret-4",
      apikey: "es-apikey-4",
      numberofshards: 1,
      numberofreplicas: "0",
      flattenfields: "true",
      customheaders: { "X-Tenant": "es-header-4" },
      batching: { enabled: false, batchsize: 1048576, flushinterval: "2s" },
      minimumpriority: "info",
    },
    secretPaths: [
      "elasticsearch.username",
      "elasticsearch.password",
      "elasticsearch.apikey",
      "elasticsearch.customheaders.X-Tenant",
    ],
    chartConfig: {
      elasticsearch: {
        hostport: "https://es.logging:9200",
        index: "falco-events",
        suffix: "monthly",
        numberofshards: 1,
        numberofreplicas: 0,
        flattenfields: true,
        // The chart pipes batchsize straight into b64enc: it must stay a string.
        batching: { enabled: false, batchsize: "1048576", flushinterval: "2s" },
        minimumpriority: "informational",
      },
    },
    secretEnv: {
      ELASTICSEARCH_USERNAME: "es-user-4",
      ELASTICSEARCH_PASSWORD: "es-secret-4",
      ELASTICSEARCH_APIKEY: "es-apikey-4",
      // falcosidekick 2.32.0 reads this one through viper's GetStringMapString, which parses JSON.
      ELASTICSEARCH_CUSTOMHEADERS: '{"X-Tenant":"es-header-4"}',
    },
  },
  loki: {
    config: {
      hostport: "http://loki.monitoring:3100",
      user: "loki-user-5",
      apikey: "loki-apikey-5",
      tenant: "team-a",
      format: "json",
      extralabels: "k8s.ns.name",
      customheaders: "X-Org:loki-org-5,Authorization:Bearer loki-token-5",
      minimumpriority: "Notice",
    },
    secretPaths: ["loki.user", "loki.apikey", "loki.customheaders"],
    chartConfig: {
      loki: {
        hostport: "http://loki.monitoring:3100",
        tenant: "team-a",
        format: "json",
        extralabels: "k8s.ns.name",
        minimumpriority: "notice",
      },
    },
    secretEnv: {
      LOKI_USER: "loki-user-5",
      LOKI_APIKEY: "loki-apikey-5",
      LOKI_CUSTOMHEADERS: "X-Org:loki-org-5,Authorization:Bearer loki-token-5",
    },
  },
  grafana: {
    config: {
      hostport: "https://grafana.example.com",
      apikey: "glsa_grafana-secret-6",
      dashboardid: 1234567,
      panelid: "3",
      allfieldsastags: true,
      minimumpriority: "alert",
    },
    secretPaths: ["grafana.apikey"],
    chartConfig: {
      grafana: {
        hostport: "https://grafana.example.com",
        // Strings: Helm would turn the number 1234567 into 1.234567e+06 through toString.
        dashboardid: "1234567",
        panelid: "3",
        allfieldsastags: true,
        minimumpriority: "alert",
      },
    },
    secretEnv: { GRAFANA_APIKEY: "glsa_grafana-secret-6" },
  },
  aws: {
    config: {
      accesskeyid: "AKIA-aws-key-7",
      secretaccesskey: "aws-secret-7",
      region: "eu-west-1",
      checkidentity: false,
      s3: { bucket: "falco-events", prefix: "prod", minimumpriority: "notice" },
    },
    secretPaths: ["aws.accesskeyid", "aws.secretaccesskey"],
    chartConfig: {
      aws: {
        region: "eu-west-1",
        checkidentity: false,
        s3: { bucket: "falco-events", prefix: "prod", minimumpriority: "notice" },
      },
    },
    secretEnv: { AWS_ACCESSKEYID: "AKIA-aws-key-7", AWS_SECRETACCESSKEY: "aws-secret-7" },
  },
  nats: {
    config: {
      hostport: "nats://falco:nats-secret-8@nats.nats:4222",
      subjecttemplate: "events.<priority>",
      checkcert: false,
      minimumpriority: "notice",
    },
    secretPaths: ["nats.hostport"],
    chartConfig: {
      nats: { subjecttemplate: "events.<priority>", checkcert: false, minimumpriority: "notice" },
    },
    secretEnv: { NATS_HOSTPORT: "nats://falco:nats-secret-8@nats.nats:4222" },
  },
  kafka: {
    config: {
      hostport: "kafka-0.kafka:9092, kafka-1.kafka",
      topic: "falco",
      sasl: "SCRAM_SHA512",
      tls: true,
      username: "kafka-user-9",
      password: "kafka-secret-9",
      requiredacks: "all",
      compression: "zstd",
      minimumpriority: "error",
    },
    secretPaths: ["kafka.username", "kafka.password"],
    chartConfig: {
      kafka: {
        hostport: "kafka-0.kafka:9092,kafka-1.kafka",
        topic: "falco",
        sasl: "SCRAM_SHA512",
        tls: true,
        requiredacks: "ALL",
        compression: "ZSTD",
        minimumpriority: "error",
      },
    },
    secretEnv: { KAFKA_USERNAME: "kafka-user-9", KAFKA_PASSWORD: "kafka-secret-9" },
  },
  mqtt: {
    config: {
      broker: "ssl://mqtt.example.com:8883",
      topic: "falco/alerts",
      qos: 1,
      retained: true,
      user: "mqtt-user-10",
      password: "mqtt-secret-10",
      minimumpriority: "warning",
    },
    secretPaths: ["mqtt.user", "mqtt.password"],
    chartConfig: {
      mqtt: {
        broker: "ssl://mqtt.example.com:8883",
        topic: "falco/alerts",
        qos: 1,
        retained: true,
        minimumpriority: "warning",
      },
    },
    secretEnv: { MQTT_USER: "mqtt-user-10", MQTT_PASSWORD: "mqtt-secret-10" },
  },
  smtp: {
    config: {
      hostport: "smtp.example.com:587",
      from: "Falco <falco@example.com>",
      to: "sec@example.com, ops@example.com",
      authmechanism: "oauthbearer",
      user: "smtp-user-11",
      password: "smtp-secret-11",
      token: "smtp-token-11",
      outputformat: "text",
      minimumpriority: "critical",
    },
    secretPaths: ["smtp.user", "smtp.password", "smtp.token"],
    chartConfig: {
      smtp: {
        hostport: "smtp.example.com:587",
        from: "Falco <falco@example.com>",
        to: "sec@example.com,ops@example.com",
        authmechanism: "oauthbearer",
        outputformat: "text",
        minimumpriority: "critical",
      },
    },
    secretEnv: { SMTP_USER: "smtp-user-11", SMTP_PASSWORD: "smtp-secret-11", SMTP_TOKEN: "smtp-token-11" },
  },
  webhook: {
    config: {
      address: "https://hooks.example.com/falco?token=webhook-token-12",
      method: "PUT",
      customHeaders: { Authorization: "Bearer webhook-header-12" },
      minimumpriority: "debug",
    },
    secretPaths: ["webhook.address", "webhook.customHeaders"],
    chartConfig: { webhook: { method: "PUT", minimumpriority: "debug" } },
    secretEnv: {
      WEBHOOK_ADDRESS: "https://hooks.example.com/falco?token=webhook-token-12",
      WEBHOOK_CUSTOMHEADERS: "Authorization:Bearer webhook-header-12",
    },
  },
  talon: {
    config: {
      address: "http://falco-talon.falco.svc.cluster.local:2803",
      checkcert: false,
      minimumpriority: "critical",
    },
    secretPaths: [],
    chartConfig: { talon: { checkcert: false, minimumpriority: "critical" } },
    secretEnv: { TALON_ADDRESS: "http://falco-talon.falco.svc.cluster.local:2803" },
  },
};

/** The values a test must never find in chart values. */
const SENSITIVE_VALUES = [
  "slack-secret-1",
  "gc-key-2",
  "gc-token-2",
  "dd-secret-3",
  "es-user-4",
  "es-secret-4",
  "es-apikey-4",
  "es-header-4",
  "loki-user-5",
  "loki-apikey-5",
  "loki-org-5",
  "loki-token-5",
  "grafana-secret-6",
  "aws-key-7",
  "aws-secret-7",
  "nats-secret-8",
  "kafka-user-9",
  "kafka-secret-9",
  "mqtt-user-10",
  "mqtt-secret-10",
  "smtp-user-11",
  "smtp-secret-11",
  "smtp-token-11",
  "webhook-token-12",
  "webhook-header-12",
];

describe("outputs: each typed output lands in values and in the Secret under the chart's names", () => {
  it("covers exactly the twelve promised outputs and Falco Talon", () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...OUTPUT_NAMES].sort());
    assert.equal(OUTPUT_NAMES.length, 13);
  });

  for (const name of OUTPUT_NAMES) {
    it(name, () => {
      const testCase = CASES[name];
      const plan = planOutputs(
        { [name]: testCase.config },
        { missingSecret: "error", secretPaths: new Set(testCase.secretPaths) },
      );
      assert.deepEqual(plan.chartConfig, testCase.chartConfig);
      assert.deepEqual(plan.secretEnv, testCase.secretEnv);
      assert.deepEqual(plan.warnings, []);
      const priorityPath = OUTPUTS[name].priorityKey.split(".");
      let expected: unknown = testCase.chartConfig[name];
      for (const part of priorityPath) expected = (expected as Record<string, unknown>)[part];
      assert.deepEqual(plan.enabled, [{ name, minimumpriority: expected }]);

      for (const path of leafPaths(plan.chartConfig)) {
        assert.ok(chartHasPath(chartConfig, path), `config.${path.join(".")} is not a key of the chart`);
      }
      for (const env of Object.keys(plan.secretEnv)) {
        assert.ok(secretEnvNames.has(env), `${env} is not an env var name of the chart's Secret`);
      }
    });
  }
});

describe("outputs: catalog against the chart", () => {
  it("every typed key is a key of the chart's config block, with an env var of the chart's Secret", () => {
    for (const name of OUTPUT_NAMES) {
      for (const key of Object.keys(OUTPUTS[name].keys)) {
        const path = [name, ...key.split(".")];
        assert.ok(chartHasPath(chartConfig, path), `config.${path.join(".")} is not a key of the chart`);
        // useirsa goes to the ServiceAccount, not to an env var.
        if (key !== "useirsa") assert.ok(secretEnvNames.has(envName(path)), `${envName(path)} missing`);
      }
    }
  });

  it("the sensitive keys are the credentials of falco-charts.md §5 plus headers and token-carrying addresses", () => {
    const sensitive = OUTPUT_NAMES.flatMap((name) =>
      Object.entries(OUTPUTS[name].keys)
        .filter(([, spec]) => spec.sensitive)
        .map(([key]) => envName([name, ...key.split(".")])),
    ).sort();
    assert.deepEqual(
      sensitive,
      [
        "SLACK_WEBHOOKURL",
        "GOOGLECHAT_WEBHOOKURL",
        "DATADOG_APIKEY",
        "ELASTICSEARCH_APIKEY",
        "ELASTICSEARCH_USERNAME",
        "ELASTICSEARCH_PASSWORD",
        "ELASTICSEARCH_CUSTOMHEADERS",
        "LOKI_USER",
        "LOKI_APIKEY",
        "LOKI_CUSTOMHEADERS",
        "GRAFANA_APIKEY",
        "AWS_ACCESSKEYID",
        "AWS_SECRETACCESSKEY",
        "NATS_HOSTPORT",
        "KAFKA_USERNAME",
        "KAFKA_PASSWORD",
        "MQTT_USER",
        "MQTT_PASSWORD",
        "SMTP_USER",
        "SMTP_PASSWORD",
        "SMTP_TOKEN",
        "WEBHOOK_ADDRESS",
        "WEBHOOK_CUSTOMHEADERS",
        "TALON_ADDRESS",
      ].sort(),
    );
  });

  it("knows every output of the chart's config block (for the passthrough key and suggestions)", () => {
    const settings = [
      "existingSecret",
      "extraEnv",
      "extraArgs",
      "debug",
      "customfields",
      "templatedfields",
      "customtags",
      "bracketreplacer",
      "outputFieldFormat",
      "mutualtlsfilespath",
      "mutualtlsclient",
      "tlsclient",
      "tlsserver",
    ];
    const outputs = Object.keys(chartConfig).filter((key) => !settings.includes(key));
    assert.deepEqual([...CHART_OUTPUT_KEYS].sort(), outputs.sort());
  });

  it("priorities are Falco's, most severe first", () => {
    assert.deepEqual(PRIORITIES, [
      "emergency",
      "alert",
      "critical",
      "error",
      "warning",
      "notice",
      "informational",
      "debug",
    ]);
  });
});

describe("outputs: no sensitive value reaches chart values", () => {
  const all = Object.fromEntries(OUTPUT_NAMES.map((name) => [name, CASES[name].config]));

  for (const mode of ["secret config", "plain text"] as const) {
    it(`every typed output at once, given as ${mode}`, () => {
      const secretPaths =
        mode === "secret config" ? new Set(OUTPUT_NAMES.flatMap((n) => CASES[n].secretPaths)) : undefined;
      const plan = planOutputs(all, { missingSecret: "error", secretPaths });
      const asJson = JSON.stringify(plan.chartConfig);
      const asYaml = stringify({ config: plan.chartConfig });
      const stackOutput = JSON.stringify(plan.enabled);
      for (const value of SENSITIVE_VALUES) {
        assert.ok(!asJson.includes(value), `${value} is in chart values`);
        assert.ok(!asYaml.includes(value), `${value} is in the rendered values file`);
        assert.ok(!stackOutput.includes(value), `${value} is in the stack output`);
        assert.ok(!plan.warnings.join("\n").includes(value), `${value} is printed in a warning`);
        assert.ok(
          Object.values(plan.secretEnv).some((v) => typeof v === "string" && v.includes(value)),
          `${value} is not in the Secret`,
        );
      }
      assert.equal(plan.enabled.length, OUTPUT_NAMES.length);
    });
  }
});

describe("outputs: no sensitive value reaches the real values files or the Chart values", () => {
  const all = Object.fromEntries(OUTPUT_NAMES.map((name) => [name, CASES[name].config]));

  /** What an unkeyed checksum of the Secret would be: it would let anyone confirm a guessed secret. */
  function unkeyedDigest(data: Record<string, string>): string {
    const hash = crypto.createHash("sha256");
    for (const [key, value] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))) {
      hash.update(key).update("\0").update(value).update("\0");
    }
    return hash.digest("hex");
  }

  it("all twelve at once: render's values files and the program's Chart values hold no secret and no plain hash of one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-all-outputs-"));
    const file = path.join(dir, "Pulumi.all.yaml");
    const config = { "falco-stack:ui": { storageClass: "standard" }, "falco-stack:outputs": all };
    fs.writeFileSync(file, stringify({ config }));
    const rendered = renderStack({ file, env: {} });
    const secretData = Object.fromEntries(
      Object.entries(planOutputs(all, { missingSecret: "error" }).secretEnv).map(([k, v]) => [k, String(v)]),
    );
    const run = await runUnderMocks(
      runProgram,
      pulumiConfigFrom({ ui: { storageClass: "standard" }, outputs: all }),
    );
    const chartValues = run.resources
      .filter((r) => r.type === "kubernetes:helm.sh/v4:Chart")
      .map((r) => JSON.stringify(r.inputs.values));
    const places: [string, string][] = [
      ["falcosidekick-values.yaml", rendered.files["falcosidekick-values.yaml"]!],
      ["falco-values.yaml", rendered.files["falco-values.yaml"]!],
      ...chartValues.map((text, index): [string, string] => [`Chart values #${index}`, text]),
      ["stack outputs", JSON.stringify(run.outputs)],
    ];
    const digest = unkeyedDigest(secretData);
    for (const [where, text] of places) {
      for (const value of SENSITIVE_VALUES) assert.ok(!text.includes(value), `${value} is in ${where}`);
      assert.ok(!text.includes(digest), `an unkeyed hash of the Secret is in ${where}`);
    }
    assert.ok(
      rendered.files["manifests.yaml"]!.includes(SENSITIVE_VALUES[0]!),
      "the secrets are in the Secret",
    );
  });
});

describe("outputs: plain-text warning", () => {
  it("a credential given in plain text still goes to the Secret, with a warning naming the key and the command", () => {
    const plan = planOutputs(
      { slack: { webhookurl: "https://hooks.slack.com/services/T/B/plain-1", channel: "#x" } },
      { missingSecret: "error", stack: "prod" },
    );
    assert.deepEqual(plan.secretEnv, { SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T/B/plain-1" });
    assert.deepEqual(plan.chartConfig, { slack: { channel: "#x", minimumpriority: "debug" } });
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0] ?? "", /falco-stack:outputs\.slack\.webhookurl/);
    assert.ok(
      plan.warnings[0]?.includes(
        "pulumi config set --secret --path 'falco-stack:outputs.slack.webhookurl' --stack prod",
      ),
    );
    assert.ok(!plan.warnings[0]?.includes("plain-1"));
  });

  it("an address that can carry credentials warns only when it carries some", () => {
    const quiet = planOutputs({ nats: { hostport: "nats://nats.nats:4222" } }, { missingSecret: "error" });
    assert.deepEqual(quiet.warnings, []);
    assert.deepEqual(quiet.secretEnv, { NATS_HOSTPORT: "nats://nats.nats:4222" });
    const loud = planOutputs({ nats: { hostport: "nats://u:p@nats.nats:4222" } }, { missingSecret: "error" });
    assert.equal(loud.warnings.length, 1);
    assert.match(loud.warnings[0] ?? "", /outputs\.nats\.hostport .*carries credentials/);
  });

  it("no warning when the value came from secure config, or the whole key is secret, or plain text is acknowledged", () => {
    const raw = { datadog: { apikey: "dd-plain" } };
    assert.deepEqual(
      planOutputs(raw, { missingSecret: "error", secretPaths: new Set(["datadog.apikey"]) }).warnings,
      [],
    );
    assert.deepEqual(planOutputs(raw, { missingSecret: "error", allSecret: true }).warnings, []);
    const acknowledged = planOutputs(
      { datadog: { apikey: "dd-plain", acknowledgePlaintext: true } },
      { missingSecret: "error" },
    );
    assert.deepEqual(acknowledged.warnings, []);
    assert.deepEqual(acknowledged.secretEnv, { DATADOG_APIKEY: "dd-plain" });
    assert.deepEqual(acknowledged.chartConfig, { datadog: { minimumpriority: "debug" } });
  });

  it("a non-sensitive text setting stored with --secret goes to the Secret, not to values", () => {
    const plan = planOutputs(
      { loki: { hostport: "http://loki:3100", tenant: "hidden-tenant" } },
      { missingSecret: "error", secretPaths: new Set(["loki.tenant"]) },
    );
    assert.deepEqual(plan.secretEnv, { LOKI_TENANT: "hidden-tenant" });
    assert.deepEqual(plan.chartConfig, { loki: { hostport: "http://loki:3100", minimumpriority: "debug" } });
  });
});

describe("outputs: on when configured, off otherwise", () => {
  it("no outputs key means no outputs", () => {
    for (const raw of [undefined, null, {}]) {
      assert.deepEqual(planOutputs(raw, { missingSecret: "error" }), {
        chartConfig: {},
        secretEnv: {},
        sensitivePaths: [],
        enabled: [],
        warnings: [],
      });
    }
  });

  it("an output without minimumpriority gets debug, written explicitly into values", () => {
    const plan = planOutputs({ mqtt: { broker: "tcp://mqtt:1883" } }, { missingSecret: "error" });
    assert.deepEqual(plan.chartConfig, { mqtt: { broker: "tcp://mqtt:1883", minimumpriority: "debug" } });
    assert.deepEqual(plan.enabled, [{ name: "mqtt", minimumpriority: "debug" }]);
  });

  it("booleans and numbers given as text (pulumi config set --path) become real YAML types", () => {
    const plan = planOutputs(
      { mqtt: { broker: "tcp://mqtt:1883", qos: "2", retained: "false" } },
      { missingSecret: "error" },
    );
    assert.deepEqual(plan.chartConfig, {
      mqtt: { broker: "tcp://mqtt:1883", qos: 2, retained: false, minimumpriority: "debug" },
    });
  });
});

describe("outputs: passthrough under falco-stack:outputs.extra", () => {
  it("merges another chart output into values unvalidated and lists it as enabled", () => {
    const plan = planOutputs(
      {
        extra: {
          pagerduty: { region: "eu", minimumpriority: "critical" },
          aws: { sns: { topicarn: "arn:aws:sns:eu-west-1:123456789012:falco", rawjson: true } },
        },
        aws: { region: "eu-west-1", s3: { bucket: "falco-events" } },
      },
      { missingSecret: "error" },
    );
    assert.deepEqual(plan.chartConfig, {
      pagerduty: { region: "eu", minimumpriority: "critical" },
      aws: {
        region: "eu-west-1",
        s3: { bucket: "falco-events", minimumpriority: "debug" },
        sns: { topicarn: "arn:aws:sns:eu-west-1:123456789012:falco", rawjson: true },
      },
    });
    assert.deepEqual(plan.enabled, [
      { name: "pagerduty", minimumpriority: "critical" },
      { name: "aws.sns", minimumpriority: "debug" },
      { name: "aws", minimumpriority: "debug" },
    ]);
  });

  it("keeps credential-looking passthrough settings out of values: they go to the Secret, with a warning", () => {
    const plan = planOutputs(
      {
        extra: {
          teams: { webhookurl: "https://outlook.office.com/webhook/teams-secret", outputformat: "text" },
        },
      },
      { missingSecret: "error", stack: "dev" },
    );
    assert.deepEqual(plan.chartConfig, { teams: { outputformat: "text" } });
    assert.deepEqual(plan.secretEnv, { TEAMS_WEBHOOKURL: "https://outlook.office.com/webhook/teams-secret" });
    assert.equal(plan.warnings.length, 1);
    assert.ok(
      plan.warnings[0]?.includes(
        "pulumi config set --secret --path 'falco-stack:outputs.extra.teams.webhookurl'",
      ),
    );
  });

  it("the env var chosen for every credential-looking key of the chart is one falcosidekick reads", () => {
    let checked = 0;
    for (const path of leafPaths(chartConfig)) {
      const last = path.at(-1) ?? "";
      if (!CREDENTIAL_KEY_PATTERN.test(last) && !ADDRESS_KEY_PATTERN.test(last)) continue;
      checked++;
      // falcosidekick 2.32.0 reads N8N_HEADERAUTHVALUE (config.go defaults N8n.HeaderAuthValue); the chart forgets it.
      if (envName(path) === "N8N_HEADERAUTHVALUE") continue;
      assert.ok(
        secretEnvNames.has(envName(path)),
        `${path.join(".")} -> ${envName(path)} is not in the Secret`,
      );
    }
    assert.ok(checked > 50, `only ${checked} keys checked`);
  });
});

describe("outputs: documentation", () => {
  it("docs/outputs.md documents every key of every output", () => {
    const docs = fs.readFileSync(path.join(projectRoot, "docs", "outputs.md"), "utf8");
    for (const name of OUTPUT_NAMES) {
      for (const key of Object.keys(OUTPUTS[name].keys)) {
        assert.ok(docs.includes(`\`${name}.${key}\``), `${name}.${key} is not documented`);
      }
    }
  });
});
