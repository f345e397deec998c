import type { SidekickSettings, UiSettings } from "../stack/settings.ts";
import type { ObservabilitySettings } from "../stack/settings-platform.ts";
import { loadBaseValues } from "./base-values.ts";
import { mergeValues, type PlainObject } from "./merge.ts";
import { OUTPUTS_SECRET, REDIS_AUTH_SECRET, UI_AUTH_SECRET } from "./names.ts";
import { platformSidekickValues } from "./platform-values.ts";

export interface SidekickValuesInput<Checksum = string> {
  sidekick: SidekickSettings;
  ui: UiSettings;
  /** Non-sensitive output settings, under the chart's `config:` block. */
  outputsConfig: PlainObject;
  /**
   * Keyed checksum of the outputs Secret (`secretChecksum`): the chart's own checksum does not
   * cover an existing Secret. A string, or a Pulumi Output of one, placed as is.
   */
  outputsChecksum: Checksum;
  /** The Secret holding the outputs' sensitive settings. Default: the one the stack creates. */
  outputsSecretName?: string;
  /** ServiceMonitor, PrometheusRules, dashboards. Default: all off. */
  observability?: ObservabilitySettings;
  /** A custom field on every event. Default: none. */
  clusterName?: string;
  /** Keyed checksums of the UI's and Redis's credentials (UI on only): a change rolls their pods. */
  credentialChecksums?: CredentialChecksums<Checksum>;
}

export interface CredentialChecksums<Checksum = string> {
  /** The UI login and the Redis password the UI Deployment reads. */
  ui: Checksum;
  /** The password the Redis StatefulSet reads. */
  redis: Checksum;
}

export const CREDENTIALS_CHECKSUM_ANNOTATION = "falco-stack/credentials-checksum";

export const OUTPUTS_CHECKSUM_ANNOTATION = "falco-stack/outputs-checksum";

/**
 * A non-empty `webui.redis.password` is what makes the chart give Redis its envFrom and the
 * wait-redis script its `-a`; the real password comes from the existing Secrets, which win.
 */
export const REDIS_PASSWORD_PLACEHOLDER = `from-secret-${REDIS_AUTH_SECRET}`;

/** Values for the falcosidekick chart: the base file, then the typed settings, then `sidekick.values`. */
export function buildSidekickValues<Checksum = string>(input: SidekickValuesInput<Checksum>): PlainObject {
  const { sidekick, ui } = input;
  const webui: PlainObject = ui.enabled
    ? {
        enabled: true,
        replicaCount: ui.replicas,
        // The chart tests `if .Values.webui.ttl`: the string "0" would be truthy.
        ttl: ui.ttl === "0" ? 0 : ui.ttl,
        existingSecret: UI_AUTH_SECRET,
        ...(input.credentialChecksums
          ? { podAnnotations: { [CREDENTIALS_CHECKSUM_ANNOTATION]: input.credentialChecksums.ui } }
          : {}),
        redis: {
          existingSecret: REDIS_AUTH_SECRET,
          password: REDIS_PASSWORD_PLACEHOLDER,
          storageEnabled: ui.storageEnabled,
          storageSize: ui.storageSize,
          ...(ui.storageClass !== undefined ? { storageClass: ui.storageClass } : {}),
          ...(input.credentialChecksums
            ? { podAnnotations: { [CREDENTIALS_CHECKSUM_ANNOTATION]: input.credentialChecksums.redis } }
            : {}),
        },
      }
    : { enabled: false };
  const typed: PlainObject = {
    replicaCount: sidekick.replicas,
    podAnnotations: { [OUTPUTS_CHECKSUM_ANNOTATION]: input.outputsChecksum },
    config: { ...input.outputsConfig, existingSecret: input.outputsSecretName ?? OUTPUTS_SECRET },
    webui,
  };
  const platform = platformSidekickValues(input);
  return mergeValues(loadBaseValues("falcosidekick"), typed, platform, sidekick.values);
}
