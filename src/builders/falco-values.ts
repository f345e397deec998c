import type { FalcoSettings } from "../stack/settings.ts";
import type { ObservabilitySettings } from "../stack/settings-platform.ts";
import { upstreamRuleset, type UpstreamRulesetName } from "../falco-rules/index.ts";
import { loadBaseValues } from "./base-values.ts";
import { mergeValues, type PlainObject } from "./merge.ts";
import { RULES_CONFIGMAP, RULES_MOUNT_PATH, sidekickUrl } from "./names.ts";
import { platformFalcoValues, rulesetRef } from "./platform-values.ts";

export interface FalcoValuesInput {
  /** Namespace of the sidekick Service Falco posts to. */
  namespace: string;
  falco: FalcoSettings;
  /** Upstream rulesets falcoctl installs, in load order. */
  rulesets: readonly UpstreamRulesetName[];
  /** Checksum of the custom rules: a change rolls the DaemonSet. */
  rulesChecksum: string;
  /** Metrics, ServiceMonitor, dashboards. Default: all off. */
  observability?: ObservabilitySettings;
  /** Appended to every event's output. Default: none. */
  clusterName?: string;
}

export const RULES_CHECKSUM_ANNOTATION = "falco-stack/rules-checksum";

/** Values for the falco chart: the base file, then the typed settings, then `falco.values`. */
export function buildFalcoValues(input: FalcoValuesInput): PlainObject {
  const { falco } = input;
  const rulesFiles = [
    ...input.rulesets.map((name) => `/etc/falco/${upstreamRuleset(name).fileName}`),
    RULES_MOUNT_PATH,
  ];
  const volumes: PlainObject[] = [{ name: "custom-rules", configMap: { name: RULES_CONFIGMAP } }];
  const volumeMounts: PlainObject[] = [{ name: "custom-rules", mountPath: RULES_MOUNT_PATH, readOnly: true }];
  // Air-gapped with a mirror, falcoctl still runs: against the mirror.
  const withoutFalcoctl = falco.airGapped && falco.artifactMirror === undefined;
  if (withoutFalcoctl && falco.driver === "modern_ebpf") {
    // Chart 9.1.0 without falcoctl and without the driver loader loads the container plugin twice
    // unless /etc/falco/config.d is shadowed (falcosecurity/charts#1057).
    volumes.push({ name: "empty-config-d", emptyDir: {} });
    volumeMounts.push({ name: "empty-config-d", mountPath: "/etc/falco/config.d" });
  }
  const refs = input.rulesets.map((name) =>
    rulesetRef(name, upstreamRuleset(name).version, falco.artifactMirror),
  );
  const falcoctl: PlainObject = withoutFalcoctl
    ? { artifact: { install: { enabled: false }, follow: { enabled: false } } }
    : { config: { artifact: { install: { refs }, follow: { refs } } } };

  const typed: PlainObject = {
    driver: { kind: falco.driver },
    tty: falco.tty,
    resources: falco.resources,
    tolerations: falco.tolerations,
    podAnnotations: { [RULES_CHECKSUM_ANNOTATION]: input.rulesChecksum },
    mounts: { volumes, volumeMounts },
    falcoctl,
    falco: {
      rules_files: rulesFiles,
      rule_matching: falco.ruleMatching,
      http_output: { url: sidekickUrl(input.namespace) },
    },
  };
  return mergeValues(loadBaseValues("falco"), typed, platformFalcoValues(input), falco.values);
}
