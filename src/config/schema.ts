import { validateStackSettings, type StackSettings } from "../stack/settings.ts";
import { ConfigError, configKey } from "./errors.ts";

/** The stack file's `falco-stack:*` keys, parsed: the same names and nesting as the component's arguments. */
export type StackConfig = StackSettings;

/**
 * Checks the `falco-stack:*` config (keys without the namespace) with the component's own rules and
 * defaults, naming each bad key as the stack file spells it. Throws ConfigError with every issue.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>): StackConfig {
  const result = validateStackSettings(raw);
  if (result.ok) return result.settings;
  throw new ConfigError(
    result.issues.map((issue) => ({
      key: issue.path.length === 0 ? "falco-stack" : configKey(issue.path),
      message: issue.message,
    })),
  );
}
