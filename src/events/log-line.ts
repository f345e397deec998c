import {
  EventParseError,
  eventFromJson,
  parsePriority,
  parseRfc3339,
  preview,
  type FalcoEvent,
} from "./model.ts";
import { CLUSTER_FIELD, splitClusterSuffix } from "./cluster.ts";

/** The output message a rule starts its text with, so a text-form log line can name its rule. */
export interface KnownOutput {
  rule: string;
  message: string;
}

export interface LogLineOptions {
  /** Rules to recognise in text-form lines (which carry no rule name). */
  knownOutputs?: readonly KnownOutput[];
  /** Date for text-form lines, which only carry the time of day; default: the kubelet timestamp or now. */
  referenceTime?: Date;
}

export type LogLineResult =
  | { kind: "event"; event: FalcoEvent; form: "json" | "text"; ruleKnown: boolean }
  /** A line that looks like an event but is broken. */
  | { kind: "invalid"; message: string }
  /** Startup banners, warnings and anything else that is not an event. */
  | { kind: "other" };

const KUBELET_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;
const TEXT_EVENT = /^(\d{2}):(\d{2}):(\d{2})\.(\d{1,9}): ([A-Za-z]+) (.+)$/;
const FIELD_START = /(?:^|\s)([A-Za-z][A-Za-z0-9_.]*)=/g;

/**
 * Parses one line of a Falco pod's log: the JSON form (`json_output: true`) or the text form
 * `11:09:37.291008432: Notice A shell was spawned ... (evt_type=execve ... k8s_pod_name=www)`,
 * optionally preceded by the RFC 3339 timestamp the kubelet adds with `timestamps=true`.
 */
export function parseFalcoLogLine(line: string, options: LogLineOptions = {}): LogLineResult {
  let rest = line.trim();
  let kubeletTime: Date | undefined;
  const stamped = KUBELET_TIMESTAMP.exec(rest);
  if (stamped) {
    kubeletTime = parseRfc3339(stamped[1]);
    rest = rest.slice(stamped[0].length).trim();
  }
  if (rest.startsWith("{")) return parseJsonLine(rest);
  const text = TEXT_EVENT.exec(rest);
  if (!text) return { kind: "other" };
  const priority = parsePriority(text[5]);
  if (!priority) return { kind: "other" };
  const [hours, minutes, seconds] = [Number(text[1]), Number(text[2]), Number(text[3])];
  if (hours > 23 || minutes > 59 || seconds > 60) {
    return {
      kind: "invalid",
      message: `impossible time of day ${text[1]}:${text[2]}:${text[3]}: ${preview(rest)}`,
    };
  }
  const millis = Number(text[4].padEnd(9, "0").slice(0, 3));
  const time = onSameDay(options.referenceTime ?? kubeletTime ?? new Date(), hours, minutes, seconds, millis);
  const body = text[6];
  // Falco's append_output puts ` cluster=<name>` after the rule's own output: split it off first.
  const { rest: ruleOutput, cluster } = splitClusterSuffix(body);
  const { message, fields } = splitOutput(ruleOutput);
  if (cluster !== undefined) fields[CLUSTER_FIELD] = cluster;
  const known = options.knownOutputs?.find((candidate) => message.startsWith(candidate.message));
  const event: FalcoEvent = {
    rule: known?.rule ?? message,
    priority,
    time,
    output: `${text[1]}:${text[2]}:${text[3]}.${text[4]}: ${text[5]} ${body}`,
    outputFields: fields,
    tags: [],
    raw: { output: rest, priority, rule: known?.rule, time: time.toISOString(), output_fields: fields },
  };
  return { kind: "event", event, form: "text", ruleKnown: known !== undefined };
}

function parseJsonLine(text: string): LogLineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: "invalid", message: `JSON log line does not parse (${reason}): ${preview(text)}` };
  }
  try {
    return { kind: "event", event: eventFromJson(value), form: "json", ruleKnown: true };
  } catch (error) {
    if (error instanceof EventParseError) return { kind: "invalid", message: error.message };
    throw error;
  }
}

/** Splits the text output into its message and its `key=value` details (`(k=v ...)` or `| k=v ...`). */
export function splitOutput(body: string): { message: string; fields: Record<string, string> } {
  let details = body;
  let message = body;
  const parenthesised = /^(.*?)\s*\((.*)\)\s*$/.exec(body);
  const piped = /^(.*?)\s+\|\s+(.*)$/.exec(body);
  if (piped && (!parenthesised || piped[1].length < parenthesised[1].length)) {
    message = piped[1];
    details = piped[2];
  } else if (parenthesised) {
    message = parenthesised[1];
    details = parenthesised[2];
  } else {
    const first = new RegExp(FIELD_START.source).exec(body);
    if (!first) return { message: body.trim(), fields: {} };
    message = body.slice(0, first.index);
    details = body.slice(first.index);
  }
  const fields: Record<string, string> = {};
  const starts = [...details.matchAll(FIELD_START)];
  starts.forEach((match, index) => {
    const valueStart = (match.index ?? 0) + match[0].length;
    const valueEnd = index + 1 < starts.length ? (starts[index + 1].index ?? details.length) : details.length;
    fields[match[1]] = details.slice(valueStart, valueEnd).trim();
  });
  return { message: message.trim(), fields };
}

/** The time of day on the reference's UTC date, moved back a day when that would be in its future. */
function onSameDay(reference: Date, hours: number, minutes: number, seconds: number, millis: number): Date {
  const day = new Date(reference);
  day.setUTCHours(hours, minutes, seconds, millis);
  if (day.getTime() - reference.getTime() > 12 * 3600_000) day.setUTCDate(day.getUTCDate() - 1);
  return day;
}
