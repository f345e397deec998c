import * as pulumi from "@pulumi/pulumi";
import { isLateToken, lateTokensIn, LateValues, substituteLate } from "../src/stack/late.ts";

/** Late values of a component: the Outputs behind the plan's tokens. */
export type PulumiLateValues = LateValues<pulumi.Output<unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function isDeferred(value: unknown): value is pulumi.Output<unknown> | Promise<unknown> {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * A copy of the arguments with every Output or Promise replaced by a late token, so the pure
 * validation and plan can read them. Structure (objects, arrays) must be plain.
 */
export function tokenizeInputs(
  value: unknown,
  late: PulumiLateValues,
  path: readonly (string | number)[] = [],
): unknown {
  if (isDeferred(value)) return late.stand(pulumi.output(value), path);
  if (Array.isArray(value)) return value.map((item, i) => tokenizeInputs(item, late, [...path, i]));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, tokenizeInputs(item, late, [...path, key])]),
    );
  }
  return value;
}

/**
 * Each user Output is checked by `issuesFor` once it resolves; a bad value fails the resources
 * that use it, with the same message a plain value gets before anything is created.
 */
export function checkWhenResolved(
  late: PulumiLateValues,
  issuesFor: (path: readonly (string | number)[], value: unknown) => pulumi.InputPropertiesError | undefined,
): void {
  for (const [token, path] of late.paths) {
    const source = late.sources.get(token);
    if (!source) continue;
    late.sources.set(
      token,
      source.apply((value) => {
        const error = issuesFor(path, value);
        if (error) throw error;
        return value;
      }),
    );
  }
}

function outputOf(token: string, late: PulumiLateValues): pulumi.Output<unknown> {
  const source = late.sources.get(token);
  if (source) return source;
  const computation = late.computations.get(token);
  if (!computation) throw new Error(`internal: unknown late token`);
  // A checksum keyed by a secret is safe in plain values: that is what the key is for.
  return pulumi.unsecret(
    pulumi.all(computation.inputs.map((input) => resolveString(input, late))).apply(computation.compute),
  );
}

function resolveString(value: string, late: PulumiLateValues): pulumi.Input<unknown> {
  if (isLateToken(value)) return outputOf(value, late);
  const tokens = lateTokensIn(value);
  if (tokens.length === 0) return value;
  return pulumi.all(tokens.map((token) => outputOf(token, late))).apply((resolved) => {
    const byToken = new Map(tokens.map((token, i) => [token, resolved[i]]));
    return substituteLate(value, byToken);
  });
}

/** The plan's tree with each token swapped back for its Output (or an Output built from several). */
export function resolveLate<T>(value: T, late: PulumiLateValues): pulumi.Input<T> {
  return resolveAny(value, late) as pulumi.Input<T>;
}

function resolveAny(value: unknown, late: PulumiLateValues): unknown {
  if (typeof value === "string") return resolveString(value, late);
  if (Array.isArray(value)) return value.map((item) => resolveAny(item, late));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveAny(item, late)]));
  }
  return value;
}

/** A plain value of the plan (a namespace, a checksum) as an Output. */
export function lateOutput<T>(value: T, late: PulumiLateValues): pulumi.Output<pulumi.Unwrap<T>> {
  return pulumi.output(resolveLate(value, late)) as pulumi.Output<pulumi.Unwrap<T>>;
}
