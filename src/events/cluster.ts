import { clusterNameSchema } from "../stack/settings-platform.ts";
import type { FalcoEvent } from "./model.ts";
import { printable } from "./printable.ts";

/** The output field falcosidekick's `customfields: cluster:<name>` and Falco's `extra_fields` fill. */
export const CLUSTER_FIELD = "cluster";

/** Falco's `append_output` adds ` cluster=<name>` at the end of the output line (a DNS label). */
const CLUSTER_SUFFIX = /\s+cluster=([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\s*$/;

/** Why `name` cannot be a cluster name (the stack's `clusterName` rule: a DNS label), or undefined. */
export function clusterNameProblem(name: string): string | undefined {
  if (clusterNameSchema.safeParse(name).success) return undefined;
  return `"${printable(name)}" is not a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), as the stack's clusterName is`;
}

/** The ` cluster=<name>` suffix of a Falco output line, and the line without it. */
export function splitClusterSuffix(output: string): { rest: string; cluster?: string } {
  const match = CLUSTER_SUFFIX.exec(output);
  if (!match) return { rest: output };
  return { rest: output.slice(0, match.index), cluster: match[1] };
}

/**
 * The cluster an event names: its `cluster` output field (falcosidekick's custom field, Falco's
 * extra field, or the suffix a text log line was parsed with), else the ` cluster=<name>` suffix
 * of its output line. Undefined when it carries none.
 */
export function eventCluster(event: Pick<FalcoEvent, "outputFields" | "output">): string | undefined {
  const field = event.outputFields[CLUSTER_FIELD];
  if (typeof field === "string" && field !== "" && field !== "<NA>") return field;
  return splitClusterSuffix(event.output).cluster;
}
