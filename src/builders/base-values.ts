import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { PACKAGE_ROOT } from "../package-root.ts";
import { isPlainObject, type PlainObject } from "./merge.ts";

/** The base values files in `values/`, shared by the components, `render` and plain `helm -f`. */
export const BASE_VALUES_DIR = path.join(PACKAGE_ROOT, "values");

const cache = new Map<string, PlainObject>();

export function loadBaseValues(chart: "falco" | "falcosidekick"): PlainObject {
  const file = path.join(BASE_VALUES_DIR, `${chart}.yaml`);
  let values = cache.get(file);
  if (!values) {
    const parsed: unknown = parse(fs.readFileSync(file, "utf8"));
    if (!isPlainObject(parsed)) throw new Error(`${file} must hold a map of chart values`);
    values = parsed;
    cache.set(file, values);
  }
  return values;
}
