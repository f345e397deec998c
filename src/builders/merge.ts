/** A plain JSON-like object. */
export type PlainObject = Record<string, unknown>;

/** A map as YAML gives it; class instances (a Pulumi Output, say) are values, not maps to merge. */
export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Merges Helm values the way Helm merges `-f` files: maps merge key by key, anything else (lists
 * included) is replaced by the later value. Inputs are not modified.
 */
export function mergeValues(...layers: readonly (PlainObject | undefined)[]): PlainObject {
  const result: PlainObject = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      const existing = result[key];
      result[key] =
        isPlainObject(existing) && isPlainObject(value) ? mergeValues(existing, value) : clone(value);
    }
  }
  return result;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) return mergeValues(value);
  return value;
}
