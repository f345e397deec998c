import fs from "node:fs";
import path from "node:path";
import { parseDocument, stringify } from "yaml";
import { OUTPUTS, OUTPUT_NAMES } from "../../src/outputs/index.ts";
import { allowedKeysAt, TOP_LEVEL_KEYS } from "../../src/stack/settings.ts";

/**
 * A corpus of broken stack files, made from the shipped ones by a fixed-seed mutator plus hand-written
 * cases for every defect of issue 13: each must be refused cleanly. A few good files (the shipped
 * ones, and the same with anchors and merge keys) must still be accepted.
 */

/** Every secret the corpus feeds in; no message may contain it. */
export const CORPUS_SECRET = "C0rpusS3cretValue";
export const CORPUS_SECRET_NUMBER = 86420975;

export interface CorpusCase {
  name: string;
  /** The stack file's content. */
  content: string | Buffer;
  /** Render's environment (secret values). */
  env?: Record<string, string>;
  /** "refuse": known bad; "accept": a good file that must still render. */
  expect: "refuse" | "accept";
  /** What the refusal must say (hand-written cases): the real mistake, not a misleading one. */
  mentions?: RegExp;
}

/** What each hand-written case's refusal must say. */
const MENTIONS: Record<string, RegExp> = {
  "empty file": /holds no settings/,
  "blank lines": /holds no settings/,
  "comments only": /holds no settings/,
  "top-level list": /is a list/,
  "plain text": /is plain text/,
  "UTF-16 with BOM": /UTF-16/,
  "UTF-16 without BOM": /UTF-16/,
  "binary garbage": /not a text file/,
  "invalid UTF-8": /not valid UTF-8/,
  "misspelt config:": /did you mean config\?/,
  "Config: in capitals": /did you mean config\?/,
  "falco-stack keys at the top level": /keys go under config:/,
  "config: empty": /has no config: settings/,
  "config: a list": /"config" must be a map/,
  "no config at all": /has no config: settings/,
  "one-key nested setting": /pulumi config set --path 'falco-stack:ui\.storageSize'/,
  "one-key storage class": /pulumi config set --path 'falco-stack:ui\.storageClass'/,
  "misspelt namespace": /did you mean falco-stack:demo/,
  "encrypted namespace": /falco-stack:namespace: is encrypted .*cannot be read offline/,
  "encrypted storage class": /falco-stack:ui\.storageClass: is encrypted .*cannot be read offline/,
  "outputs encrypted whole": /falco-stack:outputs: is encrypted as a whole, so it cannot be read offline/,
  "deep flow values": /nests (too deeply|deeper than 64 levels)/,
  "deep block values": /nests (too deeply|deeper than 64 levels)/,
  "alias bomb": /aliases expand too far/,
  "merge key bringing an unknown key": /unknown key/,
  "duplicate key": /:\d+:\d+: /,
  "unclosed bracket": /:\d+:\d+: /,
  "tab indentation": /:\d+:\d+: /,
  "size and misspelt output together": /falco-stack:ui\.storageSize: [^\n]*\n[^]*falco-stack:outputs\.slak: /,
  "malformed secret from the environment": /FALCO_STACK_SLACK_WEBHOOKURL/,
  "numeric secret from the environment": /FALCO_STACK_WEBHOOK_ADDRESS/,
  "2 MB storage class": /longer than 253 characters/,
};

/** mulberry32: a small seeded PRNG, so the corpus is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Config = Record<string, unknown>;

const SHIPPED = ["dev", "staging", "prod"] as const;

function shippedConfig(projectRoot: string, stack: string): Config {
  const text = fs.readFileSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), "utf8");
  const data = parseDocument(text).toJS() as { config: Config };
  return data.config;
}

function fileOf(config: Config): string {
  return stringify({ config }, { lineWidth: 0 });
}

function setAt(config: Config, [head, ...rest]: readonly string[], value: unknown): Config {
  const copy = structuredClone(config);
  const key = `falco-stack:${head ?? ""}`;
  if (rest.length === 0) {
    copy[key] = value;
    return copy;
  }
  let node = (copy[key] ??= {}) as Config;
  for (const part of rest.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part] as Config;
  }
  node[rest.at(-1) ?? ""] = value;
  return copy;
}

const S = CORPUS_SECRET;
const secure = { secure: "v1:AAABAKc0cnB1c3NlY3JldA==" };

/** Bad values by setting path: each is wrong whatever else the file holds. */
const BAD_VALUES: [string[], unknown[]][] = [
  [["namespace"], ["Falco", "kube-system", "default", "a".repeat(64), "", 42, ["falco"], "falco_ns"]],
  [
    ["ui", "storageClass"],
    ["my storage class", "GP3", "$(id)", "x".repeat(300), 5, "-gp3", "gp3."],
  ],
  [
    ["ui", "storageSize"],
    ["0", "0Gi", "10GB", "-1Gi", "1 Gi", "", 10, true, "1.5.5Gi"],
  ],
  [
    ["ui", "replicas"],
    [0, 11, 1.5, "2", -1],
  ],
  [
    ["ui", "ttl"],
    ["7 days", "forever", 7, ""],
  ],
  [
    ["ui", "enabled"],
    ["yes", 1],
  ],
  [
    ["ui", "allowedFrom"],
    [
      [{}],
      [{ namespaceSelector: { matchLabels: { "bad key": "x" } } }],
      [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }] } }],
      [{ podSelector: { matchExpressions: [{ key: "team", operator: "Exists", values: ["a"] }] } }],
      [{ ipBlock: { cidr: "10.0.0.0/33" } }],
      [{ namespaceSelector: { matchLabels: { team: "not a value!" } } }],
      "all",
    ],
  ],
  [
    ["sidekick", "replicas"],
    [0, 21, 1.5, "two", -3],
  ],
  [
    ["sidekick", "chartVersion"],
    ["0.13.0", "latest", "1.0.0", "0.15.0"],
  ],
  [
    ["sidekick", "values"],
    [{ fullnameOverride: "x" }, { config: { slack: { webhookurl: "x" } } }, "values", [1]],
  ],
  [["sidekick", "networkPolicies"], ["off"]],
  [
    ["falco", "chartVersion"],
    ["9.2.0", "8.0.0", "v9.1.0", "9.0.1"],
  ],
  [
    ["falco", "driver"],
    ["ebpf", "gvisor", "magic", 1],
  ],
  [["falco", "tty"], ["yes"]],
  [
    ["falco", "resources"],
    [
      { requests: { cpu: "2" }, limits: { cpu: "1" } },
      { requests: { memory: "2Gi" } },
      { limits: { memory: "1GB" } },
      { requests: { gpu: "1" } },
      { requests: { cpu: "4" } },
    ],
  ],
  [
    ["falco", "tolerations"],
    [
      [{ key: "k", operator: "Exists", value: "v" }],
      [{ key: "k", effect: "NoSchedule", tolerationSeconds: 5 }],
      [{ operator: "Maybe" }],
      [{ value: "v" }],
      "all",
    ],
  ],
  [
    ["falco", "values"],
    [{ driver: { kind: "ebpf" } }, { customRules: {} }, { mounts: {} }, { falcosidekick: {} }],
  ],
  [["falco", "airGapped"], ["no"]],
  [
    ["rules", "files"],
    [[], ["missing-folder"], ["empty-folder"], ["spaced"], ["broken"], ["notes.txt"], "rules"],
  ],
  [
    ["rules", "rulesets"],
    [["nope"], "falco-rules", ["falco-rules", "falco-rulez"]],
  ],
  [
    ["demo", "image"],
    ["Bad Image", "", "nginx:", 5, "nginx:1.24 --privileged"],
  ],
  [
    ["demo", "namespace"],
    ["kube-public", "Demo"],
  ],
  [["demo", "enabled"], ["on"]],
  [
    ["outputs", "slack", "webhookurl"],
    [`http://hooks.slack.com/services/${S}`, CORPUS_SECRET_NUMBER, [S]],
  ],
  [
    ["outputs", "webhook", "address"],
    [`htps://hooks.example/${S}`, `ftp://u:${S}@x`, CORPUS_SECRET_NUMBER],
  ],
  [["outputs", "elasticsearch", "hostport"], [`https://elastic:${S}@es:9200`]],
  [
    ["outputs", "nats", "hostport"],
    [`nats//u:${S}@n`, `http://u:${S}@nats:4222`],
  ],
  [["outputs", "loki", "hostport"], ["loki:3100"]],
  [
    ["outputs", "loki", "customheaders"],
    [`Authorization ${S}`, { Authorization: `Bearer:${S}` }],
  ],
  [["outputs", "mqtt", "broker"], [`tcp://u:${S}@mqtt`]],
  [
    ["outputs", "datadog", "apikey"],
    [[S], { key: S }],
  ],
  [["outputs", "smtp"], [{ hostport: "smtp", from: "x", to: "y" }]],
  [["outputs", "slak"], [{ webhookurl: "https://hooks.slack.com/x" }]],
  [["outputs", "kafka"], [{ hostport: "kafka://k:9092", topic: "t" }]],
  [["outputs"], ["slack", [1], secure]],
  [["outputs", "slack"], [secure]],
];

/** Allowed keys at a config path, to make sure a misspelling is not another valid key. */
function keysAt(parts: readonly string[]): string[] {
  if (parts.length === 0) return TOP_LEVEL_KEYS;
  const [head, name, ...rest] = parts;
  if (head === "outputs") {
    if (name === undefined) return [...OUTPUT_NAMES, "extra"];
    if (!(OUTPUT_NAMES as readonly string[]).includes(name)) return [];
    const prefix = rest.join(".");
    return Object.keys(OUTPUTS[name as (typeof OUTPUT_NAMES)[number]].keys)
      .filter((key) => prefix === "" || key.startsWith(`${prefix}.`))
      .map((key) => key.slice(prefix === "" ? 0 : prefix.length + 1).split(".")[0] ?? "");
  }
  return allowedKeysAt(parts);
}

/** Every key path in a config (maps only), for misspelling one of them. */
function keyPaths(config: Config): string[][] {
  const paths: string[][] = [];
  const visit = (node: unknown, at: string[]) => {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return;
    for (const [key, child] of Object.entries(node)) {
      paths.push([...at, key]);
      if (at.length < 3) visit(child, [...at, key]);
    }
  };
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith("falco-stack:")) continue;
    const name = key.slice("falco-stack:".length);
    paths.push([name]);
    visit(value, [name]);
  }
  return paths;
}

function misspell(name: string, next: () => number): string {
  const at = Math.floor(next() * name.length);
  const kind = Math.floor(next() * 4);
  const letter = "abcdefghijklmnopqrstuvwxyz"[Math.floor(next() * 26)] ?? "x";
  if (kind === 0) return name.slice(0, at) + name.slice(at + 1);
  if (kind === 1) return name.slice(0, at) + letter + name.slice(at);
  if (kind === 2 && name.length > 1) {
    const i = Math.min(at, name.length - 2);
    return name.slice(0, i) + (name[i + 1] ?? "") + (name[i] ?? "") + name.slice(i + 2);
  }
  return name.slice(0, at) + (name[at] ?? "").toUpperCase() + name.slice(at + 1);
}

function renameKey(config: Config, parts: readonly string[], renamed: string): Config {
  const copy = structuredClone(config);
  const [head, ...rest] = parts;
  if (rest.length === 0) {
    const entries = Object.entries(copy).map(([key, value]) =>
      key === `falco-stack:${head ?? ""}` ? [`falco-stack:${renamed}`, value] : [key, value],
    );
    return Object.fromEntries(entries) as Config;
  }
  let node = copy[`falco-stack:${head ?? ""}`] as Config;
  for (const part of rest.slice(0, -1)) node = node[part] as Config;
  const last = rest.at(-1) ?? "";
  const value = node[last];
  Reflect.deleteProperty(node, last);
  node[renamed] = value;
  return copy;
}

const STORAGE = "config:\n  falco-stack:ui:\n    storageClass: standard\n";

/** Hand-written cases, one or more for each defect of issue 13. */
function handWritten(staging: string): CorpusCase[] {
  const refuse = (name: string, content: string | Buffer, env?: Record<string, string>): CorpusCase => ({
    name,
    content,
    env,
    expect: "refuse",
  });
  const deepFlow = `${STORAGE}  falco-stack:sidekick:\n    values:\n      deep: ${"[".repeat(3000)}${"]".repeat(3000)}\n`;
  let deepBlock = `${STORAGE}  falco-stack:falco:\n    values:\n`;
  for (let i = 0; i < 300; i++) deepBlock += `${" ".repeat(6 + 2 * i)}a:\n`;
  const bomb = [
    `${STORAGE}  falco-stack:falco:`,
    "    values:",
    "      l0: &l0 [x, x, x, x, x, x, x, x, x, x]",
  ];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `      l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(", ")}]`,
    );
  const cases = [
    refuse("empty file", ""),
    refuse("blank lines", "\n\n\n"),
    refuse("comments only", "# config:\n#   falco-stack:ui: {}\n"),
    refuse("top-level list", "- config:\n    falco-stack:namespace: falco\n"),
    refuse("plain text", "hello world\n"),
    refuse("UTF-16 with BOM", Buffer.from(`\ufeff${staging}`, "utf16le")),
    refuse("UTF-16 without BOM", Buffer.from(staging, "utf16le")),
    refuse("binary garbage", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0])),
    refuse("invalid UTF-8", Buffer.concat([Buffer.from(staging), Buffer.from([0xc3, 0x28, 0xa0, 0xa1])])),
    refuse("misspelt config:", staging.replace(/^config:/m, "confg:")),
    refuse("Config: in capitals", staging.replace(/^config:/m, "Config:")),
    refuse("falco-stack keys at the top level", staging.replace(/^config:\n/m, "").replace(/^ {2}/gm, "")),
    refuse("config: empty", "config:\n"),
    refuse("config: a list", "config:\n  - falco-stack:namespace: falco\n"),
    refuse("no config at all", "secretsprovider: passphrase\n"),
    refuse("one-key nested setting", `${STORAGE}  falco-stack:ui.storageSize: 20Gi\n`),
    refuse("one-key storage class", "config:\n  falco-stack:ui.storageClass: gp3\n"),
    refuse("misspelt namespace", staging.replace("falco-stack:demo", "falco-stak:demo")),
    refuse("encrypted namespace", `${STORAGE}  falco-stack:namespace:\n    secure: v1:abc\n`),
    refuse(
      "encrypted storage class",
      "config:\n  falco-stack:ui:\n    storageClass:\n      secure: v1:abc\n",
    ),
    refuse("outputs encrypted whole", `${STORAGE}  falco-stack:outputs:\n    secure: v1:abc\n`),
    refuse("deep flow values", deepFlow),
    refuse("deep block values", deepBlock),
    refuse("alias bomb", `${bomb.join("\n")}\n`),
    refuse(
      "merge key bringing an unknown key",
      `${STORAGE}    extra: &x { storageSize: 1Gi, sizeOfStorage: 2 }\n  falco-stack:demo:\n    <<: *x\n`,
    ),
    refuse("duplicate key", `${staging}  falco-stack:namespace: other\n`),
    refuse("unclosed bracket", `${staging}  falco-stack:rules: [\n`),
    refuse("tab indentation", STORAGE.replace("    storageClass", "\tstorageClass")),
    refuse(
      "size and misspelt output together",
      `${STORAGE}    storageSize: 10GB\n  falco-stack:outputs:\n    slak: {}\n`,
    ),
    refuse(
      "malformed secret from the environment",
      `${STORAGE}  falco-stack:outputs:\n    slack:\n      webhookurl: <secret>\n`,
      { FALCO_STACK_SLACK_WEBHOOKURL: `hooks.slack.com/${CORPUS_SECRET}` },
    ),
    refuse(
      "numeric secret from the environment",
      `${STORAGE}  falco-stack:outputs:\n    webhook:\n      address: <secret>\n`,
      { FALCO_STACK_WEBHOOK_ADDRESS: String(CORPUS_SECRET_NUMBER) },
    ),
    refuse("2 MB storage class", `config:\n  falco-stack:ui:\n    storageClass: ${"a".repeat(2_000_000)}\n`),
  ];
  return cases.map((item) => ({ ...item, mentions: MENTIONS[item.name] }));
}

/** Good files: the shipped ones, and staging written with anchors, aliases and merge keys. */
function goodFiles(projectRoot: string): CorpusCase[] {
  const shipped = SHIPPED.map((stack): CorpusCase => ({
    name: `shipped ${stack}`,
    content: fs.readFileSync(path.join(projectRoot, `Pulumi.${stack}.yaml`), "utf8"),
    env: {
      FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T0/B0/x",
      FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
      FALCO_STACK_ELASTICSEARCH_PASSWORD: "pw",
    },
    expect: "accept",
  }));
  const anchors = [
    "config:",
    "  falco-stack:ui: &ui",
    "    enabled: true",
    "    storageClass: &class standard",
    "    storageSize: 5Gi",
    "  falco-stack:sidekick:",
    "    values:",
    "      podLabels:",
    "        storage: *class",
    "  falco-stack:falco:",
    "    resources:",
    "      requests: &req { cpu: 100m, memory: 512Mi }",
    "      limits:",
    "        <<: *req",
    "        cpu: 500m",
    "        memory: 1Gi",
    "",
  ].join("\n");
  return [...shipped, { name: "anchors, aliases and merge keys", content: anchors, expect: "accept" }];
}

/** The whole corpus: hand-written cases, then `mutations` fixed-seed mutations of the shipped files. */
export function corpusCases(projectRoot: string, mutations = 360, seed = 13): CorpusCase[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const bases = SHIPPED.map((stack) => shippedConfig(projectRoot, stack));
  const staging = fs.readFileSync(path.join(projectRoot, "Pulumi.staging.yaml"), "utf8");
  const cases: CorpusCase[] = [...handWritten(staging), ...goodFiles(projectRoot)];
  const env = {
    FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T0/B0/x",
    FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
    FALCO_STACK_ELASTICSEARCH_PASSWORD: "pw",
  };
  for (let i = 0; i < mutations; i++) {
    const baseIndex = Math.floor(next() * bases.length);
    const base = bases[baseIndex] ?? {};
    const stack = SHIPPED[baseIndex] ?? "dev";
    if (next() < 0.75) {
      const [at, values] = pick(BAD_VALUES);
      const value = pick(values);
      cases.push({
        name: `${stack}: falco-stack:${at.join(".")} = ${JSON.stringify(value)?.slice(0, 40)}`,
        content: fileOf(setAt(base, at, value)),
        env,
        expect: "refuse",
      });
      continue;
    }
    const paths = keyPaths(base);
    const at = pick(paths);
    const last = at.at(-1) ?? "";
    let renamed = misspell(last, next);
    const siblings = keysAt(at.slice(0, -1));
    if (renamed === last || siblings.includes(renamed) || renamed === "") renamed = `${last}x`;
    cases.push({
      name: `${stack}: key ${at.join(".")} misspelt ${renamed}`,
      content: fileOf(renameKey(base, at, renamed)),
      env,
      expect: "refuse",
    });
  }
  return cases;
}

/** Rule folders the corpus's rules.files values point at, and a small good rules folder. */
export function writeCorpusProject(root: string, repositoryRoot: string): void {
  const rule =
    "- rule: corpus rule\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n";
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write("rules/corpus.yaml", rule);
  // The shipped prod and staging run the detection canary, which needs its rule among the files.
  write(
    "rules/falco-stack-canary.yaml",
    fs.readFileSync(path.join(repositoryRoot, "rules", "falco-stack-canary.yaml"), "utf8"),
  );
  write("empty-folder/README.md", "no rules here\n");
  write("spaced/my rules.yaml", rule);
  write(
    "broken/bad.yaml",
    "- rule: r\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: WARNING\n",
  );
  write("notes.txt", "not a rules file\n");
}
