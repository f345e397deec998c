import { FalcoStackError } from "../errors.ts";
import { maskUrlCredentials } from "../outputs/redact.ts";
import { editDistance } from "./suggest.ts";

/** One problem in the stack configuration, located by its full config key. */
export interface ConfigIssue {
  /** The full key, e.g. `falco-stack:ui.storageSize` or `falco-stack:outputs.slack.webhookurl`. */
  key: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** Raised when stack configuration is invalid: carries every issue found, so the user fixes them in one go. */
export class ConfigError extends FalcoStackError {
  readonly issues: readonly ConfigIssue[];

  /** Any URL in a message loses its user info and query values: whatever the key, they are credentials. */
  constructor(issues: readonly ConfigIssue[]) {
    const masked = issues.map((issue) => ({ ...issue, message: maskUrlCredentials(issue.message) }));
    super(ConfigError.format(masked));
    this.issues = masked;
  }

  static format(issues: readonly ConfigIssue[]): string {
    const lines = issues.map((issue) => `  ${issue.key}: ${issue.message}`);
    return `invalid stack configuration (nothing was deployed):\n${lines.join("\n")}`;
  }
}

/** The Pulumi config namespace of this project. */
export const CONFIG_NAMESPACE = "falco-stack";

/**
 * Config keys whose namespace looks like a typo of ours (`falco-stak:outputs`): Pulumi would keep
 * them, and the stack would silently run without them. Other namespaces (`kubernetes:`, `aws:`) pass.
 */
export function misspelledNamespaceIssues(keys: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of keys) {
    const colon = key.indexOf(":");
    if (colon <= 0) continue;
    const namespace = key.slice(0, colon);
    if (namespace !== CONFIG_NAMESPACE && editDistance(namespace, CONFIG_NAMESPACE) <= 2) {
      issues.push({
        key,
        message: `unknown config namespace "${namespace}": did you mean ${CONFIG_NAMESPACE}:${key.slice(colon + 1)}?`,
      });
    }
  }
  return issues;
}

export function configKey(path: readonly (string | number)[]): string {
  const [head, ...rest] = path;
  const tail = rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
  return `${CONFIG_NAMESPACE}:${String(head ?? "")}${tail}`;
}
