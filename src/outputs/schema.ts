import { z } from "zod";
import { OUTPUTS, PRIORITIES, type OutputName, type Priority, type ValueKind } from "./catalog.ts";
import { isLateToken } from "../stack/late.ts";

/**
 * zod schemas for each output block, built from the catalog: strict objects (an unknown key is
 * reported with the allowed ones), leaves parsed to the YAML type the chart template needs.
 */

/** A parsed header map: name -> value. */
export type Headers = Record<string, string>;

/** Falco's own spelling `info` and any letter case are accepted (falcosidekick accepts both); values are normalised. */
export function parsePriority(value: unknown): Priority | undefined {
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === "info") return "informational";
  return (PRIORITIES as readonly string[]).includes(lower) ? (lower as Priority) : undefined;
}

const PRIORITY_LIST = `${PRIORITIES.join(", ")} (info is accepted for informational)`;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const S3_BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function validHost(host: string): boolean {
  return HOSTNAME.test(host) || IPV6.test(host);
}

function validPort(port: string): boolean {
  if (!/^\d{1,5}$/.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

/** `host:port` (port required unless optional). Returns an error text or undefined. */
function checkHostPort(value: string, portRequired: boolean): string | undefined {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(.*))?$/.exec(value);
  if (!match) return "is not host:port";
  const [, host = "", port] = match;
  if (!validHost(host)) return `has an invalid host "${host}"`;
  if (port === undefined) return portRequired ? "needs a port (host:port)" : undefined;
  if (!validPort(port)) return `has an invalid port "${port}" (1-65535)`;
  return undefined;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** True when a URL carries credentials: user info, or a query string (tokens usually travel there). */
export function urlCarriesCredentials(value: string): boolean {
  const url = parseUrl(value);
  if (!url) return false;
  return url.username !== "" || url.password !== "" || url.search !== "";
}

function checkUrl(
  value: string,
  schemes: readonly string[],
  example: string,
  options: { allowCredentials?: boolean; portRequired?: boolean } = {},
): string | undefined {
  const url = parseUrl(value);
  const scheme = url?.protocol.slice(0, -1);
  if (!url || scheme === undefined || !schemes.includes(scheme)) {
    return `must be a URL like ${example} (scheme ${schemes.map((s) => `${s}://`).join(" or ")})`;
  }
  if (url.hostname === "") return `must name a host, like ${example}`;
  if (!options.allowCredentials && (url.username !== "" || url.password !== "")) {
    return "must not carry credentials: set the output's user/password keys as secrets instead";
  }
  if (options.portRequired && url.port === "") return `needs a port, like ${example}`;
  return undefined;
}

/** Parses `Key:value,Key:value` or a map into headers; returns an error text instead when malformed. */
function parseHeaders(value: unknown, format: "pairs" | "json"): Headers | string {
  let entries: [string, unknown][];
  if (typeof value === "string") {
    entries = [];
    for (const pair of value.split(",")) {
      if (pair.trim() === "") continue;
      const at = pair.indexOf(":");
      if (at <= 0) return `"${pair}" is not Key:value`;
      entries.push([pair.slice(0, at).trim(), pair.slice(at + 1).trim()]);
    }
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    return "must be a map of header names to values, or Key:value,Key:value text";
  }
  const headers: Headers = {};
  for (const [name, raw] of entries) {
    if (!HEADER_NAME.test(name)) return `"${name}" is not a valid HTTP header name`;
    if (typeof raw !== "string" && typeof raw !== "number") return `header "${name}" must have a text value`;
    const text = String(raw);
    if (text.includes(",")) return `header "${name}": values cannot contain "," (falcosidekick splits on it)`;
    // falcosidekick drops a pair whose value holds another ':' (it splits on ':' and wants two parts).
    if (format === "pairs" && text.includes(":")) {
      return `header "${name}": values cannot contain ":" (falcosidekick drops such headers for this output)`;
    }
    headers[name] = text;
  }
  return headers;
}

function describe(value: unknown): string {
  // A long value is cut, so a pasted file does not flood the terminal.
  if (typeof value === "string" && value.length > 80)
    return `"${value.slice(0, 60)}..." (${value.length} characters)`;
  if (typeof value === "string") return `"${value}"`;
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "a list" : "a map";
}

/**
 * Parses one leaf. Returns the value in the type the chart needs, or `{ error }`.
 * `null` means "not set": YAML `key:` with nothing after it.
 */
export function parseLeaf(kind: ValueKind, value: unknown): { value: unknown } | { error: string } {
  // A Pulumi Output given to the component: checked once it resolves.
  if (isLateToken(value)) return { value };
  const asText = (): string | undefined =>
    typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
  const text = asText();
  const needText = { error: `must be text, got ${describe(value)}` };
  const check = (error: string | undefined, result: unknown = text) =>
    error === undefined ? { value: result } : { error: `${describe(value)} ${error}` };
  switch (kind.type) {
    case "string":
      return text === undefined ? needText : { value: text };
    case "enum": {
      if (text === undefined) return needText;
      const found = kind.values.find((v) => v.toLowerCase() === text.toLowerCase());
      if (found === undefined) {
        return {
          error: `${describe(value)} is not allowed; use one of: ${kind.values.map((v) => v || '""').join(", ")}`,
        };
      }
      return { value: found };
    }
    case "boolean":
      if (typeof value === "boolean") return { value };
      if (value === "true" || value === "false") return { value: value === "true" };
      return { error: `must be true or false, got ${describe(value)}` };
    case "integer":
    case "integerString": {
      const n =
        typeof value === "number"
          ? value
          : typeof value === "string" && /^\d+$/.test(value)
            ? Number(value)
            : NaN;
      const max = kind.type === "integer" ? kind.max : undefined;
      if (!Number.isInteger(n) || n < kind.min || (max !== undefined && n > max)) {
        const range = max !== undefined ? `${kind.min} to ${max}` : `${kind.min} or more`;
        return { error: `must be a whole number, ${range}; got ${describe(value)}` };
      }
      return { value: kind.type === "integer" ? n : String(n) };
    }
    case "priority": {
      const parsed = parsePriority(value);
      return parsed === undefined
        ? { error: `${describe(value)} is not a priority; use one of: ${PRIORITY_LIST}` }
        : { value: parsed };
    }
    case "httpUrl":
      if (text === undefined) return needText;
      return check(
        checkUrl(
          text,
          kind.httpsOnly ? ["https"] : ["http", "https"],
          kind.httpsOnly ? "https://host/path" : "http://host:port",
          {
            allowCredentials: kind.allowCredentials,
          },
        ),
      );
    case "natsUrl":
      if (text === undefined) return needText;
      return check(checkUrl(text, ["nats", "tls"], "nats://host:4222", { allowCredentials: true }));
    case "mqttBroker":
      if (text === undefined) return needText;
      return check(checkUrl(text, ["tcp", "ssl", "ws", "wss"], "tcp://host:1883", { portRequired: true }));
    case "hostPort":
      if (text === undefined) return needText;
      return check(/:\/\//.test(text) ? "must be host:port without a scheme" : checkHostPort(text, true));
    case "hostPortList": {
      if (text === undefined) return needText;
      const parts = text.split(",").map((p) => p.trim());
      for (const part of parts) {
        const error = /:\/\//.test(part)
          ? "must be host[:port] without a scheme"
          : checkHostPort(part, false);
        if (error)
          return {
            error: `${describe(value)}: broker "${part}" ${error} (comma-separated host[:port] list)`,
          };
      }
      return { value: parts.join(",") };
    }
    case "email":
      if (text === undefined) return needText;
      return check(emailError(text));
    case "emailList": {
      if (text === undefined) return needText;
      const parts = text.split(",").map((p) => p.trim());
      for (const part of parts) {
        const error = emailError(part);
        if (error) return { error: `${describe(value)}: "${part}" ${error} (comma-separated addresses)` };
      }
      return { value: parts.join(",") };
    }
    case "duration":
      if (text === undefined) return needText;
      return check(GO_DURATION.test(text) ? undefined : "is not a duration like 1s, 500ms or 2m");
    case "headers": {
      const parsed = parseHeaders(value, kind.format);
      return typeof parsed === "string" ? { error: parsed } : { value: parsed };
    }
    case "awsRegion":
      if (text === undefined) return needText;
      return check(AWS_REGION.test(text) ? undefined : "is not an AWS region like eu-west-1");
    case "s3Bucket":
      if (text === undefined) return needText;
      return check(
        S3_BUCKET.test(text)
          ? undefined
          : "is not an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')",
      );
    case "arn":
      if (text === undefined) return needText;
      return check(
        ARN.test(text) ? undefined : "is not an IAM role ARN like arn:aws:iam::123456789012:role/name",
      );
  }
}

function emailError(text: string): string | undefined {
  const angle = /^[^<>]*<([^<>]+)>$/.exec(text);
  const address = angle?.[1] ?? text;
  return EMAIL.test(address)
    ? undefined
    : "is not an e-mail address (name@example.com or Name <name@example.com>)";
}

function leafSchema(kind: ValueKind): z.ZodType {
  return z.unknown().transform((value, ctx) => {
    if (value === null || value === undefined) return undefined;
    const result = parseLeaf(kind, value);
    if ("error" in result) {
      ctx.addIssue({ code: "custom", message: result.error });
      return z.NEVER;
    }
    return result.value;
  });
}

interface Tree {
  [key: string]: Tree | ValueKind;
}

function isKind(node: Tree | ValueKind): node is ValueKind {
  return typeof (node as { type?: unknown }).type === "string";
}

function treeSchema(tree: Tree): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(tree)) {
    shape[key] = isKind(node) ? leafSchema(node).optional() : treeSchema(node).optional().nullable();
  }
  return z.strictObject(shape);
}

/** A strict zod schema for one output block (our `acknowledgePlaintext` is handled before it). */
export function outputSchema(name: OutputName): z.ZodType {
  const tree: Tree = {};
  for (const [path, spec] of Object.entries(OUTPUTS[name].keys)) {
    const parts = path.split(".");
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      const next = (node[part] ??= {});
      if (isKind(next)) throw new Error(`catalog: ${name}.${path} nests under a leaf`);
      node = next;
    }
    const last = parts.at(-1);
    if (last !== undefined) node[last] = spec.kind;
  }
  return treeSchema(tree);
}

/** Allowed keys of the (possibly nested) block at `path` of an output, for unknown-key messages. */
export function allowedKeysAt(name: OutputName, path: readonly PropertyKey[]): string[] {
  const prefix = path.map(String).join(".");
  const keys = new Set<string>();
  for (const key of Object.keys(OUTPUTS[name].keys)) {
    const rest =
      prefix === "" ? key : key.startsWith(`${prefix}.`) ? key.slice(prefix.length + 1) : undefined;
    const first = rest?.split(".")[0];
    if (first !== undefined) keys.add(first);
  }
  return [...keys];
}
