import { isIP } from "node:net";
import { z } from "zod";
import { UPSTREAM_RULESET_NAMES } from "../falco-rules/index.ts";
import { CHART_OUTPUT_KEYS } from "../outputs/catalog.ts";
import { ConfigError, configKey, type ConfigIssue } from "./errors.ts";

/**
 * The stack configuration schema: every key under `falco-stack:` with its default.
 * This file is the one place defaults live; the README's config reference mirrors it.
 */

export const FALCO_CHART_VERSION = "9.1.0";
export const SIDEKICK_CHART_VERSION = "0.14.0";
/** falcosidekick-ui 2.2.0 accepts empty basic-auth credentials; 2.3.0 fixes it. */
export const UI_IMAGE_TAG = "2.3.0";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const STORAGE_QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const UI_TTL = /^(0|\d+[smhdwMy])$/;
const CHART_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

const dnsLabel = (what: string) =>
  z
    .string({ error: `must be a string: ${what}` })
    .max(63, { error: `must be at most 63 characters: ${what}` })
    .regex(DNS_LABEL, { error: `must be a DNS label (lower-case letters, digits and '-'): ${what}` });

/** Explains the most common quantity mistake (SI suffix with a trailing B). */
function quantityHint(value: string): string {
  const bytes = /^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B$/i.exec(value);
  if (bytes) return ` (write ${bytes[1] ?? ""}${(bytes[2] ?? "").toUpperCase()}i)`;
  return "";
}

const quantity = (pattern: RegExp, example: string) =>
  z.string({ error: `must be a Kubernetes quantity such as ${example}` }).superRefine((value, ctx) => {
    if (!pattern.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: `"${value}" is not a Kubernetes quantity; use a number with a binary suffix such as ${example}${quantityHint(value)}`,
      });
    }
  });

const resourceList = z.strictObject({
  cpu: quantity(QUANTITY, "500m or 1").optional(),
  memory: quantity(STORAGE_QUANTITY, "512Mi").optional(),
});

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.number().int().optional(),
});

const rawValues = z.record(z.string(), z.unknown(), { error: "must be a map of chart values" });

/** Driver kinds the falco chart 9.x renders. `ebpf` and `gvisor` were removed in chart 9.0.0. */
export const DRIVER_KINDS = ["modern_ebpf", "auto", "kmod"] as const;
const REMOVED_DRIVER_HINT: Record<string, string> = {
  ebpf: "the legacy eBPF probe was removed in falco chart 9.0.0; use modern_ebpf (the default)",
  gvisor: "gVisor support was removed in falco chart 9.0.0; use modern_ebpf or kmod",
};

/** A raw values key the stack does not accept, and why. */
interface RefusedValue {
  path: string[];
  message: string;
}

const CHART9_REFUSES = "falco chart 9.x refuses this key:";
const STACK_OWNS = "is managed by falco-stack:";

/** Raw falco values refused: keys chart 9.x fails to render (falco-charts.md §1.3), and keys the stack owns. */
const REFUSED_FALCO_VALUES: RefusedValue[] = [
  {
    path: ["driver", "ebpf"],
    message: `${CHART9_REFUSES} the legacy eBPF probe was removed in chart 9.0.0; use falco.driver: modern_ebpf`,
  },
  {
    path: ["driver", "gvisor"],
    message: `${CHART9_REFUSES} gVisor was removed in chart 9.0.0; use falco.driver: modern_ebpf or kmod`,
  },
  {
    path: ["driver", "kind"],
    message: `${STACK_OWNS} set the driver with falco.driver (modern_ebpf, auto or kmod)`,
  },
  {
    path: ["falco", "grpc"],
    message: `${CHART9_REFUSES} the gRPC server was removed in Falco 0.44; events reach falcosidekick over http_output`,
  },
  {
    path: ["falco", "grpc_output"],
    message: `${CHART9_REFUSES} the gRPC output was removed in Falco 0.44; events reach falcosidekick over http_output`,
  },
  {
    path: ["customRules"],
    message: `${STACK_OWNS} custom rules come from falco-stack:rules.files, validated before deploy and mounted at /etc/falco/rules.d`,
  },
  {
    path: ["mounts"],
    message: `${STACK_OWNS} it mounts the custom rules here, and Helm replaces lists, so the rules would be lost`,
  },
  {
    path: ["falco", "rules_files"],
    message: `${STACK_OWNS} set from falco-stack:rules.rulesets, then /etc/falco/rules.d`,
  },
  {
    path: ["falco", "rule_matching"],
    message: `${STACK_OWNS} set from falco-stack:falco.ruleMatching`,
  },
  {
    path: ["falco", "http_output", "url"],
    message: `${STACK_OWNS} it points Falco at this stack's falcosidekick`,
  },
  {
    path: ["falcosidekick"],
    message: `${STACK_OWNS} falcosidekick is a release of its own; configure it under falco-stack:sidekick and falco-stack:outputs`,
  },
];

const GENERATED_CREDENTIALS =
  "the UI login and the Redis password are generated and handed over in Secrets (stack outputs uiUser, uiPassword); credentials never go into chart values";

/** Raw falcosidekick values refused: names the stack relies on, and anything that would put a credential into values. */
const REFUSED_SIDEKICK_VALUES: RefusedValue[] = [
  { path: ["fullnameOverride"], message: `${STACK_OWNS} fixed so Falco finds the falcosidekick Service` },
  {
    path: ["config", "existingSecret"],
    message: `${STACK_OWNS} the Secret holding the outputs' credentials`,
  },
  ...["user", "existingSecret"].map((key) => ({
    path: ["webui", key],
    message: `${STACK_OWNS} ${GENERATED_CREDENTIALS}`,
  })),
  ...["password", "existingSecret"].map((key) => ({
    path: ["webui", "redis", key],
    message: `${STACK_OWNS} ${GENERATED_CREDENTIALS}`,
  })),
  {
    path: ["webui", "externalRedis", "password"],
    message: "is not supported: credentials never go into chart values",
  },
  ...CHART_OUTPUT_KEYS.map((output) => ({
    path: ["config", output],
    message: `${STACK_OWNS} configure outputs under falco-stack:outputs (outputs.extra for those without typed keys), so their credentials go to a Secret, never into chart values`,
  })),
];

function hasPath(value: unknown, path: readonly string[]): boolean {
  let current: unknown = value;
  for (const part of path) {
    if (typeof current !== "object" || current === null || !(part in current)) return false;
    current = (current as Record<string, unknown>)[part];
  }
  return true;
}

/** Raw chart values with the refused keys reported at their own path. */
function rawValuesRefusing(refused: readonly RefusedValue[]) {
  return rawValues.superRefine((values, ctx) => {
    for (const entry of refused) {
      if (hasPath(values, entry.path))
        ctx.addIssue({ code: "custom", path: entry.path, message: entry.message });
    }
  });
}

const falcoSchema = z.strictObject({
  /** falco chart version. Default 9.1.0 (Falco 0.44.1). */
  chartVersion: z
    .string()
    .regex(CHART_VERSION, { error: "must be a chart version such as 9.1.0" })
    .default(FALCO_CHART_VERSION),
  /** Kernel instrumentation. Default modern_ebpf: nothing to download or compile on the node. */
  driver: z
    .string()
    .superRefine((value, ctx) => {
      if ((DRIVER_KINDS as readonly string[]).includes(value)) return;
      const hint = REMOVED_DRIVER_HINT[value];
      ctx.addIssue({
        code: "custom",
        message: hint
          ? `"${value}" is not supported: ${hint}`
          : `"${value}" is not a driver; allowed: ${DRIVER_KINDS.join(", ")}`,
      });
    })
    .default("modern_ebpf")
    .transform((value) => value as (typeof DRIVER_KINDS)[number]),
  /** Unbuffered logs, so events show up at once. Default true. */
  tty: z.boolean({ error: "must be true or false" }).default(true),
  /**
   * Falco's rule_matching: `first` raises only the first rule, in load order, that matches an event;
   * `all` raises every match (slower). Default first, as Falco's.
   */
  ruleMatching: z.enum(["first", "all"], { error: "must be first or all" }).default("first"),
  /** Falco container resources. Default: the chart's (requests 100m/512Mi, limits 1000m/1024Mi). */
  resources: z
    .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
    .default({ requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1000m", memory: "1024Mi" } }),
  /** Default: tolerate the control-plane taints so every node is watched. */
  tolerations: z.array(toleration).default([
    { effect: "NoSchedule", key: "node-role.kubernetes.io/master" },
    { effect: "NoSchedule", key: "node-role.kubernetes.io/control-plane" },
  ]),
  /**
   * No falcoctl: Falco runs the rules and container plugin bundled in its image (falco-rules only).
   * Default false: falcoctl installs the pinned rulesets at pod start (it needs to reach ghcr.io).
   */
  airGapped: z.boolean({ error: "must be true or false" }).default(false),
  /** Raw falco chart values, merged last; keys the stack owns are refused. Default {}. */
  values: rawValuesRefusing(REFUSED_FALCO_VALUES).default({}),
});

const sidekickSchema = z.strictObject({
  /** falcosidekick chart version. Default 0.14.0 (falcosidekick 2.32.0). */
  chartVersion: z
    .string()
    .regex(CHART_VERSION, { error: "must be a chart version such as 0.14.0" })
    .default(SIDEKICK_CHART_VERSION),
  /** falcosidekick replicas. Default 2. */
  replicas: z.number({ error: "must be a whole number" }).int().min(1).max(20).default(2),
  /** NetworkPolicies for sidekick, the UI and Redis. Default true; turn off where no policy engine runs. */
  networkPolicies: z.boolean({ error: "must be true or false" }).default(true),
  /** Raw falcosidekick chart values, merged last; keys the stack owns and credentials are refused. Default {}. */
  values: rawValuesRefusing(REFUSED_SIDEKICK_VALUES).default({}),
});

/** A CIDR such as 10.0.0.0/8 or fd00::/8. */
const cidr = z.string().superRefine((value, ctx) => {
  const [address = "", prefix, ...rest] = value.split("/");
  const family = isIP(address);
  const bits = Number(prefix);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0 || !/^\d+$/.test(prefix ?? "") || bits > max) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a CIDR such as 10.0.0.0/8 or fd00::/8` });
  }
});

const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** A NetworkPolicyPeer, checked here so a typo is reported at its config key, not by the API server. */
const networkPolicyPeer = z
  .strictObject({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: z.strictObject({ cidr, except: z.array(cidr).optional() }).optional(),
  })
  .superRefine((peer, ctx) => {
    const selectors = peer.podSelector !== undefined || peer.namespaceSelector !== undefined;
    if (peer.ipBlock && selectors) {
      ctx.addIssue({
        code: "custom",
        message: "ipBlock cannot be combined with podSelector or namespaceSelector",
      });
    } else if (!peer.ipBlock && !selectors) {
      ctx.addIssue({ code: "custom", message: "needs podSelector, namespaceSelector (or both), or ipBlock" });
    }
  });

const uiSchema = z.strictObject({
  /** The falcosidekick web UI with its Redis. Default true. */
  enabled: z.boolean({ error: "must be true or false" }).default(true),
  /** UI replicas. Default 1. */
  replicas: z.number({ error: "must be a whole number" }).int().min(1).max(10).default(1),
  /** Keep Redis data on a PersistentVolumeClaim. Default true. */
  storageEnabled: z.boolean({ error: "must be true or false" }).default(true),
  /**
   * StorageClass of the Redis volume. No default on purpose: without a default StorageClass in the
   * cluster the volume stays Pending. "" means the cluster default.
   */
  storageClass: z.string({ error: "must be a StorageClass name (kubectl get storageclass)" }).optional(),
  /** Size of the Redis volume. Default 1Gi. */
  storageSize: quantity(STORAGE_QUANTITY, "1Gi or 10Gi").default("1Gi"),
  /** How long the UI keeps events (s, m, h, d, w, M, y; 0 keeps them forever). Default 7d. */
  ttl: z
    .string({ error: "must be a duration such as 7d" })
    .regex(UI_TTL, { error: "must be a number with a unit s, m, h, d, w, M or y (e.g. 7d), or 0" })
    .default("7d"),
  /**
   * Extra NetworkPolicy peers allowed to reach the UI port besides the release namespace, for
   * example an ingress controller namespace. Default [] (port-forward needs no rule).
   */
  allowedFrom: z.array(networkPolicyPeer).default([]),
});

const rulesSchema = z.strictObject({
  /** Rule files or folders, relative to the project root. Default ["rules"]. */
  files: z
    .array(z.string().min(1))
    .min(1, { error: "must name at least one file or folder" })
    .default(["rules"]),
  /** Upstream rulesets falcoctl installs, loaded before ours. Default ["falco-rules"]. */
  rulesets: z
    .array(z.enum(UPSTREAM_RULESET_NAMES, { error: `allowed: ${UPSTREAM_RULESET_NAMES.join(", ")}` }))
    .default(["falco-rules"]),
});

const demoSchema = z.strictObject({
  /** Deploy the demo nginx pod. Default false: a production cluster does not need it. */
  enabled: z.boolean({ error: "must be true or false" }).default(false),
  /** Namespace of the demo pod (Pod Security `baseline`). Default "demo". */
  namespace: dnsLabel("the demo namespace").default("demo"),
  /** Name of the demo pod. Default "www", as in the tutorial. */
  name: dnsLabel("the demo pod name").default("www"),
  /** Image of the demo pod. Default nginx:1.24. */
  image: z.string().min(1).default("nginx:1.24"),
});

export const stackConfigSchema = z.strictObject({
  /** Namespace of Falco, falcosidekick and the UI (Pod Security `privileged`). Default "falco". */
  namespace: dnsLabel("the Falco namespace").default("falco"),
  falco: falcoSchema.default(falcoSchema.parse({})),
  sidekick: sidekickSchema.default(sidekickSchema.parse({})),
  /** falcosidekick outputs, validated by `planOutputs` (src/outputs). Default: none. */
  outputs: z.unknown().optional(),
  ui: uiSchema.default(uiSchema.parse({})),
  rules: rulesSchema.default(rulesSchema.parse({})),
  demo: demoSchema.default(demoSchema.parse({})),
});

export type StackConfig = z.output<typeof stackConfigSchema>;
export type FalcoSettings = StackConfig["falco"];
export type SidekickSettings = StackConfig["sidekick"];
export type UiSettings = StackConfig["ui"];
export type RulesSettings = StackConfig["rules"];
export type DemoSettings = StackConfig["demo"];
export type DriverKind = (typeof DRIVER_KINDS)[number];

export const TOP_LEVEL_KEYS = Object.keys(stackConfigSchema.shape);

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  return issue.message;
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = stackConfigSchema;
  for (const part of path) {
    let inner: z.ZodType = schema;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) {
      inner = inner.unwrap() as z.ZodType;
    }
    if (!(inner instanceof z.ZodObject)) return [];
    const next = (inner.shape as Record<string, z.ZodType>)[String(part)];
    if (!next) return [];
    schema = next;
  }
  while (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional)
    schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/**
 * Parses the `falco-stack:*` config (keys without the namespace) into the typed config with defaults.
 * Throws ConfigError naming every bad key and what it allows.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>): StackConfig {
  const issues: ConfigIssue[] = [];
  const result = stackConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
      let message = describeIssue(issue);
      if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(issue.path);
        if (allowed.length > 0) message += `; allowed: ${allowed.join(", ")}`;
      }
      issues.push({ key: path.length === 0 ? "falco-stack" : configKey(path), message });
    }
  }
  if (!result.success) throw new ConfigError(issues);
  const config = result.data;
  const crossIssues = checkCombinations(config);
  if (crossIssues.length > 0) throw new ConfigError(crossIssues);
  return config;
}

function checkCombinations(config: StackConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.ui.enabled && config.ui.storageEnabled && config.ui.storageClass === undefined) {
    issues.push({
      key: configKey(["ui", "storageClass"]),
      message:
        'is required when the UI keeps Redis on a volume: name a StorageClass (kubectl get storageclass), "" for the cluster default, or set falco-stack:ui.storageEnabled false',
    });
  }
  if (config.falco.airGapped && config.rules.rulesets.some((name) => name !== "falco-rules")) {
    issues.push({
      key: configKey(["rules", "rulesets"]),
      message: "with falco.airGapped only falco-rules (bundled in the Falco image) is available",
    });
  }
  if (config.demo.enabled && config.demo.namespace === config.namespace) {
    issues.push({
      key: configKey(["demo", "namespace"]),
      message: `must differ from falco-stack:namespace ("${config.namespace}"): the demo runs under Pod Security baseline`,
    });
  }
  return issues;
}

export type FalcoSettingsInput = z.input<typeof falcoSchema>;
export type SidekickSettingsInput = z.input<typeof sidekickSchema>;
export type UiSettingsInput = z.input<typeof uiSchema>;
export type DemoSettingsInput = z.input<typeof demoSchema>;
export type RulesSettingsInput = z.input<typeof rulesSchema>;

function resolver<S extends z.ZodType>(schema: S, name: string) {
  return (input: z.input<S> | undefined): z.output<S> => {
    const result = schema.safeParse(input ?? {});
    if (result.success) return result.data;
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        key: configKey([name, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))]),
        message: describeIssue(issue),
      })),
    );
  };
}

/** Component args → settings with the defaults above: the same defaults as the stack config. */
export const resolveFalcoSettings = resolver(falcoSchema, "falco");
export const resolveSidekickSettings = resolver(sidekickSchema, "sidekick");
export const resolveUiSettings = resolver(uiSchema, "ui");
export const resolveDemoSettings = resolver(demoSchema, "demo");
export const resolveRulesSettings = resolver(rulesSchema, "rules");
