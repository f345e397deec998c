import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { ConfigError } from "../../src/config/errors.ts";
import { readStackConfig } from "../../src/config/stack-file.ts";
import {
  PLACEHOLDER_MARKER,
  isSecretPlaceholder,
  planOutputs,
  secretEnvForRender,
  type OutputsPlan,
} from "../../src/outputs/index.ts";
import { sidekickChartConfig } from "../helpers/sidekick-chart.ts";

type StackName = "dev" | "staging" | "prod";

/** The `falco-stack:outputs` block of a shipped stack file, as written. */
function outputsOf(stack: StackName): Record<string, Record<string, unknown>> {
  return readStackConfig({ stack }).raw.outputs as Record<string, Record<string, unknown>>;
}

const PROD_COMMANDS = [
  "pulumi config set --secret --path 'falco-stack:outputs.slack.webhookurl' --stack prod",
  "pulumi config set --secret --path 'falco-stack:outputs.elasticsearch.username' --stack prod",
  "pulumi config set --secret --path 'falco-stack:outputs.elasticsearch.password' --stack prod",
];

describe("outputs: the three shipped stacks", () => {
  it("dev sends everything to the demo webhook, address in the Secret, no warning", () => {
    const plan = planOutputs(outputsOf("dev"), { missingSecret: "error", stack: "dev" });
    assert.deepEqual(plan, {
      chartConfig: { webhook: { minimumpriority: "debug" } },
      secretEnv: { WEBHOOK_ADDRESS: "https://webhooks.app/data?token=LJDEM0" },
      sensitivePaths: ["webhook.address"],
      enabled: [{ name: "webhook", minimumpriority: "debug" }],
      warnings: [],
    } satisfies OutputsPlan);
  });

  it("staging sends notice and up to NATS with the chart's default subject template", () => {
    const plan = planOutputs(outputsOf("staging"), { missingSecret: "error", stack: "staging" });
    assert.deepEqual(plan, {
      chartConfig: { nats: { minimumpriority: "notice" } },
      secretEnv: { NATS_HOSTPORT: "nats://nats.nats:4222" },
      sensitivePaths: ["nats.hostport"],
      enabled: [{ name: "nats", minimumpriority: "notice" }],
      warnings: [],
    } satisfies OutputsPlan);
    const nats = sidekickChartConfig().nats as Record<string, unknown>;
    assert.equal(nats.subjecttemplate, "falco.<priority>.<rule>");
  });

  it("prod under pulumi up without its secrets stops with the exact commands", () => {
    try {
      planOutputs(outputsOf("prod"), { missingSecret: "error", stack: "prod" });
      assert.fail("prod planned without its secrets");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(
        error.issues.map((issue) => issue.key),
        [
          "falco-stack:outputs.slack.webhookurl",
          "falco-stack:outputs.elasticsearch.username",
          "falco-stack:outputs.elasticsearch.password",
        ],
      );
      for (const command of PROD_COMMANDS) assert.ok(error.message.includes(command), command);
    }
  });

  it("prod under pulumi up with its secrets set: Slack at warning, Loki and Elasticsearch at notice", () => {
    // What Pulumi hands the program after `pulumi config set --secret --path ...`: decrypted leaves.
    const prod = outputsOf("prod");
    assert.equal(prod.slack!.webhookurl, "<secret>");
    assert.equal(prod.elasticsearch!.password, "<secret>");
    const outputs = {
      ...prod,
      slack: { ...prod.slack, webhookurl: "https://hooks.slack.com/services/T/B/prod-slack" },
      elasticsearch: { ...prod.elasticsearch, username: "falco", password: "prod-es-password" },
    };
    const plan = planOutputs(outputs, {
      missingSecret: "error",
      stack: "prod",
      secretPaths: new Set(["slack.webhookurl", "elasticsearch.username", "elasticsearch.password"]),
    });
    assert.deepEqual(plan, {
      chartConfig: {
        slack: { channel: "#security-alerts", minimumpriority: "warning" },
        loki: { hostport: "http://loki-gateway.monitoring.svc.cluster.local", minimumpriority: "notice" },
        elasticsearch: {
          hostport: "https://elasticsearch.logging.svc.cluster.local:9200",
          index: "falco",
          minimumpriority: "notice",
        },
      },
      secretEnv: {
        SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T/B/prod-slack",
        ELASTICSEARCH_USERNAME: "falco",
        ELASTICSEARCH_PASSWORD: "prod-es-password",
      },
      sensitivePaths: ["slack.webhookurl", "elasticsearch.username", "elasticsearch.password"],
      enabled: [
        { name: "slack", minimumpriority: "warning" },
        { name: "loki", minimumpriority: "notice" },
        { name: "elasticsearch", minimumpriority: "notice" },
      ],
      warnings: [],
    } satisfies OutputsPlan);
  });

  it("the three differ in outputs and priorities", () => {
    const enabled = (["dev", "staging", "prod"] as const).map(
      (stack) => planOutputs(outputsOf(stack), { missingSecret: "placeholder", stack }).enabled,
    );
    assert.deepEqual(enabled, [
      [{ name: "webhook", minimumpriority: "debug" }],
      [{ name: "nats", minimumpriority: "notice" }],
      [
        { name: "slack", minimumpriority: "warning" },
        { name: "loki", minimumpriority: "notice" },
        { name: "elasticsearch", minimumpriority: "notice" },
      ],
    ]);
  });
});

describe("outputs: render placeholders and the environment", () => {
  it("prod renders offline with a marked placeholder for each secret, naming the variable and the command", () => {
    const plan = planOutputs(outputsOf("prod"), { missingSecret: "placeholder", stack: "prod", env: {} });
    assert.deepEqual(plan.secretEnv, {
      SLACK_WEBHOOKURL: {
        placeholder: true,
        env: "FALCO_STACK_SLACK_WEBHOOKURL",
        configKey: "falco-stack:outputs.slack.webhookurl",
        command: PROD_COMMANDS[0],
      },
      ELASTICSEARCH_USERNAME: {
        placeholder: true,
        env: "FALCO_STACK_ELASTICSEARCH_USERNAME",
        configKey: "falco-stack:outputs.elasticsearch.username",
        command: PROD_COMMANDS[1],
      },
      ELASTICSEARCH_PASSWORD: {
        placeholder: true,
        env: "FALCO_STACK_ELASTICSEARCH_PASSWORD",
        configKey: "falco-stack:outputs.elasticsearch.password",
        command: PROD_COMMANDS[2],
      },
    });
    const rendered = secretEnvForRender(plan.secretEnv);
    for (const [name, text] of Object.entries(rendered)) {
      assert.ok(text.startsWith(`${PLACEHOLDER_MARKER}(`), `${name}: ${text}`);
      assert.ok(text.includes(`FALCO_STACK_${name}`), `${name}: ${text}`);
    }
    // Placeholders never leak into values.
    assert.doesNotMatch(stringify(plan.chartConfig), new RegExp(PLACEHOLDER_MARKER));
  });

  it("takes a secret from FALCO_STACK_<ENV NAME> when set, and checks its shape", () => {
    const plan = planOutputs(outputsOf("prod"), {
      missingSecret: "placeholder",
      stack: "prod",
      env: {
        FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T/B/from-env",
        FALCO_STACK_ELASTICSEARCH_PASSWORD: "",
      },
    });
    assert.equal(plan.secretEnv.SLACK_WEBHOOKURL, "https://hooks.slack.com/services/T/B/from-env");
    // An empty variable counts as unset.
    assert.ok(isSecretPlaceholder(plan.secretEnv.ELASTICSEARCH_PASSWORD));
    try {
      planOutputs(outputsOf("prod"), {
        missingSecret: "placeholder",
        env: { FALCO_STACK_SLACK_WEBHOOKURL: "not a url" },
      });
      assert.fail("accepted a malformed value from the environment");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.issues[0]?.key, "falco-stack:outputs.slack.webhookurl");
      assert.match(error.issues[0]?.message ?? "", /FALCO_STACK_SLACK_WEBHOOKURL/);
    }
  });

  it("encrypted values in a stack file read offline become placeholders, never values", () => {
    const raw = {
      webhook: { address: { secure: "v1:Zm9v" }, minimumpriority: "warning" },
      loki: { hostport: "http://loki:3100", customheaders: { Authorization: { secure: "v1:YmFy" } } },
    };
    const plan = planOutputs(raw, { missingSecret: "placeholder", stack: "dev" });
    assert.deepEqual(plan.chartConfig, {
      webhook: { minimumpriority: "warning" },
      loki: { hostport: "http://loki:3100", minimumpriority: "debug" },
    });
    assert.ok(isSecretPlaceholder(plan.secretEnv.WEBHOOK_ADDRESS));
    assert.ok(isSecretPlaceholder(plan.secretEnv.LOKI_CUSTOMHEADERS));
    assert.deepEqual(plan.warnings, []);
    assert.doesNotMatch(JSON.stringify(plan.chartConfig), /v1:/);
  });

  it("encrypted leaves a stack-file reader dropped and reported in secretPaths become placeholders", () => {
    const raw = {
      slack: { channel: "#x" },
      elasticsearch: { hostport: "http://es:9200" },
      loki: { hostport: "http://loki:3100", customheaders: {} },
      extra: { pagerduty: { minimumpriority: "critical" } },
    };
    const plan = planOutputs(raw, {
      missingSecret: "placeholder",
      stack: "prod",
      secretPaths: new Set([
        "slack.webhookurl",
        "elasticsearch.username",
        "elasticsearch.password",
        "loki.customheaders.Authorization",
        "extra.pagerduty.routingkey",
      ]),
    });
    assert.deepEqual(Object.keys(plan.secretEnv).sort(), [
      "ELASTICSEARCH_PASSWORD",
      "ELASTICSEARCH_USERNAME",
      "LOKI_CUSTOMHEADERS",
      "PAGERDUTY_ROUTINGKEY",
      "SLACK_WEBHOOKURL",
    ]);
    for (const value of Object.values(plan.secretEnv)) assert.ok(isSecretPlaceholder(value));
    assert.equal(
      (plan.secretEnv.PAGERDUTY_ROUTINGKEY as { configKey: string }).configKey,
      "falco-stack:outputs.extra.pagerduty.routingkey",
    );
    assert.deepEqual(plan.chartConfig, {
      slack: { channel: "#x", minimumpriority: "debug" },
      elasticsearch: { hostport: "http://es:9200", minimumpriority: "debug" },
      loki: { hostport: "http://loki:3100", minimumpriority: "debug" },
      pagerduty: { minimumpriority: "critical" },
    });
  });

  it("an encrypted leaf under a key the output does not have is reported", () => {
    assert.throws(
      () =>
        planOutputs(
          { slack: { channel: "#x" } },
          { missingSecret: "placeholder", secretPaths: new Set(["slack.webhookurl", "slack.webhookur1"]) },
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        error.issues[0]?.key === "falco-stack:outputs.slack.webhookur1" &&
        /did you mean "webhookurl"/.test(error.issues[0].message),
    );
  });

  it("a missing essential secret that the stack file does not declare is an error in render mode too", () => {
    assert.throws(
      () => planOutputs({ slack: { channel: "#x" } }, { missingSecret: "placeholder", env: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues[0]?.key === "falco-stack:outputs.slack.webhookurl" &&
        /declare it in the stack file as <secret>.*or set FALCO_STACK_SLACK_WEBHOOKURL when rendering/.test(
          error.issues[0].message,
        ),
    );
    const fromEnv = planOutputs(
      { slack: { channel: "#x" } },
      {
        missingSecret: "placeholder",
        env: { FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/x" },
      },
    );
    assert.equal(fromEnv.secretEnv.SLACK_WEBHOOKURL, "https://hooks.slack.com/services/x");
    const declared = planOutputs(
      { slack: { channel: "#x", webhookurl: "<secret>" } },
      { missingSecret: "placeholder" },
    );
    assert.ok(isSecretPlaceholder(declared.secretEnv.SLACK_WEBHOOKURL));
    assert.equal(
      (declared.secretEnv.SLACK_WEBHOOKURL as { command: string }).command.includes("--stack"),
      false,
    );
  });

  it("a missing non-secret essential key is an error in render mode as well", () => {
    assert.throws(
      () => planOutputs({ kafka: { hostport: "k:9092" } }, { missingSecret: "placeholder" }),
      (error: unknown) =>
        error instanceof ConfigError && error.issues[0]?.key === "falco-stack:outputs.kafka.topic",
    );
  });
});
