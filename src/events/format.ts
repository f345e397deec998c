import { eventWorkload, type FalcoEvent } from "./model.ts";

/** Output fields worth a glance, in the order shown; text-form names are the fallbacks. */
const KEY_FIELDS: readonly (readonly [label: string, names: readonly string[]])[] = [
  ["user", ["user.name", "user"]],
  ["cmd", ["proc.cmdline", "command"]],
  ["file", ["fd.name", "file"]],
  ["image", ["container.image.repository", "container_image"]],
];

/** One readable line: time, priority, rule, then where it happened and the key fields. */
export function formatEventLine(event: FalcoEvent): string {
  const parts = [event.time.toISOString(), event.priority.padEnd(13), event.rule];
  const workload = eventWorkload(event);
  if (workload.pod) parts.push(`pod=${workload.namespace ? `${workload.namespace}/` : ""}${workload.pod}`);
  if (workload.container) parts.push(`container=${workload.container}`);
  else if (workload.containerId) parts.push(`container_id=${workload.containerId}`);
  for (const [label, names] of KEY_FIELDS) {
    const value = names.map((name) => event.outputFields[name]).find((found) => found !== undefined);
    if (value !== undefined && value !== null && value !== "" && value !== "<NA>") {
      parts.push(`${label}=${quoteIfNeeded(String(value))}`);
    }
  }
  if (event.hostname) parts.push(`node=${event.hostname}`);
  return parts.join("  ");
}

/** The event as its sender shaped it, on one line. */
export function formatEventJson(event: FalcoEvent): string {
  return JSON.stringify(event.raw);
}

function quoteIfNeeded(value: string): string {
  return /[\s"]/.test(value) ? JSON.stringify(value) : value;
}
