/** The values of a check, per field type, and the compiler's hints about them (libs `filter.cpp`). */
import { isIPv4, isIPv6 } from "node:net";
import { TRANSFORMER_NAMES, type StringValue } from "./ast.ts";
import { isNumericType, type FieldCatalog, type FieldType } from "../fields/catalog.ts";
import type { CheckIssue } from "./checks.ts";

const FIELD_LIKE = /^([a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+)(?:\[(.*)\])?$/;
const INTEGER = /^[ \t\n\r\f\v]*[+-]?[0-9]+$/;
const SERVICE_NAME = /^[a-zA-Z][a-zA-Z0-9_.+-]*$/;
const HEX_BYTES = /^(?:[0-9a-fA-F]{2})+$/;

export function valueProblem(
  value: string,
  type: FieldType | "UNKNOWN",
  operator: string,
): string | undefined {
  if (operator === "bcontains" || operator === "bstartswith") {
    return HEX_BYTES.test(value)
      ? undefined
      : "filter error: bcontains and bstartswith operator support hex strings only";
  }
  if (type === "UNKNOWN") return undefined;
  if (type === "PORT") {
    // Digits, or a service name that libs resolves with getservbyname on the node.
    return value === "" || /^[0-9]+$/.test(value) || SERVICE_NAME.test(value)
      ? undefined
      : `unrecognized protocol ${value}: a port is a number or a service name`;
  }
  if (isNumericType(type)) return INTEGER.test(value) ? undefined : `${value} is not a valid number`;
  switch (type) {
    case "BOOL":
      return value === "true" || value === "false"
        ? undefined
        : `filter error: unrecognized boolean value ${value} (use true or false)`;
    case "IPADDR":
      // libs picks IPv4 when the text has a dot, IPv6 otherwise, then uses inet_pton.
      if (value.includes(".") ? isIPv4(value) : isIPv6(value)) return undefined;
      return `unrecognized ${value.includes(".") ? "IPv4" : "IPv6"} address ${value}`;
    case "IPNET": {
      const slash = value.indexOf("/");
      if (slash < 0) return `unrecognized IP network ${value}: expected address/prefix, e.g. 10.0.0.0/8`;
      const address = value.slice(0, slash);
      const bits = value.slice(slash + 1);
      const v4 = value.includes(".");
      if (!(v4 ? isIPv4(address) : isIPv6(address))) return `unrecognized IP address ${value}`;
      if (!INTEGER.test(bits) || Number(bits) > (v4 ? 32 : 128)) return `invalid netmask ${bits}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

const PERL_ONLY_ESCAPES = new Set([
  "d",
  "D",
  "s",
  "S",
  "w",
  "W",
  "b",
  "B",
  "A",
  "z",
  "C",
  "p",
  "P",
  "Q",
  "E",
]);

/**
 * libs compiles `regex` values with RE2 in POSIX mode: no Perl classes (`\d`), word boundaries,
 * `(?…)` groups or lazy quantifiers. Other syntax errors are caught with the JS engine.
 */
export function regexProblem(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && PERL_ONLY_ESCAPES.has(next)) {
        return `invalid regex pattern '${pattern}': \\${next} is not POSIX syntax (RE2 POSIX mode)`;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++;
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      return `invalid regex pattern '${pattern}': (?…) groups are not POSIX syntax (RE2 POSIX mode)`;
    }
    if ("*+?}".includes(c) && pattern[i + 1] === "?" && i > 0) {
      return `invalid regex pattern '${pattern}': lazy quantifiers are not POSIX syntax (RE2 POSIX mode)`;
    }
  }
  try {
    new RegExp(pattern);
    return undefined;
  } catch {
    return `invalid regex pattern '${pattern}'`;
  }
}

const REGEX_SPECIAL = ".+*?^$()[]{}|\\";

/** libs' hint that a regex could be a simpler operator. */
function regexCouldBeSimpler(v: string): boolean {
  const len = v.length;
  for (let i = 0; i < len; i++) {
    if ((i === 0 && v[i] === "^") || (i === len - 1 && v[i] === "$")) continue;
    if (((i === 0 && len > 1) || i === len - 2) && v[i] === "." && "+*?".includes(v[i + 1] ?? "")) {
      i++;
      continue;
    }
    if (REGEX_SPECIAL.includes(v[i] as string)) return false;
  }
  return true;
}

/** Per field catalog (a field known with a plugin loaded is a field), the hints by value. */
const hintsByCatalog = new WeakMap<FieldCatalog, Map<string, readonly string[]>>();

/** The compiler's hints about a value (the same list items recur in many conditions: remembered). */
function valueHints(v: string, fields: FieldCatalog): readonly string[] {
  let hintsByValue = hintsByCatalog.get(fields);
  if (!hintsByValue) {
    hintsByValue = new Map();
    hintsByCatalog.set(fields, hintsByValue);
  }
  let hints = hintsByValue.get(v);
  if (hints) return hints;
  const found: string[] = [];
  const stripped = v.replace(/[ \t\n\r\f\v]/g, "");
  const fieldLike = FIELD_LIKE.exec(stripped);
  if (fieldLike && fields.resolve(fieldLike[1] as string, fieldLike[2]).ok) {
    found.push(`'${v}' may be a valid field misused as a const string value`);
  }
  for (const name of ["val", ...TRANSFORMER_NAMES]) {
    if (stripped.length >= name.length + 2 && stripped.startsWith(name + "(") && stripped.endsWith(")")) {
      found.push(`'${v}' may be a valid field transformer misused as a const string value`);
    }
  }
  hints = found;
  if (hintsByValue.size > 50_000) hintsByValue.clear();
  hintsByValue.set(v, hints);
  return hints;
}

export function valueWarnings(
  value: StringValue,
  operator: string,
  fields: FieldCatalog,
  issues: CheckIssue[],
): void {
  const v = value.value;
  if (operator === "regex" && regexCouldBeSimpler(v)) {
    issues.push({
      severity: "warning",
      code: "LOAD_COMPILE_CONDITION",
      offset: value.start,
      message: `regex check with '${v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`,
    });
  }
  for (const message of valueHints(v, fields)) {
    issues.push({ severity: "warning", code: "LOAD_COMPILE_CONDITION", offset: value.start, message });
  }
}
