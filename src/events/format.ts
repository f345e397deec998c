import { eventCluster } from "./cluster.ts";
import { eventWorkload, type FalcoEvent } from "./model.ts";
import { printable } from "./printable.ts";

/** Output fields worth a glance, in the order shown; text-form names are the fallbacks. */
const KEY_FIELDS: readonly (readonly [label: string, names: readonly string[]])[] = [
  ["user", ["user.name", "user"]],
  ["cmd", ["proc.cmdline", "command"]],
  ["file", ["fd.name", "file"]],
  ["image", ["container.image.repository", "container_image"]],
];

/**
 * One readable line: time, priority, rule, then where it happened and the key fields, the node,
 * and last the cluster when the event names one (`cluster=prod`). Every value
 * comes from the event's sender (a process command line is whatever the attacker typed), so each
 * goes through `printable`: no escape sequence or newline of theirs reaches the terminal.
 */
export function formatEventLine(event: FalcoEvent): string {
  const parts = [formatTime(event), event.priority.padEnd(13), printable(event.rule)];
  const workload = eventWorkload(event);
  if (workload.pod)
    parts.push(
      `pod=${quoteIfNeeded(`${workload.namespace ? `${workload.namespace}/` : ""}${workload.pod}`)}`,
    );
  if (workload.container) parts.push(`container=${quoteIfNeeded(workload.container)}`);
  else if (workload.containerId) parts.push(`container_id=${quoteIfNeeded(workload.containerId)}`);
  for (const [label, names] of KEY_FIELDS) {
    const value = names.map((name) => event.outputFields[name]).find((found) => found !== undefined);
    if (value !== undefined && value !== null && value !== "" && value !== "<NA>") {
      parts.push(`${label}=${quoteIfNeeded(fieldText(value))}`);
    }
  }
  if (event.hostname) parts.push(`node=${quoteIfNeeded(event.hostname)}`);
  const cluster = eventCluster(event);
  if (cluster !== undefined) parts.push(`cluster=${quoteIfNeeded(cluster)}`);
  return parts.join("  ");
}

/** The event as its sender shaped it, on one line (JSON escapes every control character). */
export function formatEventJson(event: FalcoEvent): string {
  return JSON.stringify(event.raw);
}

/** ISO time; a time no Date can hold is shown as the sender wrote it, marked as such. */
function formatTime(event: FalcoEvent): string {
  if (!Number.isNaN(event.time.getTime())) return event.time.toISOString();
  const raw = (event.raw as { time?: unknown } | null)?.time;
  return `(invalid time ${quoteIfNeeded(typeof raw === "string" ? raw : fieldText(raw))})`;
}

/** A field value as text: strings as they are, numbers and booleans plainly, objects and arrays as JSON. */
function fieldText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Printable, and in double quotes (inner ones as \") when it holds a space or a quote. */
function quoteIfNeeded(value: string): string {
  const safe = printable(value);
  return /[\s"]/.test(safe) ? `"${safe.replaceAll('"', '\\"')}"` : safe;
}
