import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, type ConfigIssue } from "../../src/config/errors.ts";
import {
  OUTPUT_NAMES,
  OUTPUTS,
  PRIORITIES,
  envName,
  planOutputs,
  type PlanOptions,
} from "../../src/outputs/index.ts";

/** The issues planOutputs reports for `raw`; fails the test when it does not throw a ConfigError. */
function issuesOf(raw: unknown, options: PlanOptions = { missingSecret: "error" }): ConfigIssue[] {
  try {
    planOutputs(raw, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, /^invalid stack configuration \(nothing was deployed\):/);
    return [...error.issues];
  }
  assert.fail("planOutputs accepted the config");
}

/** The single issue's message, after checking it names `key`. */
function onlyIssue(raw: unknown, key: string, options?: PlanOptions): string {
  const issues = issuesOf(raw, options);
  assert.equal(issues.length, 1, JSON.stringify(issues, null, 2));
  assert.equal(issues[0]?.key, key);
  return issues[0]?.message ?? "";
}

describe("outputs, bad input: unknown output name", () => {
  it("lists the known outputs and suggests the closest", () => {
    const message = onlyIssue(
      { slak: { webhookurl: "https://hooks.slack.com/x" } },
      "falco-stack:outputs.slak",
    );
    for (const name of OUTPUT_NAMES) assert.ok(message.includes(name), `${name} not listed`);
    assert.match(message, /did you mean "slack"\?/);
    assert.match(
      onlyIssue({ elasticsearh: {} }, "falco-stack:outputs.elasticsearh"),
      /did you mean "elasticsearch"/,
    );
    assert.match(
      onlyIssue({ googlechta: {} }, "falco-stack:outputs.googlechta"),
      /did you mean "googlechat"/,
    );
  });

  it("no wild guess for a name far from every output", () => {
    assert.doesNotMatch(onlyIssue({ xyzzyplugh: {} }, "falco-stack:outputs.xyzzyplugh"), /did you mean/);
  });

  it("another output the chart knows points to the passthrough key", () => {
    assert.match(onlyIssue({ teams: {} }, "falco-stack:outputs.teams"), /falco-stack:outputs\.extra\.teams/);
  });
});

describe("outputs, bad input: missing essential key", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["kafka without topic", { kafka: { hostport: "kafka:9092" } }, "falco-stack:outputs.kafka.topic"],
    [
      "kafka with an empty topic",
      { kafka: { hostport: "kafka:9092", topic: "" } },
      "falco-stack:outputs.kafka.topic",
    ],
    ["smtp without to", { smtp: { hostport: "smtp:25", from: "a@b.io" } }, "falco-stack:outputs.smtp.to"],
    ["aws without bucket", { aws: { region: "eu-west-1" } }, "falco-stack:outputs.aws.s3.bucket"],
    ["aws without region", { aws: { s3: { bucket: "falco-events" } } }, "falco-stack:outputs.aws.region"],
    ["loki without hostport", { loki: { minimumpriority: "notice" } }, "falco-stack:outputs.loki.hostport"],
    ["an empty nats block", { nats: null }, "falco-stack:outputs.nats.hostport"],
  ];
  for (const [title, raw, key] of cases) {
    it(title, () => {
      assert.match(onlyIssue(raw, key), /is required/);
    });
  }

  it("a missing sensitive essential key names the key and the exact command to set it", () => {
    const message = onlyIssue({ slack: { channel: "#x" } }, "falco-stack:outputs.slack.webhookurl", {
      missingSecret: "error",
      stack: "prod",
    });
    assert.ok(
      message.includes(
        "pulumi config set --secret --path 'falco-stack:outputs.slack.webhookurl' --stack prod",
      ),
    );
  });

  it("grafana needs both hostport and apikey", () => {
    const issues = issuesOf({ grafana: { minimumpriority: "warning" } });
    assert.deepEqual(
      issues.map((issue) => issue.key),
      ["falco-stack:outputs.grafana.hostport", "falco-stack:outputs.grafana.apikey"],
    );
  });
});

describe("outputs, bad input: minimumpriority", () => {
  it("lists the allowed values", () => {
    const message = onlyIssue(
      { webhook: { address: "http://x:8080", minimumpriority: "warn" } },
      "falco-stack:outputs.webhook.minimumpriority",
    );
    for (const priority of PRIORITIES) assert.ok(message.includes(priority), `${priority} not listed`);
    assert.match(message, /"warn"/);
  });

  it("names the nested key for AWS S3", () => {
    onlyIssue(
      { aws: { region: "eu-west-1", s3: { bucket: "falco-events", minimumpriority: 3 } } },
      "falco-stack:outputs.aws.s3.minimumpriority",
    );
  });

  it("accepts Falco's info alias and any letter case, normalised", () => {
    const plan = planOutputs(
      {
        webhook: { address: "http://x:8080", minimumpriority: "info" },
        nats: { hostport: "nats://n:4222", minimumpriority: "WARNING" },
      },
      { missingSecret: "error" },
    );
    assert.deepEqual(plan.enabled, [
      { name: "webhook", minimumpriority: "informational" },
      { name: "nats", minimumpriority: "warning" },
    ]);
  });
});

describe("outputs, bad input: shapes of addresses", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["nats without scheme", { nats: { hostport: "nats.nats:4222" } }, "nats.hostport", /nats:\/\/host:4222/],
    ["nats over http", { nats: { hostport: "http://nats:4222" } }, "nats.hostport", /nats:\/\//],
    [
      "smtp without port",
      { smtp: { hostport: "smtp.example.com", from: "a@b.io", to: "c@d.io" } },
      "smtp.hostport",
      /port/,
    ],
    [
      "smtp with scheme",
      { smtp: { hostport: "smtp://mail:25", from: "a@b.io", to: "c@d.io" } },
      "smtp.hostport",
      /without a scheme/,
    ],
    [
      "smtp bad recipient",
      { smtp: { hostport: "mail:25", from: "a@b.io", to: "c@d.io, nobody" } },
      "smtp.to",
      /"nobody"/,
    ],
    [
      "webhook over ftp",
      { webhook: { address: "ftp://files/x" } },
      "webhook.address",
      /http:\/\/ or https:\/\//,
    ],
    ["loki without scheme", { loki: { hostport: "loki:3100" } }, "loki.hostport", /http/],
    [
      "elasticsearch with credentials in the URL",
      { elasticsearch: { hostport: "https://u:p@es:9200" } },
      "elasticsearch.hostport",
      /must not carry credentials/,
    ],
    ["grafana not a URL", { grafana: { hostport: "grafana", apikey: "k" } }, "grafana.hostport", /URL/],
    [
      "slack over http",
      { slack: { webhookurl: "http://hooks.slack.com/x" } },
      "slack.webhookurl",
      /https:\/\//,
    ],
    [
      "mqtt with another scheme",
      { mqtt: { broker: "mqtt://broker:1883" } },
      "mqtt.broker",
      /tcp:\/\/ or ssl:\/\//,
    ],
    ["mqtt without port", { mqtt: { broker: "tcp://broker" } }, "mqtt.broker", /port/],
    [
      "kafka broker with scheme",
      { kafka: { hostport: "kafka://k:9092", topic: "t" } },
      "kafka.hostport",
      /without a scheme/,
    ],
    ["kafka bad port", { kafka: { hostport: "k:9092,k2:99999", topic: "t" } }, "kafka.hostport", /k2:99999/],
    [
      "aws bad region",
      { aws: { region: "europe", s3: { bucket: "falco-events" } } },
      "aws.region",
      /eu-west-1/,
    ],
    [
      "aws bad bucket",
      { aws: { region: "eu-west-1", s3: { bucket: "Falco_Events" } } },
      "aws.s3.bucket",
      /bucket/,
    ],
    [
      "boolean as something else",
      { nats: { hostport: "nats://n:4222", checkcert: "yes" } },
      "nats.checkcert",
      /true or false/,
    ],
    ["qos out of range", { mqtt: { broker: "tcp://b:1883", qos: 3 } }, "mqtt.qos", /0 to 2/],
    [
      "enum value",
      { kafka: { hostport: "k:9092", topic: "t", sasl: "OAUTH" } },
      "kafka.sasl",
      /PLAIN, SCRAM_SHA256, SCRAM_SHA512/,
    ],
    [
      "header value with ':' for webhook",
      { webhook: { address: "http://x:1", customHeaders: { A: "b:c" } } },
      "webhook.customHeaders",
      /":"/,
    ],
  ];
  for (const [title, raw, key, pattern] of cases) {
    it(title, () => {
      assert.match(onlyIssue(raw, `falco-stack:outputs.${key}`), pattern);
    });
  }
});

describe("outputs, bad input: unknown key under an output", () => {
  it("lists the allowed keys and suggests the chart's spelling", () => {
    const message = onlyIssue(
      { webhook: { address: "http://x:1", customheaders: "A:b" } },
      "falco-stack:outputs.webhook.customheaders",
    );
    assert.match(message, /address, method, customHeaders, mutualtls, checkcert, minimumpriority/);
    assert.match(message, /did you mean "customHeaders"/);
  });

  it("a chart key refused on purpose says why", () => {
    assert.match(
      onlyIssue(
        { grafana: { hostport: "http://grafana:3000", apikey: "k", customheaders: "A:b" } },
        "falco-stack:outputs.grafana.customheaders",
      ),
      /not supported: falcosidekick 2\.32\.0 does not read GRAFANA_CUSTOMHEADERS/,
    );
  });

  it("works for nested blocks", () => {
    const message = onlyIssue(
      { elasticsearch: { hostport: "http://es:9200", batching: { size: 10 } } },
      "falco-stack:outputs.elasticsearch.batching.size",
    );
    assert.match(message, /enabled, batchsize, flushinterval/);
  });

  it("an output block that is not a map", () => {
    assert.match(
      onlyIssue({ slack: "https://hooks.slack.com/x" }, "falco-stack:outputs.slack"),
      /must be a map of Slack settings/,
    );
  });
});

describe("outputs, bad input: passthrough misuse", () => {
  it("extra must be a map", () => {
    onlyIssue({ extra: ["teams"] }, "falco-stack:outputs.extra");
  });

  it("extra may not redefine a typed output", () => {
    assert.match(
      onlyIssue({ extra: { nats: { hostport: "nats://n:4222" } } }, "falco-stack:outputs.extra.nats"),
      /falco-stack:outputs\.nats/,
    );
  });

  it("extra may not touch what the typed AWS output manages", () => {
    assert.match(
      onlyIssue({ extra: { aws: { s3: { bucket: "b" } } } }, "falco-stack:outputs.extra.aws.s3"),
      /managed by falco-stack:outputs\.aws/,
    );
    onlyIssue({ extra: { aws: { secretaccesskey: "x" } } }, "falco-stack:outputs.extra.aws.secretaccesskey");
  });

  it("extra only takes outputs of the chart, with a suggestion", () => {
    assert.match(
      onlyIssue({ extra: { tems: {} } }, "falco-stack:outputs.extra.tems"),
      /did you mean "teams"/,
    );
    assert.match(
      onlyIssue({ extra: { existingSecret: "mine" } }, "falco-stack:outputs.extra.existingSecret"),
      /falco-stack:sidekick\.values/,
    );
  });

  it("each passthrough output must be a map", () => {
    onlyIssue(
      { extra: { teams: "https://outlook.office.com/webhook/x" } },
      "falco-stack:outputs.extra.teams",
    );
  });
});

describe("outputs, bad input: reported together, nothing planned", () => {
  it("every issue of every output comes in one error", () => {
    const issues = issuesOf({
      slak: {},
      kafka: { hostport: "k:9092" },
      nats: { hostport: "nats.nats:4222" },
      webhook: { address: "http://x:1", minimumpriority: "loud" },
      extra: { nats: {} },
    });
    assert.deepEqual(
      issues.map((issue) => issue.key),
      [
        "falco-stack:outputs.slak",
        "falco-stack:outputs.kafka.topic",
        "falco-stack:outputs.nats.hostport",
        "falco-stack:outputs.webhook.minimumpriority",
        "falco-stack:outputs.extra.nats",
      ],
    );
  });

  it("outputs must be a map", () => {
    assert.match(onlyIssue("slack", "falco-stack:outputs"), /map from output name/);
  });

  it("a setting that is not text cannot be a secret", () => {
    assert.match(
      onlyIssue(
        { nats: { hostport: "nats://n:4222", checkcert: { secure: "v1:abc" } } },
        "falco-stack:outputs.nats.checkcert",
        {
          missingSecret: "placeholder",
        },
      ),
      /cannot be a secret/,
    );
  });

  it("acknowledgePlaintext must be a boolean", () => {
    onlyIssue(
      { nats: { hostport: "nats://n:4222", acknowledgePlaintext: "sure" } },
      "falco-stack:outputs.nats.acknowledgePlaintext",
    );
  });
});

describe("outputs, bad input: a mistyped secret is not printed", () => {
  it("names the key and what is allowed, but hides the value of a sensitive setting", () => {
    const cases: [unknown, string, string][] = [
      [
        { webhook: { address: "htps://hooks.example/data?token=TOPSECRET123" } },
        "falco-stack:outputs.webhook.address",
        "TOPSECRET123",
      ],
      [
        { slack: { webhookurl: "hooks.slack.com/services/T00/B00/SLACKSECRET" } },
        "falco-stack:outputs.slack.webhookurl",
        "SLACKSECRET",
      ],
      [
        { loki: { hostport: "http://loki:3100", customheaders: "Authorization Bearer HEADERSECRET" } },
        "falco-stack:outputs.loki.customheaders",
        "HEADERSECRET",
      ],
      [
        { nats: { hostport: "nats//user:NATSSECRET@host" } },
        "falco-stack:outputs.nats.hostport",
        "NATSSECRET",
      ],
    ];
    for (const [raw, key, secret] of cases) {
      const message = onlyIssue(raw, key);
      assert.ok(!message.includes(secret), `${key}: ${message}`);
      assert.match(message, /hidden: the setting is sensitive/);
    }
  });

  it("still quotes a value that is not sensitive", () => {
    assert.match(
      onlyIssue(
        { slack: { webhookurl: "https://hooks.slack.com/x", minimumpriority: "bogus" } },
        "falco-stack:outputs.slack.minimumpriority",
      ),
      /"bogus" is not a priority/,
    );
  });

  it("hides a malformed secret taken from the environment at render time", () => {
    const message = onlyIssue({ slack: { webhookurl: "<secret>" } }, "falco-stack:outputs.slack.webhookurl", {
      missingSecret: "placeholder",
      env: { FALCO_STACK_SLACK_WEBHOOKURL: "hooks.slack.com/ENVSECRET" },
    });
    assert.match(message, /FALCO_STACK_SLACK_WEBHOOKURL/);
    assert.ok(!message.includes("ENVSECRET"), message);
  });
});

describe("outputs, bad input: no message ever carries a secret (issue 13, item 7)", () => {
  const SECRET = "Leak3dS3cret";
  const NUMBER = 918273645;
  /** Bad values a user may give a sensitive key: each holds the secret somewhere. */
  const BAD_VALUES: unknown[] = [
    NUMBER,
    `https://elastic:${SECRET}@es:9200`,
    `htps://${SECRET}.example/x`,
    `tcp://u:${SECRET}@m`,
    `${SECRET} with spaces`,
    `${SECRET}:a:b,c`,
    [SECRET],
    { header: [SECRET] },
    { "X-Api-Key": `${SECRET}:x` },
    12.75,
  ];
  const leaked = (text: string) =>
    [SECRET, String(NUMBER), "12.75"].filter((secret) => text.includes(secret));

  function setAt(block: Record<string, unknown>, parts: readonly string[], value: unknown): void {
    let node = block;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1) ?? ""] = value;
  }

  /** Every issue message planOutputs gives for `raw` (none when it accepts it). */
  function messagesOf(raw: unknown, options: PlanOptions): string[] {
    try {
      planOutputs(raw, options);
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      return [error.message];
    }
  }

  it("every sensitive key of every output, with every bad value, in every mode", () => {
    let checked = 0;
    const leaks: string[] = [];
    for (const name of OUTPUT_NAMES) {
      for (const [keyPath, spec] of Object.entries(OUTPUTS[name].keys)) {
        if (spec.sensitive === undefined) continue;
        const dotted = `${name}.${keyPath}`;
        for (const value of BAD_VALUES) {
          const block: Record<string, unknown> = {};
          setAt(block, keyPath.split("."), value);
          const modes: PlanOptions[] = [
            { missingSecret: "error" },
            { missingSecret: "placeholder", secretPaths: new Set([dotted]) },
            { missingSecret: "error", allSecret: true },
          ];
          for (const options of modes) {
            for (const message of messagesOf({ [name]: block }, options)) {
              checked++;
              if (leaked(message).length > 0) leaks.push(`${dotted} = ${JSON.stringify(value)}: ${message}`);
            }
          }
        }
        for (const text of BAD_VALUES.filter((v) => typeof v === "string" || typeof v === "number")) {
          const block: Record<string, unknown> = {};
          setAt(block, keyPath.split("."), "<secret>");
          const env = { [`FALCO_STACK_${envName([name, ...keyPath.split(".")])}`]: String(text) };
          for (const message of messagesOf({ [name]: block }, { missingSecret: "placeholder", env })) {
            checked++;
            if (leaked(message).length > 0) leaks.push(`${dotted} from env = ${String(text)}: ${message}`);
          }
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} messages checked`);
    assert.deepEqual(leaks, []);
  });

  it("a URL with credentials at a key that is not sensitive is named with its credentials masked", () => {
    const message = onlyIssue(
      { elasticsearch: { hostport: `https://elastic:${SECRET}@es:9200` } },
      "falco-stack:outputs.elasticsearch.hostport",
    );
    assert.deepEqual(leaked(message), []);
    assert.match(message, /"https:\/\/\*\*\*:\*\*\*@es:9200" must not carry credentials/);
    const mqtt = onlyIssue(
      { mqtt: { broker: `tcp://u:${SECRET}@mqtt:1883` } },
      "falco-stack:outputs.mqtt.broker",
    );
    assert.deepEqual(leaked(mqtt), []);
  });

  it("a number-valued secret is hidden like any other", () => {
    const message = onlyIssue({ webhook: { address: NUMBER } }, "falco-stack:outputs.webhook.address");
    assert.deepEqual(leaked(message), []);
    assert.match(message, /<9 characters, hidden: the setting is sensitive> must be a URL/);
  });

  it("a number-valued passthrough credential goes to the Secret, not into chart values", () => {
    const plan = planOutputs({ extra: { teams: { webhookurl: NUMBER } } }, { missingSecret: "error" });
    assert.equal(JSON.stringify(plan.chartConfig).includes(String(NUMBER)), false);
    assert.equal(plan.secretEnv.TEAMS_WEBHOOKURL, String(NUMBER));
  });

  it("a secret header name given through the environment is hidden", () => {
    const message = onlyIssue(
      { loki: { hostport: "http://loki:3100", customheaders: "<secret>" } },
      "falco-stack:outputs.loki.customheaders",
      { missingSecret: "placeholder", env: { FALCO_STACK_LOKI_CUSTOMHEADERS: `${SECRET}:a:b` } },
    );
    assert.deepEqual(leaked(message), []);
  });
});

describe("outputs, bad input: a huge value is cut short in the message", () => {
  it("names the key and the length, not the whole value", () => {
    const message = onlyIssue(
      { elasticsearch: { hostport: `x${"y".repeat(100_000)}` } },
      "falco-stack:outputs.elasticsearch.hostport",
    );
    assert.ok(message.length < 400, message.slice(0, 200));
    assert.match(message, /\(100001 characters\)/);
  });
});
