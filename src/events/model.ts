import { z } from "zod";
import { PRIORITIES, type Priority } from "../falco-rules/index.ts";
import { printable } from "./printable.ts";

export { PRIORITIES, type Priority };

/** Accepts any case and Falco's aliases (`info`, `warn`); undefined when the word is no priority. */
export function parsePriority(word: string): Priority | undefined {
  const lower = word.trim().toLowerCase();
  const alias: Record<string, Priority> = {
    info: "Informational",
    warn: "Warning",
    err: "Error",
    crit: "Critical",
  };
  if (alias[lower]) return alias[lower];
  return PRIORITIES.find((priority) => priority.toLowerCase() === lower);
}

/** True when `priority` is as severe as `minimum` or more (the sense of falcosidekick's `minimumpriority`). */
export function isAtLeast(priority: Priority, minimum: Priority): boolean {
  return PRIORITIES.indexOf(priority) <= PRIORITIES.indexOf(minimum);
}

/** One Falco detection, whichever channel it came through. */
export interface FalcoEvent {
  uuid?: string;
  rule: string;
  priority: Priority;
  /** When Falco saw the syscall. */
  time: Date;
  output: string;
  outputFields: Record<string, unknown>;
  source?: string;
  tags: string[];
  hostname?: string;
  /** The event exactly as the sender shaped it (parsed JSON), for `--json`. */
  raw: unknown;
}

/** A payload or log line that is not a usable event; `message` says what is wrong. */
export class EventParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EventParseError";
  }
}

const priorityField = z.string().transform((value, ctx) => {
  const priority = parsePriority(value);
  if (!priority) {
    ctx.addIssue({
      code: "custom",
      message: `unknown priority "${value}" (allowed: ${PRIORITIES.join(", ")})`,
    });
    return z.NEVER;
  }
  return priority;
});

const timeField = z.string().transform((value, ctx) => {
  const time = parseRfc3339(value);
  if (!time) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not an RFC 3339 time` });
    return z.NEVER;
  }
  return time;
});

/** falcosidekick's FalcoPayload, which is also what Falco writes with `json_output: true` (minus `uuid`). */
const payloadSchema = z.object({
  uuid: z.string().optional(),
  output: z.string(),
  priority: priorityField,
  rule: z.string().min(1),
  time: timeField,
  output_fields: z.record(z.string(), z.unknown()).nullish(),
  source: z.string().optional(),
  tags: z.array(z.string()).nullish(),
  hostname: z.string().optional(),
});

/** Validates a decoded JSON value as a Falco/falcosidekick event. */
export function eventFromJson(value: unknown): FalcoEvent {
  const parsed = payloadSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "payload";
      return `${where}: ${issue.message}`;
    });
    throw new EventParseError(`not a Falco event: ${problems.join("; ")}`);
  }
  const data = parsed.data;
  return {
    uuid: data.uuid,
    rule: data.rule,
    priority: data.priority,
    time: data.time,
    output: data.output,
    outputFields: data.output_fields ?? {},
    source: data.source,
    tags: data.tags ?? [],
    hostname: data.hostname,
    raw: value,
  };
}

/** Parses the JSON text of a falcosidekick payload (as published on NATS). */
export function parseSidekickPayload(text: string): FalcoEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EventParseError(`payload is not JSON (${reason}): ${preview(text)}`);
  }
  return eventFromJson(value);
}

/** Date from RFC 3339, keeping millisecond precision (JS Dates cannot hold Falco's nanoseconds). */
export function parseRfc3339(text: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match || !isCalendarDate(match[1])) return undefined;
  const fraction = (match[3] ?? "").slice(0, 4);
  const date = new Date(`${match[1]}T${match[2]}${fraction}${match[4].toUpperCase()}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `2025-02-30` parses as 2 March; only a day the month has is a date. */
function isCalendarDate(day: string): boolean {
  const [year, month, date] = day.split("-").map(Number);
  const check = new Date(Date.UTC(year, month - 1, date));
  return check.getUTCMonth() === month - 1 && check.getUTCDate() === date;
}

/** Where the detection happened, from the fields Falco's output carries (JSON or text form). */
export interface EventWorkload {
  namespace?: string;
  pod?: string;
  container?: string;
  containerId?: string;
}

export function eventWorkload(event: Pick<FalcoEvent, "outputFields">): EventWorkload {
  const field = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = event.outputFields[name];
      if (typeof value === "string" && value !== "" && value !== "<NA>") return value;
    }
    return undefined;
  };
  return {
    namespace: field("k8s.ns.name", "k8s_ns"),
    pod: field("k8s.pod.name", "k8s_pod_name"),
    container: field("container.name", "container_name"),
    containerId: field("container.id", "container_id"),
  };
}

/** A short, one-line, printable excerpt of text a sender controls, for messages. */
export function preview(text: string, max = 80): string {
  const oneLine = printable(text.replace(/\s+/g, " ").trim());
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
