import fs from "node:fs";
import { parse } from "yaml";
import { sharedPath } from "./shared.ts";

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `config:` block of the pinned falcosidekick chart's values.yaml (it repeats a few keys: last wins). */
export function sidekickChartConfig(): Record<string, unknown> {
  const text = fs.readFileSync(sharedPath("data", "charts", "falcosidekick-0.14.0-values.yaml"), "utf8");
  const values: unknown = parse(text, { uniqueKeys: false });
  if (!isMap(values) || !isMap(values.config))
    throw new Error("falcosidekick values.yaml has no config block");
  return values.config;
}

/** The env var names the chart's Secret renders: the names falcosidekick reads its settings from. */
export function sidekickSecretEnvNames(): Set<string> {
  const text = fs.readFileSync(sharedPath("data", "charts", "falcosidekick-0.14.0-secret-env.txt"), "utf8");
  return new Set(
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
}

/** Every leaf path of a values object (maps are walked, anything else is a leaf). */
export function leafPaths(value: unknown, at: readonly string[] = []): string[][] {
  if (!isMap(value)) return [[...at]];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...at, key]));
}

/** Whether `path` exists in the chart's config block. */
export function chartHasPath(config: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = config;
  for (const part of path) {
    if (!isMap(node) || !(part in node)) return false;
    node = node[part];
  }
  return true;
}
