import { isIP } from "node:net";
import { z } from "zod";
import { UPSTREAM_RULESET_NAMES } from "../falco-rules/index.ts";
import { CHART_OUTPUT_KEYS } from "../outputs/catalog.ts";
import {
  dnsSubdomainError,
  imageReferenceError,
  labelKeyError,
  labelValueError,
  quantityValue,
  reservedNamespaceError,
  shown,
} from "./kubernetes-rules.ts";
import { CANARY_NAMESPACE } from "../builders/names.ts";
import { isLateToken } from "./late.ts";
import {
  checkPlatformCombinations,
  clusterNameSchema,
  falcoPlatformShape,
  observabilitySchema,
  sidekickPlatformShape,
  uiPlatformShape,
  type Resources,
} from "./settings-platform.ts";

/**
 * The stack settings: every property of `FalcoSecurityStack` (and key under `falco-stack:` in a
 * stack file, which has the same names and nesting) with its default. This file is the one place
 * defaults and the rules between settings live; the README's config reference mirrors it.
 *
 * A string setting a user may hold as a Pulumi Output accepts a late-value token (`lateable`): it
 * is checked once the Output resolves.
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

/** A string setting that may be a Pulumi Output: a late token passes now and is checked on resolution. */
export function lateable(inner: z.ZodType<string>, typeError: string) {
  return z.string({ error: typeError }).superRefine((value, ctx) => {
    if (isLateToken(value)) return;
    const result = inner.safeParse(value);
    if (result.success) return;
    for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
  });
}

const dnsLabel = (what: string) =>
  lateable(
    z
      .string()
      .max(63, { error: `must be at most 63 characters: ${what}` })
      .regex(DNS_LABEL, { error: `must be a DNS label (lower-case letters, digits and '-'): ${what}` }),
    `must be a string: ${what}`,
  );

/** Explains the most common quantity mistake (SI suffix with a trailing B). */
function quantityHint(value: string): string {
  const bytes = /^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B$/i.exec(value);
  if (bytes) return ` (write ${bytes[1] ?? ""}${(bytes[2] ?? "").toUpperCase()}i)`;
  return "";
}

const quantity = (pattern: RegExp, example: string) =>
  z.string({ error: `must be a Kubernetes quantity such as ${example}` }).superRefine((value, ctx) => {
    if (!isLateToken(value) && !pattern.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: `${shown(value)} is not a Kubernetes quantity; use a number with a binary suffix such as ${example}${quantityHint(value)}`,
      });
    }
  });

const resourceList = z.strictObject({
  cpu: quantity(QUANTITY, "500m or 1").optional(),
  memory: quantity(STORAGE_QUANTITY, "512Mi").optional(),
});

const tolerationFields = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.number().int().optional(),
});
const toleration = tolerationFields.superRefine((value, ctx) => checkToleration(value, ctx));

// --- What a cluster would refuse or misread (issue 13): checked here so every caller refuses the same.

/** The chart versions whose values keys the stack's builders are checked against. */
export const SUPPORTED_CHART_VERSIONS = {
  falco: { pattern: /^9\.1\.\d+$/, range: "9.1.x", default: FALCO_CHART_VERSION },
  falcosidekick: { pattern: /^0\.14\.\d+$/, range: "0.14.x", default: SIDEKICK_CHART_VERSION },
} as const;

const chartVersion = (chart: keyof typeof SUPPORTED_CHART_VERSIONS) => {
  const supported = SUPPORTED_CHART_VERSIONS[chart];
  const error = `must be a ${chart} chart version in ${supported.range} (default ${supported.default})`;
  return lateable(
    z.string().superRefine((value, ctx) => {
      if (supported.pattern.test(value)) return;
      ctx.addIssue({
        code: "custom",
        message: CHART_VERSION.test(value)
          ? `${shown(value)} is not supported: the values falco-stack sets are checked against ${chart} chart ${supported.range} only; use ${supported.range} (default ${supported.default})`
          : `${shown(value)} is not a chart version; ${error}`,
      });
    }),
    error,
  );
};

/** A namespace the stack creates: a DNS label, and not one Kubernetes or other workloads own. */
const namespaceName = (what: string) =>
  lateable(
    z.string().superRefine((value, ctx) => {
      const error =
        value.length > 63
          ? `must be at most 63 characters: ${what}`
          : !DNS_LABEL.test(value)
            ? `must be a DNS label (lower-case letters, digits and '-'): ${what}`
            : reservedNamespaceError(value);
      if (error !== undefined) ctx.addIssue({ code: "custom", message: error });
    }),
    `must be a string: ${what}`,
  );

const storageClassName = lateable(
  z.string().superRefine((value, ctx) => {
    const error = value === "" ? undefined : dnsSubdomainError(value);
    if (error !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${shown(value)} ${error}; name a StorageClass (kubectl get storageclass), or "" for the cluster default`,
      });
    }
  }),
  "must be a StorageClass name (kubectl get storageclass)",
);

const imageReference = lateable(
  z.string().superRefine((value, ctx) => {
    const error = value === "" ? "must not be empty" : imageReferenceError(value);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error });
  }),
  "must be an image reference",
);

/** Kubernetes refuses a toleration `Exists` with a value, and tolerationSeconds without NoExecute. */
function checkToleration(
  toleration: {
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
    tolerationSeconds?: number;
  },
  ctx: z.RefinementCtx,
): void {
  const operator = toleration.operator ?? "Equal";
  if (operator === "Exists" && toleration.value !== undefined && toleration.value !== "") {
    ctx.addIssue({
      code: "custom",
      path: ["value"],
      message:
        "must be empty with operator Exists (Exists matches any value); use operator Equal to match this value",
    });
  }
  if ((toleration.key ?? "") === "" && operator !== "Exists") {
    ctx.addIssue({
      code: "custom",
      path: ["operator"],
      message: "must be Exists when key is empty (a toleration of every taint)",
    });
  }
  if (toleration.tolerationSeconds !== undefined && toleration.effect !== "NoExecute") {
    ctx.addIssue({
      code: "custom",
      path: ["tolerationSeconds"],
      message: "is only allowed with effect NoExecute (how long a pod stays on a node tainted NoExecute)",
    });
  }
}

/** Label keys and values a selector may hold, and values only where the operator takes them. */
function checkLabelSelector(
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  },
  ctx: z.RefinementCtx,
): void {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const error = labelKeyError(key) ?? labelValueError(value);
    if (error !== undefined) ctx.addIssue({ code: "custom", path: ["matchLabels", key], message: error });
  }
  (selector.matchExpressions ?? []).forEach((expression, index) => {
    const at = ["matchExpressions", index];
    const keyError = labelKeyError(expression.key);
    if (keyError !== undefined) ctx.addIssue({ code: "custom", path: [...at, "key"], message: keyError });
    const values = expression.values ?? [];
    const takesValues = expression.operator === "In" || expression.operator === "NotIn";
    if (takesValues && values.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: [...at, "values"],
        message: `must list at least one value for operator ${expression.operator}`,
      });
    } else if (!takesValues && values.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: [...at, "values"],
        message: `must be empty for operator ${expression.operator}`,
      });
    }
    values.forEach((value, valueIndex) => {
      const error = labelValueError(value);
      if (error !== undefined)
        ctx.addIssue({ code: "custom", path: [...at, "values", valueIndex], message: error });
    });
  });
}

/** The chart's resources for the Falco container: what a request is compared with when no limit is set. */
const CHART_FALCO_RESOURCES = {
  requests: { cpu: "100m", memory: "512Mi" },
  limits: { cpu: "1000m", memory: "1024Mi" },
};

/** Requests above limits: Kubernetes refuses the pods. Helm merges ours over the chart's resources. */
function resourceIssues(settings: StackSettings): SettingsIssue[] {
  // falcosidekick's chart sets no resources for falcosidekick, the UI or Redis.
  const containers: [string[], Resources | undefined, Resources][] = [
    [["falco", "resources"], settings.falco.resources, CHART_FALCO_RESOURCES],
    [["sidekick", "resources"], settings.sidekick.resources, {}],
    [["ui", "resources"], settings.ui.resources, {}],
    [["ui", "redisResources"], settings.ui.redisResources, {}],
  ];
  return containers.flatMap(([path, resources, chart]) =>
    resources === undefined ? [] : requestsAboveLimits(path, resources, chart),
  );
}

function requestsAboveLimits(path: string[], ours: Resources, chart: Resources): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const { requests = {}, limits = {} } = ours;
  for (const resource of ["cpu", "memory"] as const) {
    const request = requests[resource] ?? chart.requests?.[resource];
    const limit = limits[resource] ?? chart.limits?.[resource];
    if (request === undefined || limit === undefined || isLateToken(request) || isLateToken(limit)) continue;
    const requested = quantityValue(request);
    const allowed = quantityValue(limit);
    if (requested === undefined || allowed === undefined || requested <= allowed) continue;
    // Name the value the user wrote; say which side is the chart's default.
    const chartRequest = requests[resource] === undefined;
    const requestText = chartRequest ? `the chart's default request ${request}` : `the request ${request}`;
    const limitText =
      limits[resource] === undefined ? `the chart's default limit ${limit}` : `the limit ${limit}`;
    const also = `${path.join(".")}.${chartRequest ? "requests" : "limits"}.${resource}`;
    issues.push({
      path: [...path, chartRequest ? "limits" : "requests", resource],
      message: `${requestText} is above ${limitText}, and Kubernetes refuses a request above its limit; set ${also} too, or change this value`,
    });
  }
  return issues;
}

/** A volume size above zero. */
const volumeSize = (example: string) =>
  quantity(STORAGE_QUANTITY, example).superRefine((value, ctx) => {
    if (!isLateToken(value) && quantityValue(value) === 0) {
      ctx.addIssue({ code: "custom", message: `must be more than 0, such as ${example}` });
    }
  });

// --- End of the cluster rules.

/** A whole number in a range; every failure (type, fraction, range) says the range. */
const wholeNumber = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

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
  ...typedKeys([
    [["tty"], "falco.tty"],
    [["resources"], "falco.resources"],
    [["tolerations"], "falco.tolerations"],
    [["falcoctl", "artifact"], "falco.airGapped (whether falcoctl installs rulesets)"],
    [["falcoctl", "config", "artifact"], "rules.rulesets (the pinned rulesets falcoctl installs)"],
  ]),
  ...[
    ["falco", "http_output", "enabled"],
    ["falco", "json_output"],
    ["falco", "json_include_output_property"],
    ["falco", "json_include_output_fields_property"],
  ].map((path) => ({
    path,
    message: `${STACK_OWNS} Falco sends events to falcosidekick as JSON over http_output with output and output_fields, or they are lost (sidekick answers HTTP 400)`,
  })),
];

/** Raw keys a typed setting covers: set through the typed key, which is validated and documented. */
function typedKeys(entries: readonly [string[], string][]): RefusedValue[] {
  return entries.map(([path, typed]) => ({ path, message: `is covered by a typed setting: use ${typed}` }));
}

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
  ...typedKeys([
    [["replicaCount"], "sidekick.replicas"],
    [["webui", "enabled"], "ui.enabled (it also creates the UI's credentials and NetworkPolicy)"],
    [["webui", "replicaCount"], "ui.replicas"],
    [["webui", "ttl"], "ui.ttl"],
    [["webui", "redis", "storageEnabled"], "ui.storageEnabled"],
    [["webui", "redis", "storageSize"], "ui.storageSize"],
    [["webui", "redis", "storageClass"], "ui.storageClass"],
  ]),
  {
    path: ["webui", "disableauth"],
    message: "is refused: it turns the UI login off, and the UI shows every event to whoever reaches it",
  },
  {
    path: ["config", "extraEnv"],
    message:
      "is refused: environment entries in chart values carry credentials in plain text; output settings go under falco-stack:outputs (sensitive ones to a Secret, or outputs.existingSecret)",
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
  chartVersion: chartVersion("falco").default(FALCO_CHART_VERSION),
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
          : `${shown(value)} is not a driver; allowed: ${DRIVER_KINDS.join(", ")}`,
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
  ...falcoPlatformShape,
});

const sidekickSchema = z.strictObject({
  /** falcosidekick chart version. Default 0.14.0 (falcosidekick 2.32.0). */
  chartVersion: chartVersion("falcosidekick").default(SIDEKICK_CHART_VERSION),
  /** falcosidekick replicas. Default 2. */
  replicas: wholeNumber(1, 20).default(2),
  /** NetworkPolicies for sidekick, the UI and Redis. Default true; turn off where no policy engine runs. */
  networkPolicies: z.boolean({ error: "must be true or false" }).default(true),
  /** Raw falcosidekick chart values, merged last; keys the stack owns and credentials are refused. Default {}. */
  values: rawValuesRefusing(REFUSED_SIDEKICK_VALUES).default({}),
  ...sidekickPlatformShape,
});

/** A CIDR such as 10.0.0.0/8 or fd00::/8. */
const cidr = z.string().superRefine((value, ctx) => {
  const [address = "", prefix, ...rest] = value.split("/");
  const family = isIP(address);
  const bits = Number(prefix);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || rest.length > 0 || !/^\d+$/.test(prefix ?? "") || bits > max) {
    ctx.addIssue({ code: "custom", message: `${shown(value)} is not a CIDR such as 10.0.0.0/8 or fd00::/8` });
  }
});

const labelSelectorFields = z.strictObject({
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
const labelSelector = labelSelectorFields.superRefine((selector, ctx) => checkLabelSelector(selector, ctx));

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
  replicas: wholeNumber(1, 10).default(1),
  /** Keep Redis data on a PersistentVolumeClaim. Default true. */
  storageEnabled: z.boolean({ error: "must be true or false" }).default(true),
  /**
   * StorageClass of the Redis volume. No default on purpose: without a default StorageClass in the
   * cluster the volume stays Pending. "" means the cluster default.
   */
  storageClass: storageClassName.optional(),
  /** Size of the Redis volume. Default 1Gi. */
  storageSize: volumeSize("1Gi or 10Gi").default("1Gi"),
  /** How long the UI keeps events (s, m, h, d, w, M, y; 0 keeps them forever). Default 7d. */
  ttl: z
    .string({ error: "must be a duration such as 7d" })
    .regex(UI_TTL, { error: "must be a number with a unit s, m, h, d, w, M or y (e.g. 7d), or 0" })
    .default("7d"),
  /**
   * Extra NetworkPolicy peers allowed to reach the UI port besides falcosidekick, for example an
   * ingress controller namespace. Default [] (port-forward needs no rule).
   */
  allowedFrom: z.array(networkPolicyPeer).default([]),
  ...uiPlatformShape,
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
  namespace: namespaceName("the demo namespace").default("demo"),
  /** Name of the demo pod. Default "www", as in the tutorial. */
  name: dnsLabel("the demo pod name").default("www"),
  /** Image of the demo pod. Default nginx:1.24. */
  image: imageReference.default("nginx:1.24"),
});

/** A duration in whole seconds, minutes or hours, as Prometheus and the canary's schedule take it. */
const DURATION = /^[1-9]\d*[smh]$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Seconds in a duration such as 30s, 5m or 1h (see DURATION). */
export function durationSeconds(duration: string): number {
  return Number(duration.slice(0, -1)) * (UNIT_SECONDS[duration.slice(-1)] ?? Number.NaN);
}

const duration = (example: string) =>
  z
    .string({ error: `must be a duration such as ${example}` })
    .regex(DURATION, { error: `must be a whole number of seconds, minutes or hours, such as ${example}` });

const canaryAlertSchema = z.strictObject({
  /**
   * PrometheusRule alerts for a node whose canary went silent and a node without a ready Falco pod.
   * Default: on whenever the stack's observability alerts are on (they are required).
   */
  enabled: z.boolean({ error: "must be true or false" }).optional(),
  /** How long a node may go without a canary match before it alerts; at least 3 schedules. Default 30m. */
  window: duration("30m").default("30m"),
  /** Evaluation interval of the alerting rule group. Default 1m. */
  interval: duration("1m").default("1m"),
  /** `severity` label of the alerts, for Alertmanager routing. Default warning. */
  severity: z
    .enum(["critical", "warning", "info"], { error: "allowed: critical, warning, info" })
    .default("warning"),
});

const canarySchema = z.strictObject({
  /**
   * The detection canary: a DaemonSet (namespace falco-stack-canary, Pod Security `restricted`) that
   * writes one file on every node Falco watches, raising the rule "Falco stack canary". Default false.
   */
  enabled: z.boolean({ error: "must be true or false" }).default(false),
  /** How often each node's canary writes its beacon (30s to 1h). Default 5m: 12 canary events per node per hour. */
  schedule: duration("5m")
    .refine((value) => durationSeconds(value) >= 30 && durationSeconds(value) <= 3600, {
      error: "must be between 30s and 1h",
    })
    .default("5m"),
  /** Image of the canary: a POSIX shell with sleep, run as user 65534. Default docker.io/library/busybox:1.37.0. */
  image: lateable(z.string().min(1, { error: "must not be empty" }), "must be an image reference").default(
    "docker.io/library/busybox:1.37.0",
  ),
  alert: canaryAlertSchema.default(canaryAlertSchema.parse({})),
});

export const stackSettingsSchema = z.strictObject({
  /** Namespace of Falco, falcosidekick and the UI (Pod Security `privileged`). Default "falco". */
  namespace: namespaceName("the Falco namespace").default("falco"),
  falco: falcoSchema.default(falcoSchema.parse({})),
  sidekick: sidekickSchema.default(sidekickSchema.parse({})),
  /** falcosidekick outputs, validated by `planOutputs` (src/outputs). Default: none. */
  outputs: z.unknown().optional(),
  ui: uiSchema.default(uiSchema.parse({})),
  rules: rulesSchema.default(rulesSchema.parse({})),
  demo: demoSchema.default(demoSchema.parse({})),
  /** The cluster's name, carried by every event (`cluster:<name>`). Default none. */
  clusterName: clusterNameSchema,
  observability: observabilitySchema.default(observabilitySchema.parse({})),
  canary: canarySchema.default(canarySchema.parse({})),
});

/** The settings with every default applied: what the plan is made from. */
export type StackSettings = z.output<typeof stackSettingsSchema>;
/** The settings as a user writes them (every key optional). */
export type StackSettingsInput = z.input<typeof stackSettingsSchema>;
export type FalcoSettings = StackSettings["falco"];
export type SidekickSettings = StackSettings["sidekick"];
export type UiSettings = StackSettings["ui"];
export type RulesSettings = StackSettings["rules"];
export type DemoSettings = StackSettings["demo"];
export type CanarySettings = StackSettings["canary"];
export type DriverKind = (typeof DRIVER_KINDS)[number];

export const TOP_LEVEL_KEYS = Object.keys(stackSettingsSchema.shape);

/** One bad setting, by its property path (`["ui", "storageSize"]`). */
export interface SettingsIssue {
  path: (string | number)[];
  message: string;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  return issue.message;
}

function unwrapped(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** The keys allowed at a path of the settings, for "unknown key" messages. */
export function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = stackSettingsSchema;
  for (const part of path) {
    const inner = unwrapped(schema);
    if (!(inner instanceof z.ZodObject)) return [];
    const next = (inner.shape as Record<string, z.ZodType>)[String(part)];
    if (!next) return [];
    schema = next;
  }
  const inner = unwrapped(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

export type SettingsResult = { ok: true; settings: StackSettings } | { ok: false; issues: SettingsIssue[] };

/**
 * Checks settings as a user gave them (a stack file's `falco-stack:*` keys or the component's
 * arguments, Outputs already replaced by late tokens) and applies the defaults. Every issue is
 * reported at its property path, so each caller names it in its own terms.
 */
export function validateStackSettings(raw: unknown): SettingsResult {
  const result = stackSettingsSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((issue): SettingsIssue => {
      const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
      let message = describeIssue(issue);
      if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(issue.path);
        if (allowed.length > 0) message += `; allowed: ${allowed.join(", ")}`;
      } else if (isLateToken(valueAt(raw, issue.path))) {
        message = "must be a plain value, not an Output: it decides which resources the stack creates";
      }
      return { path, message };
    });
    return { ok: false, issues };
  }
  const crossIssues = checkCombinations(result.data);
  return crossIssues.length > 0 ? { ok: false, issues: crossIssues } : { ok: true, settings: result.data };
}

/** Rules between settings, checked for every caller alike. */
function checkCombinations(settings: StackSettings): SettingsIssue[] {
  const issues: SettingsIssue[] = [...resourceIssues(settings)];
  if (settings.ui.enabled && settings.ui.storageEnabled && settings.ui.storageClass === undefined) {
    issues.push({
      path: ["ui", "storageClass"],
      message:
        'is required when the UI keeps Redis on a volume: name a StorageClass (kubectl get storageclass), "" for the cluster default, or set ui.storageEnabled false',
    });
  }
  if (
    settings.falco.airGapped &&
    settings.falco.artifactMirror === undefined &&
    settings.rules.rulesets.some((name) => name !== "falco-rules")
  ) {
    issues.push({
      path: ["rules", "rulesets"],
      message:
        "with falco.airGapped only falco-rules (bundled in the Falco image) is available, unless falco.artifactMirror names a mirror",
    });
  }
  issues.push(...checkPlatformCombinations(settings));
  if (settings.falco.airGapped && settings.falco.driver !== "modern_ebpf") {
    issues.push({
      path: ["falco", "driver"],
      message: `"${settings.falco.driver}" needs the driver loader to download a kernel module from the internet or build it from kernel headers, which an air-gapped cluster cannot; use modern_ebpf (built into Falco) with falco.airGapped`,
    });
  }
  if (
    settings.demo.enabled &&
    !isLateToken(settings.namespace) &&
    settings.demo.namespace === settings.namespace
  ) {
    issues.push({
      path: ["demo", "namespace"],
      message: `must differ from namespace ("${settings.namespace}"): the demo runs under Pod Security baseline`,
    });
  }
  issues.push(...checkCanary(settings));
  return issues;
}

/**
 * Whether the stack deploys Prometheus alerting rules: `observability.alerts`, which needs the
 * ServiceMonitors and Falco's metrics, so Prometheus scrapes the rule-match counter the canary alert reads.
 */
export function observabilityAlertsOn(settings: StackSettings): boolean {
  return settings.observability.alerts;
}

/** Whether the plan holds the canary's PrometheusRule: the canary is on and so is alerting, unless turned off. */
export function canaryAlertOn(settings: StackSettings): boolean {
  return settings.canary.enabled && (settings.canary.alert.enabled ?? observabilityAlertsOn(settings));
}

/** The canary rule's priority: Falco only loads rules at least as severe as `falco.priority`. */
const CANARY_RULE_PRIORITY = "debug";

function checkCanary(settings: StackSettings): SettingsIssue[] {
  const { canary } = settings;
  const issues: SettingsIssue[] = [];
  if (canary.alert.enabled === true && !canary.enabled) {
    issues.push({
      path: ["canary", "alert", "enabled"],
      message: "needs canary.enabled: true: without the canary DaemonSet every node would alert",
    });
  } else if (canary.alert.enabled === true && !observabilityAlertsOn(settings)) {
    issues.push({
      path: ["canary", "alert", "enabled"],
      message:
        "needs the stack's observability alerts on (observability.alerts): Prometheus must scrape Falco's rule-match metric and load the stack's PrometheusRules",
    });
  }
  if (!canary.enabled) return issues;
  const schedule = durationSeconds(canary.schedule);
  if (durationSeconds(canary.alert.window) < 3 * schedule) {
    issues.push({
      path: ["canary", "alert", "window"],
      message: `must be at least 3 canary schedules (${3 * schedule}s for canary.schedule ${canary.schedule}), or every scrape gap raises a false alert`,
    });
  }
  if (!isLateToken(settings.namespace) && settings.namespace === CANARY_NAMESPACE) {
    issues.push({
      path: ["namespace"],
      message: `must differ from the canary's namespace "${CANARY_NAMESPACE}" (Pod Security restricted, Falco needs privileged)`,
    });
  }
  const metrics = settings.falco.values.metrics;
  if (
    canaryAlertOn(settings) &&
    typeof metrics === "object" &&
    metrics !== null &&
    "rulesCountersEnabled" in metrics &&
    metrics.rulesCountersEnabled === false
  ) {
    issues.push({
      path: ["falco", "values", "metrics", "rulesCountersEnabled"],
      message:
        "must stay true while the canary alerts: they read Falco's per-rule match counter (falcosecurity_falco_rules_matches_total)",
    });
  }
  const falcoConfig = settings.falco.values.falco;
  const priority =
    typeof falcoConfig === "object" && falcoConfig !== null && "priority" in falcoConfig
      ? String(falcoConfig.priority).toLowerCase()
      : CANARY_RULE_PRIORITY;
  if (priority !== CANARY_RULE_PRIORITY) {
    issues.push({
      path: ["falco", "values", "falco", "priority"],
      message: `must stay ${CANARY_RULE_PRIORITY} while canary.enabled: Falco skips rules below its priority, and the canary rule is DEBUG, so every node would look silent`,
    });
  }
  return issues;
}

/**
 * The rules settings alone, when they are valid, so the rule files are checked (and their mistakes
 * reported) even when other settings are wrong.
 */
export function rulesSettingsOf(raw: unknown): RulesSettings | undefined {
  const result = rulesSchema.safeParse(raw ?? {});
  return result.success ? result.data : undefined;
}
