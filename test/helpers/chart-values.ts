import fs from "node:fs";
import { parse } from "yaml";
import { sharedPath } from "./shared.ts";

export type ChartName = "falco" | "falcosidekick";

const FILES: Record<ChartName, string> = {
  falco: "falco-9.1.0-values.yaml",
  falcosidekick: "falcosidekick-0.14.0-values.yaml",
};

/** The pinned chart's own values.yaml: the reference for every key we set. */
export function chartDefaults(chart: ChartName): Record<string, unknown> {
  return parse(fs.readFileSync(sharedPath("data", "charts", FILES[chart]), "utf8")) as Record<
    string,
    unknown
  >;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Paths in `values` the chart does not know. A chart map that is empty by default (podAnnotations,
 * customRules, ...) is free-form, so keys below it are not checked; lists and scalars are leaves.
 */
export function unknownValuesKeys(
  values: Record<string, unknown>,
  defaults: Record<string, unknown>,
  at = "",
): string[] {
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const here = at ? `${at}.${key}` : key;
    if (!(key in defaults)) {
      unknown.push(here);
      continue;
    }
    const reference = defaults[key];
    if (isMap(value) && isMap(reference) && Object.keys(reference).length > 0) {
      unknown.push(...unknownValuesKeys(value, reference, here));
    }
  }
  return unknown;
}
