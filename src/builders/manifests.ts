import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IPod } from "kubernetes-models/v1/Pod";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { DemoSettings } from "../stack/settings.ts";
import type { RuleFile } from "../stack/rule-files.ts";
import {
  DEMO_APP_LABEL,
  MANAGED_BY_LABELS,
  OUTPUTS_SECRET,
  REDIS_AUTH_SECRET,
  RULES_CONFIGMAP,
  UI_AUTH_SECRET,
} from "./names.ts";

/** Plain Kubernetes objects as `kubectl apply` takes them (apiVersion and kind set). */
export type Namespace = INamespace;
export type ConfigMap = IConfigMap;
export type Secret = ISecret;
export type Pod = IPod;

type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** A namespace with Pod Security Admission labels: Falco needs `privileged`, the demo `baseline`. */
export function buildNamespace(name: string, level: PodSecurityLevel): Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...MANAGED_BY_LABELS,
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
      },
    },
  };
}

export function buildRulesConfigMap(namespace: string, files: readonly RuleFile[]): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: RULES_CONFIGMAP, namespace, labels: { ...MANAGED_BY_LABELS } },
    data: Object.fromEntries(files.map((file) => [file.key, file.content])),
  };
}

function secret(name: string, namespace: string, stringData: Record<string, string>): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } },
    stringData,
  };
}

/** Sensitive output settings under the env names falcosidekick reads (`config.existingSecret`). */
export function buildOutputsSecret(namespace: string, env: Record<string, string>): Secret {
  return secret(OUTPUTS_SECRET, namespace, env);
}

/**
 * `webui.existingSecret`: the UI login, and the Redis password twice, because the chart's
 * wait-redis init container reads REDIS_PASSWORD and only mounts this Secret and `<fullname>-ui`.
 */
export function uiAuthSecretData(
  user: string,
  password: string,
  redisPassword: string,
): Record<string, string> {
  return {
    FALCOSIDEKICK_UI_USER: `${user}:${password}`,
    FALCOSIDEKICK_UI_REDIS_PASSWORD: redisPassword,
    REDIS_PASSWORD: redisPassword,
  };
}

/** `webui.redis.existingSecret`: redis-stack reads REDIS_ARGS at start. */
export function redisAuthSecretData(redisPassword: string): Record<string, string> {
  return { REDIS_ARGS: `--requirepass ${redisPassword}`, REDIS_PASSWORD: redisPassword };
}

export function buildUiAuthSecret(namespace: string, data: Record<string, string>): Secret {
  return secret(UI_AUTH_SECRET, namespace, data);
}

export function buildRedisAuthSecret(namespace: string, data: Record<string, string>): Secret {
  return secret(REDIS_AUTH_SECRET, namespace, data);
}

export function demoLabels(demo: DemoSettings): Record<string, string> {
  return { ...MANAGED_BY_LABELS, "app.kubernetes.io/name": DEMO_APP_LABEL, run: demo.name };
}

/** The tutorial's `kubectl run www --image nginx:1.24`, with labels the demo selects by and a readiness probe. */
export function buildDemoPod(demo: DemoSettings): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: demo.name, namespace: demo.namespace, labels: demoLabels(demo) },
    spec: {
      containers: [
        {
          name: demo.name,
          image: demo.image,
          ports: [{ name: "http", containerPort: 80 }],
          readinessProbe: { httpGet: { path: "/", port: 80 }, periodSeconds: 5 },
          resources: {
            requests: { cpu: "10m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "128Mi" },
          },
        },
      ],
    },
  };
}
