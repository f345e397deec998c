/**
 * The typed falcosidekick outputs (twelve event sinks and Falco Talon, the response engine): every key they accept, its type, whether it is sensitive,
 * and which keys switch the output on. Keys mirror the falcosidekick 0.14.0 chart's `config:` block
 * so falcosidekick's own documentation applies unchanged.
 */

import { LOWER_PRIORITIES, type LowerPriority } from "../falco-rules/index.ts";

/** Falco priorities, most severe first, as `minimumpriority` spells them (falcosidekick `types/priority.go`). */
export const PRIORITIES = LOWER_PRIORITIES;
export type Priority = LowerPriority;

/** What an output gets when its `minimumpriority` is not set: falcosidekick treats "" as debug. */
export const DEFAULT_PRIORITY: Priority = "debug";

/**
 * Outputs a person reads or is paged through (chat, email, incident tools, dashboards). While the
 * detection canary runs they default to CANARY_QUIET_PRIORITY, so its Debug events every few minutes
 * on every node never reach a person; stores and buses (Loki, Elasticsearch, NATS, ...) keep debug.
 */
export const HUMAN_FACING_OUTPUTS: readonly string[] = [
  "slack",
  "googlechat",
  "smtp",
  "datadog",
  "grafana",
  "rocketchat",
  "mattermost",
  "teams",
  "alertmanager",
  "opsgenie",
  "discord",
  "pagerduty",
  "grafanaoncall",
  "cliq",
  "gotify",
  "telegram",
  "webex",
];

/** The default `minimumpriority` of a human-facing output while the canary runs: just above its Debug. */
export const CANARY_QUIET_PRIORITY: Priority = "informational";

export const OUTPUT_NAMES = [
  "slack",
  "googlechat",
  "datadog",
  "elasticsearch",
  "loki",
  "grafana",
  "aws",
  "nats",
  "kafka",
  "mqtt",
  "smtp",
  "webhook",
  "talon",
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** The key under `falco-stack:outputs` whose blocks are merged into the chart's `config:` unvalidated. */
export const PASSTHROUGH_KEY = "extra";

/** Our own per-output key (not a chart key): silences the plain-text warning for that output. */
export const ACKNOWLEDGE_PLAINTEXT_KEY = "acknowledgePlaintext";

/** A stack file declares "this sensitive setting must come from secret config" with this value. */
export const SECRET_REQUIRED = "<secret>";

/** Prefix of the environment variables `render` reads secret values from, e.g. FALCO_STACK_SLACK_WEBHOOKURL. */
export const RENDER_ENV_PREFIX = "FALCO_STACK_";

export type ValueKind =
  | { type: "string" }
  | { type: "enum"; values: readonly string[] }
  | { type: "boolean" }
  | { type: "integer"; min: number; max?: number }
  /** An integer the chart passes through `toString`: kept as a string so Helm's float64 cannot turn 1234567 into 1.234567e+06. */
  | { type: "integerString"; min: number }
  | { type: "priority" }
  | { type: "httpUrl"; httpsOnly?: boolean; allowCredentials?: boolean }
  | { type: "natsUrl" }
  | { type: "mqttBroker" }
  | { type: "hostPort" }
  | { type: "hostPortList" }
  | { type: "email" }
  | { type: "emailList" }
  | { type: "duration" }
  /** Custom HTTP headers: `k:v,k:v` text or a map; serialized as falcosidekick parses that output's env var. */
  | { type: "headers"; format: "pairs" | "json" }
  | { type: "awsRegion" }
  | { type: "s3Bucket" }
  | { type: "arn" };

/**
 * `always`: the value is a credential (API key, password, webhook URL whose path is the token).
 * `url`: an address that can carry credentials (`nats://user:pass@...`, `?token=`): always kept in the
 * Secret, but only warned about in plain text when it does carry some.
 */
export type Sensitivity = "always" | "url";

export interface KeySpec {
  kind: ValueKind;
  sensitive?: Sensitivity;
  /** One line for the docs and error messages. */
  doc: string;
}

export interface OutputSpec {
  name: OutputName;
  title: string;
  /** Dotted paths relative to the output block, spelled as the chart spells them. */
  keys: Readonly<Record<string, KeySpec>>;
  /** Keys that must all be set for falcosidekick to switch the output on (`main.go` "enabled when"). */
  essential: readonly string[];
  /** Where this output's minimum priority lives (`s3.minimumpriority` for AWS). */
  priorityKey: string;
}

const str = (doc: string, sensitive?: Sensitivity): KeySpec => ({ kind: { type: "string" }, doc, sensitive });
const bool = (doc: string): KeySpec => ({ kind: { type: "boolean" }, doc });
const int = (doc: string, min = 0, max?: number): KeySpec => ({ kind: { type: "integer", min, max }, doc });
const oneOf = (values: readonly string[], doc: string): KeySpec => ({ kind: { type: "enum", values }, doc });
const priority: KeySpec = {
  kind: { type: "priority" },
  doc: "events below this priority are not sent (default debug: everything)",
};
const mutualtls = bool("use mutual TLS (client certificate); checkcert is then ignored");
const checkcert = bool("verify the server certificate (default true)");
const secretText = (doc: string): KeySpec => str(doc, "always");

export const OUTPUTS: Readonly<Record<OutputName, OutputSpec>> = {
  slack: {
    name: "slack",
    title: "Slack",
    essential: ["webhookurl"],
    priorityKey: "minimumpriority",
    keys: {
      webhookurl: {
        kind: { type: "httpUrl", httpsOnly: true, allowCredentials: true },
        sensitive: "always",
        doc: "incoming webhook URL, https://hooks.slack.com/services/...",
      },
      channel: str("channel to post to, e.g. #falco (default: the webhook's)"),
      username: str("name the messages are posted as"),
      icon: str("avatar URL"),
      footer: str("footer text"),
      outputformat: oneOf(["all", "text", "fields"], "all (default), text or fields"),
      messageformat: str("Go template for a text line above the attachment"),
      minimumpriority: priority,
    },
  },
  googlechat: {
    name: "googlechat",
    title: "Google Chat",
    essential: ["webhookurl"],
    priorityKey: "minimumpriority",
    keys: {
      webhookurl: {
        kind: { type: "httpUrl", httpsOnly: true, allowCredentials: true },
        sensitive: "always",
        doc: "space webhook URL (it contains the key and token), https://chat.googleapis.com/v1/spaces/...",
      },
      outputformat: oneOf(["all", "text"], "all (default) or text"),
      messageformat: str("Go template for a text line above the card"),
      minimumpriority: priority,
    },
  },
  datadog: {
    name: "datadog",
    title: "Datadog",
    essential: ["apikey"],
    priorityKey: "minimumpriority",
    keys: {
      apikey: secretText("Datadog API key"),
      host: {
        kind: { type: "httpUrl", httpsOnly: true },
        doc: "API host, e.g. https://api.datadoghq.eu (default https://api.datadoghq.com)",
      },
      minimumpriority: priority,
    },
  },
  elasticsearch: {
    name: "elasticsearch",
    title: "Elasticsearch",
    essential: ["hostport"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: { kind: { type: "httpUrl" }, doc: "http(s)://host:port, without credentials" },
      index: str("index name (default falco)"),
      type: str("document type (default _doc)"),
      pipeline: str("ingest pipeline name"),
      suffix: oneOf(["daily", "monthly", "annually", "none"], "index date suffix (default daily)"),
      apikey: secretText("API key (used instead of username/password when set)"),
      username: secretText("basic-auth user"),
      password: secretText("basic-auth password"),
      flattenfields: bool("replace . by _ in field names"),
      createindextemplate: bool("create an index template"),
      numberofshards: int("shards of the index template (default 3)", 1),
      numberofreplicas: int("replicas of the index template (default 3)"),
      customheaders: {
        kind: { type: "headers", format: "json" },
        sensitive: "always",
        doc: "extra HTTP headers, a map or `Key:value,Key:value`",
      },
      mutualtls,
      checkcert,
      enablecompression: bool("gzip request bodies"),
      maxconcurrentrequests: int("concurrent HTTP requests (default 1)", 1),
      "batching.enabled": bool("use the _bulk API (default true)"),
      "batching.batchsize": {
        kind: { type: "integerString", min: 1 },
        doc: "batch size in bytes (default 5242880)",
      },
      "batching.flushinterval": { kind: { type: "duration" }, doc: "Go duration, e.g. 1s (default)" },
      minimumpriority: priority,
    },
  },
  loki: {
    name: "loki",
    title: "Loki",
    essential: ["hostport"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: { kind: { type: "httpUrl" }, doc: "http(s)://host:port, without credentials" },
      endpoint: str("push path (default /loki/api/v1/push)"),
      user: secretText("basic-auth user (Grafana Cloud Logs)"),
      apikey: secretText("basic-auth API key (Grafana Cloud Logs)"),
      tenant: str("tenant, sent as X-Scope-OrgID"),
      format: oneOf(["text", "json"], "log line format (default text)"),
      extralabels: str("comma-separated fields to add as labels"),
      customheaders: {
        kind: { type: "headers", format: "pairs" },
        sensitive: "always",
        doc: "extra HTTP headers, a map or `Key:value,Key:value`",
      },
      mutualtls,
      checkcert,
      minimumpriority: priority,
    },
  },
  grafana: {
    name: "grafana",
    title: "Grafana annotations",
    essential: ["hostport", "apikey"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: { kind: { type: "httpUrl" }, doc: "http(s)://host:port of Grafana, without credentials" },
      apikey: secretText("service account token or API key (sent as Bearer)"),
      dashboardid: { kind: { type: "integerString", min: 1 }, doc: "scope annotations to this dashboard" },
      panelid: { kind: { type: "integerString", min: 1 }, doc: "scope annotations to this panel" },
      allfieldsastags: bool("add all custom fields as tags"),
      mutualtls,
      checkcert,
      minimumpriority: priority,
    },
  },
  aws: {
    name: "aws",
    title: "AWS S3",
    essential: ["s3.bucket", "region"],
    priorityKey: "s3.minimumpriority",
    keys: {
      accesskeyid: secretText("access key id (omit to use IRSA or the instance profile)"),
      secretaccesskey: secretText("secret access key"),
      region: { kind: { type: "awsRegion" }, doc: "region, e.g. eu-west-1" },
      useirsa: bool("put rolearn on the ServiceAccount for IRSA (chart default true)"),
      rolearn: { kind: { type: "arn" }, doc: "IAM role ARN to use" },
      externalid: str("external id for assuming rolearn (only used when useirsa is false)"),
      checkidentity: bool("check the credentials at startup (default true)"),
      "s3.bucket": { kind: { type: "s3Bucket" }, doc: "bucket name" },
      "s3.prefix": str("key prefix"),
      "s3.endpoint": { kind: { type: "httpUrl" }, doc: "endpoint of an S3-compatible API" },
      "s3.objectcannedacl": oneOf(
        [
          "private",
          "public-read",
          "public-read-write",
          "authenticated-read",
          "aws-exec-read",
          "bucket-owner-read",
          "bucket-owner-full-control",
        ],
        "canned ACL of new objects (default bucket-owner-full-control)",
      ),
      "s3.minimumpriority": priority,
    },
  },
  nats: {
    name: "nats",
    title: "NATS",
    essential: ["hostport"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: {
        kind: { type: "natsUrl" },
        sensitive: "url",
        doc: "nats://host:port or tls://host:port; credentials go in the URL (nats://user:pass@host:4222)",
      },
      subjecttemplate: str("subject, <priority> and <rule> are replaced (default falco.<priority>.<rule>)"),
      mutualtls,
      checkcert,
      minimumpriority: priority,
    },
  },
  kafka: {
    name: "kafka",
    title: "Kafka",
    essential: ["hostport", "topic"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: {
        kind: { type: "hostPortList" },
        doc: "comma-separated bootstrap brokers host[:port] (port 9092)",
      },
      topic: str("topic name"),
      sasl: oneOf(["PLAIN", "SCRAM_SHA256", "SCRAM_SHA512"], "SASL mechanism (default: no authentication)"),
      tls: bool("use TLS"),
      username: secretText("SASL user"),
      password: secretText("SASL password"),
      async: bool("produce without waiting"),
      requiredacks: oneOf(["NONE", "ONE", "ALL"], "acknowledgements required (default NONE)"),
      compression: oneOf(["NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"], "compression (default NONE)"),
      balancer: oneOf(
        ["round_robin", "least_bytes", "crc32", "crc32_random", "murmur2", "murmur2_random"],
        "partition balancer (default round_robin)",
      ),
      topiccreation: bool("create the topic when missing"),
      clientid: str("client id sent to the brokers"),
      minimumpriority: priority,
    },
  },
  mqtt: {
    name: "mqtt",
    title: "MQTT",
    essential: ["broker"],
    priorityKey: "minimumpriority",
    keys: {
      broker: {
        kind: { type: "mqttBroker" },
        doc: "tcp://host:port or ssl://host:port, without credentials",
      },
      topic: str("topic (default falco/events)"),
      qos: int("QoS 0, 1 or 2 (default 0)", 0, 2),
      retained: bool("publish retained messages"),
      user: secretText("user"),
      password: secretText("password"),
      checkcert,
      minimumpriority: priority,
    },
  },
  smtp: {
    name: "smtp",
    title: "SMTP (e-mail)",
    essential: ["hostport", "from", "to"],
    priorityKey: "minimumpriority",
    keys: {
      hostport: { kind: { type: "hostPort" }, doc: "host:port of the mail server" },
      tls: bool("use TLS (default true)"),
      authmechanism: oneOf(
        ["plain", "oauthbearer", "external", "anonymous", ""],
        'SASL mechanism (default plain; "" for none)',
      ),
      user: secretText("SASL user"),
      password: secretText("SASL password"),
      token: secretText("OAuth bearer token (authmechanism oauthbearer)"),
      identity: str("identity (plain and external mechanisms)"),
      trace: str("trace string (anonymous mechanism)"),
      from: { kind: { type: "email" }, doc: "sender address" },
      to: { kind: { type: "emailList" }, doc: "comma-separated recipient addresses" },
      outputformat: oneOf(["html", "text"], "html (default) or text"),
      minimumpriority: priority,
    },
  },
  webhook: {
    name: "webhook",
    title: "Webhook",
    essential: ["address"],
    priorityKey: "minimumpriority",
    keys: {
      address: {
        kind: { type: "httpUrl", allowCredentials: true },
        sensitive: "url",
        doc: "http(s) URL the events are sent to (may carry a token)",
      },
      method: oneOf(["POST", "PUT"], "POST (default) or PUT"),
      customHeaders: {
        kind: { type: "headers", format: "pairs" },
        sensitive: "always",
        doc: "extra HTTP headers (camelCase, as in the chart), a map or `Key:value,Key:value`",
      },
      mutualtls,
      checkcert,
      minimumpriority: priority,
    },
  },
  talon: {
    name: "talon",
    title: "Falco Talon (response actions)",
    essential: ["address"],
    priorityKey: "minimumpriority",
    keys: {
      address: {
        kind: { type: "httpUrl" },
        sensitive: "url",
        doc: "http(s) address of Falco Talon, e.g. http://falco-talon.falco.svc.cluster.local:2803",
      },
      checkcert,
      minimumpriority: priority,
    },
  },
};

/**
 * Top-level keys of the chart's `config:` block that are outputs (falcosidekick 0.14.0 values.yaml).
 * The non-output settings (existingSecret, extraEnv, debug, tls*, ...) are not outputs and are refused
 * under the passthrough key: they belong to `falco-stack:sidekick.values`.
 */
export const CHART_OUTPUT_KEYS = [
  "slack",
  "rocketchat",
  "mattermost",
  "teams",
  "datadog",
  "datadoglogs",
  "alertmanager",
  "elasticsearch",
  "influxdb",
  "loki",
  "prometheus",
  "nats",
  "stan",
  "aws",
  "smtp",
  "opsgenie",
  "statsd",
  "dogstatsd",
  "webhook",
  "azure",
  "discord",
  "gcp",
  "googlechat",
  "kafka",
  "pagerduty",
  "kubeless",
  "openfaas",
  "cloudevents",
  "rabbitmq",
  "wavefront",
  "grafana",
  "grafanaoncall",
  "fission",
  "yandex",
  "kafkarest",
  "syslog",
  "cliq",
  "policyreport",
  "nodered",
  "mqtt",
  "zincsearch",
  "gotify",
  "tekton",
  "spyderbat",
  "timescaledb",
  "redis",
  "telegram",
  "n8n",
  "openobserve",
  "dynatrace",
  "otlp",
  "sumologic",
  "quickwit",
  "webex",
  "talon",
  "splunk",
] as const;

/** Chart keys of typed outputs that we refuse on purpose, with the reason shown to the user. */
export const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  "grafana.customheaders":
    "falcosidekick 2.32.0 does not read GRAFANA_CUSTOMHEADERS from its environment, the only way the chart passes settings",
};

/** Sub-blocks of the chart's `aws:` that are other AWS outputs: allowed under the passthrough key. */
export const AWS_PASSTHROUGH_BLOCKS = [
  "cloudwatchlogs",
  "lambda",
  "sns",
  "sqs",
  "kinesis",
  "securitylake",
] as const;

/** The falcosidekick env var a key is read from: viper's `.` → `_`, upper-cased (e.g. AWS_S3_BUCKET). */
export function envName(path: readonly string[]): string {
  return path.join("_").toUpperCase();
}

/** Passthrough key names that hold credentials in some chart output: kept out of values, warned about in plain text. */
export const CREDENTIAL_KEY_PATTERN =
  /^(webhookurl|apikey|password|token|secretaccesskey|accesskeyid|routingkey|jwt|credentials|customheaders|endpointtoken|user|username|apitoken|headerauthvalue)$/i;

/** Passthrough key names that are addresses: kept out of values, warned about only when they carry credentials. */
export const ADDRESS_KEY_PATTERN = /^(url|address|hostport)$/i;
