import { TOP_LEVEL_KEYS, validateStackSettings, type StackSettings } from "../stack/settings.ts";
import { ConfigError, configKey, type ConfigIssue } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

/** The stack file's `falco-stack:*` keys, parsed: the same names and nesting as the component's arguments. */
export type StackConfig = StackSettings;

/**
 * Top-level keys that are not settings: a nested setting stored as one key (`falco-stack:ui.storageSize`,
 * what `pulumi config set` writes without `--path`), or an unknown name. Reported one by one with
 * what to do, and left out of validation so they are not reported twice.
 */
function topLevelKeyIssues(raw: Readonly<Record<string, unknown>>): {
  issues: ConfigIssue[];
  known: Record<string, unknown>;
} {
  const issues: ConfigIssue[] = [];
  const known: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (TOP_LEVEL_KEYS.includes(name)) {
      known[name] = value;
      continue;
    }
    const key = configKey([name]);
    const head = name.split(".")[0] ?? "";
    if (name.includes(".") && TOP_LEVEL_KEYS.includes(head)) {
      const rest = name.slice(head.length + 1);
      issues.push({
        key,
        message:
          `is one key named "${name}", not the setting ${rest} under ${configKey([head])} (pulumi config set without --path writes it so); ` +
          `set it with --path: pulumi config set --path '${key}' VALUE, and remove this key: pulumi config rm '${key}'; ` +
          `in the stack file, write ${rest.split(".").join(": ")}: under ${configKey([head])}`,
      });
      continue;
    }
    issues.push({
      key,
      message: `unknown key; allowed: ${TOP_LEVEL_KEYS.join(", ")}${didYouMean(name, TOP_LEVEL_KEYS)}`,
    });
  }
  return { issues, known };
}

/**
 * Checks the `falco-stack:*` config (keys without the namespace) with the component's own rules and
 * defaults, naming each bad key as the stack file spells it. Throws ConfigError with every issue.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>): StackConfig {
  const { issues, known } = topLevelKeyIssues(raw);
  const result = validateStackSettings(known);
  if (result.ok && issues.length === 0) return result.settings;
  // `falco-stack:ui.storageClass` written as one key is reported once, not again as missing.
  const reported = new Set(issues.map((issue) => issue.key));
  const settingsIssues = result.ok
    ? []
    : result.issues
        .map((issue) => ({
          key: issue.path.length === 0 ? "falco-stack" : configKey(issue.path),
          message: issue.message,
        }))
        .filter((issue) => !reported.has(issue.key));
  throw new ConfigError([...issues, ...settingsIssues]);
}
