/**
 * Names of everything the stack creates. They are fixed so that the demo, `render` and humans
 * (`kubectl -n falco get svc falcosidekick`) find objects without asking Pulumi.
 */
export const FALCO_RELEASE = "falco";
export const SIDEKICK_RELEASE = "falcosidekick";
/** `fullnameOverride` of the sidekick chart: its Service, and the `-ui` / `-ui-redis` objects after it. */
export const SIDEKICK_FULLNAME = "falcosidekick";
export const SIDEKICK_PORT = 2801;
export const UI_SERVICE = `${SIDEKICK_FULLNAME}-ui`;
export const UI_PORT = 2802;
export const REDIS_SERVICE = `${SIDEKICK_FULLNAME}-ui-redis`;
export const REDIS_PORT = 6379;

export const RULES_CONFIGMAP = "falco-custom-rules";
export const RULES_MOUNT_PATH = "/etc/falco/rules.d";
export const OUTPUTS_SECRET = "falcosidekick-outputs";
export const UI_AUTH_SECRET = "falcosidekick-ui-auth";
export const REDIS_AUTH_SECRET = "falcosidekick-redis-auth";

export const FALCO_CHART_REPO = "https://falcosecurity.github.io/charts";

/** Labels on every object we create ourselves (not on chart objects). */
export const MANAGED_BY_LABELS = {
  "app.kubernetes.io/part-of": "falco-stack",
  "app.kubernetes.io/managed-by": "falco-stack",
} as const;

export const DEMO_APP_LABEL = "falco-stack-demo";

/**
 * Namespace-qualified, without the cluster domain: `<service>.<namespace>` resolves through the pod's
 * DNS search path (`svc.<cluster domain>`), so it works on clusters whose domain is not cluster.local.
 */
export function sidekickUrl(namespace: string): string {
  return `http://${SIDEKICK_FULLNAME}.${namespace}:${SIDEKICK_PORT}/`;
}

export function falcoPodSelector(): string {
  return `app.kubernetes.io/name=falco,app.kubernetes.io/instance=${FALCO_RELEASE}`;
}

export function uiPortForwardCommand(namespace: string, localPort: number = UI_PORT): string {
  return `kubectl -n ${namespace} port-forward svc/${UI_SERVICE} ${localPort}:${UI_PORT}`;
}

/**
 * The detection canary: its namespace, DaemonSet and container share this name. Fixed, because the
 * canary rule (rules/falco-stack-canary.yaml) names the namespace in its condition.
 */
export const CANARY_NAME = "falco-stack-canary";
export const CANARY_NAMESPACE = CANARY_NAME;
