import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../src/config/errors.ts";
import { planOutputs } from "../src/outputs/index.ts";
import { hasLateToken } from "../src/stack/late.ts";
import { validateStackSettings } from "../src/stack/settings.ts";

/* How FalcoSecurityStack reports bad arguments: by property path, as the engine prints them. */

/** Issues as the engine prints them for a component: one per property path. */
export function inputError(
  issues: readonly { path: string; message: string }[],
): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message: `invalid FalcoSecurityStack arguments (nothing was created):\n${issues
      .map((issue) => `  ${issue.path}: ${issue.message}`)
      .join("\n")}`,
    errors: issues.map((issue) => ({ propertyPath: issue.path, reason: issue.message })),
  });
}

export function propertyPath(parts: readonly (string | number)[]): string {
  return parts
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

/** ConfigError keys (`falco-stack:outputs.slack.webhookurl`) as property paths. */
export function fromConfigError(error: ConfigError): pulumi.InputPropertiesError {
  return inputError(
    error.issues.map((issue) => ({ path: issue.key.replace(/^falco-stack:/, ""), message: issue.message })),
  );
}

function withValueAt(tree: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(tree);
  let node = copy as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
  return copy;
}

/** The error a resolved Output value gets: the same rules as a plain value at that property. */
export function resolvedValueError(
  tokenized: unknown,
  path: readonly (string | number)[],
  value: unknown,
): pulumi.InputPropertiesError | undefined {
  const at = propertyPath(path);
  const args = withValueAt(tokenized, path, value) as { outputs?: unknown };
  let issues: { path: string; message: string }[];
  if (path[0] === "outputs") {
    try {
      planOutputs(args.outputs ?? {}, {
        missingSecret: "error",
        secretPaths: new Set(latePaths(args.outputs)),
      });
      issues = [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues = error.issues.map((issue) => ({
        path: issue.key.replace(/^falco-stack:/, ""),
        message: issue.message,
      }));
    }
  } else {
    const result = validateStackSettings(args);
    issues = result.ok
      ? []
      : result.issues.map((issue) => ({ path: propertyPath(issue.path), message: issue.message }));
  }
  const here = issues.filter((issue) => issue.path === at);
  return here.length > 0 ? inputError(here) : undefined;
}

/** Dot paths (relative to outputs) of the values given as Outputs. */
export function latePaths(value: unknown, at: readonly string[] = []): string[] {
  if (hasLateToken(value)) return [at.join(".")];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => latePaths(item, [...at, key]));
}
