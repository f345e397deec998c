/**
 * The Falco 0.44.1 field catalog in our compact form (`catalog.generated.ts`), the fields of the
 * plugins Falco may load on top (`k8smeta.ts`), and the field-name resolution rules of libs 0.25.4:
 * longest known prefix, dot arguments, bracket arguments.
 */
import { isIPv4, isIPv6 } from "node:net";
import { EVENT_NAMES, EVENT_PARAM_NAMES, EVENT_TYPE_VALUES, FIELD_ROWS } from "./catalog.generated.ts";
import { K8SMETA_FIELD_ROWS, K8SMETA_PLUGIN } from "./k8smeta.ts";

export type FieldType =
  | "CHARBUF"
  | "BOOL"
  | "UINT64"
  | "RELTIME"
  | "INT64"
  | "UINT32"
  | "ABSTIME"
  | "PORT"
  | "IPADDR"
  | "IPNET"
  | "DOUBLE"
  | "INT32"
  | "INT16"
  | "DYNAMIC"
  | "BYTEBUF";

export interface FieldInfo {
  name: string;
  type: FieldType;
  arg: "none" | "optional" | "required";
  bracketArg: boolean;
  dotArg: boolean;
  /** Argument kinds: index (numeric), key (any text), name (a parameter or event name). */
  argIndex: boolean;
  argKey: boolean;
  argName: boolean;
  isList: boolean;
  deprecated: boolean;
  filterOnly: boolean;
  printOnly: boolean;
  noRhs: boolean;
  noTransformer: boolean;
  /** The container plugin marks it for `append_output` (suggested output). */
  suggested: boolean;
  fromPlugin: boolean;
}

function parseRow(row: string): FieldInfo {
  const [name, type, arg, syntax, kinds, flags] = row.split(" ") as [
    string,
    FieldType,
    string,
    string,
    string,
    string,
  ];
  return {
    name,
    type,
    arg: arg === "r" ? "required" : arg === "o" ? "optional" : "none",
    bracketArg: syntax.includes("b"),
    dotArg: syntax.includes("d"),
    argIndex: kinds.includes("i"),
    argKey: kinds.includes("k"),
    argName: kinds.includes("n"),
    isList: flags.includes("L"),
    deprecated: flags.includes("D"),
    filterOnly: flags.includes("F"),
    printOnly: flags.includes("P"),
    noRhs: flags.includes("R"),
    noTransformer: flags.includes("T"),
    suggested: flags.includes("S"),
    fromPlugin: flags.includes("X"),
  };
}

export const EVENT_TYPES: ReadonlySet<string> = new Set(EVENT_TYPE_VALUES.split(" "));
const EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES.split(" "));
const PARAM_NAMES: ReadonlySet<string> = new Set(EVENT_PARAM_NAMES.split(" "));

export interface ResolvedField {
  info: FieldInfo;
  /** The argument as written after the dot or inside the brackets. */
  arg?: string;
  /** The value type after resolution (DYNAMIC stays DYNAMIC: the parameter's type is unknown here). */
  type: FieldType;
}

export type FieldResolution = { ok: true; field: ResolvedField } | { ok: false; message: string };

const INDEX_ARG = /^[+-]?[0-9]+$/;

function fullName(name: string, arg: string | undefined): string {
  return arg === undefined ? name : `${name}[${arg}]`;
}

/** A plugin Falco loads, as rules files name it in `required_plugin_versions`. */
export interface LoadedPlugin {
  name: string;
  version: string;
}

/** The field rows of the plugins that are not in the generated catalog, by plugin name. */
const PLUGIN_FIELD_ROWS: Readonly<Record<string, readonly string[]>> = {
  [K8SMETA_PLUGIN.name]: K8SMETA_FIELD_ROWS,
};

/** The fields one Falco knows (libsinsp, the bundled container plugin, the plugins it loads). */
export class FieldCatalog {
  private readonly fields: ReadonlyMap<string, FieldInfo>;
  /** Fields whose argument may follow a dot, longest first so `evt.type.is` wins over `evt.type`. */
  private readonly dotFields: readonly FieldInfo[];

  constructor(rows: readonly string[]) {
    this.fields = new Map(
      rows.map((row) => {
        const info = parseRow(row);
        return [info.name, info];
      }),
    );
    this.dotFields = [...this.fields.values()]
      .filter((f) => f.dotArg)
      .sort((a, b) => b.name.length - a.name.length);
  }

  /**
   * Resolves a field as written in a condition or output (`name` is the FieldName token,
   * `arg` the bracket argument). Messages follow libs wording where Falco's skip logic matches on it
   * (`nonexistent field`).
   */
  resolve(name: string, arg: string | undefined): FieldResolution {
    const exact = this.fields.get(name);
    if (exact) return checkArgument(exact, name, arg, undefined);
    for (const field of this.dotFields) {
      if (name.startsWith(field.name + ".")) {
        const dotArg = name.slice(field.name.length + 1);
        if (arg !== undefined) {
          return { ok: false, message: `filter_check called with nonexistent field ${fullName(name, arg)}` };
        }
        return checkArgument(field, name, undefined, dotArg);
      }
    }
    return { ok: false, message: `filter_check called with nonexistent field ${fullName(name, arg)}` };
  }
}

/**
 * The fields of Falco 0.44.1 as shipped: libsinsp and the container plugin it bundles (the generated
 * catalog has both, so container fields are always known).
 */
export const FALCO_FIELDS = new FieldCatalog(FIELD_ROWS);

const catalogsByPlugins = new Map<string, FieldCatalog>([["", FALCO_FIELDS]]);

/**
 * The fields Falco knows with these plugins loaded: the shipped catalog plus the fields of each
 * plugin named here that has a table (k8smeta). Built once per set of such plugins.
 */
export function fieldCatalogFor(plugins: readonly Pick<LoadedPlugin, "name">[] | undefined): FieldCatalog {
  const names = [...new Set((plugins ?? []).map((plugin) => plugin.name))]
    .filter((name) => Object.hasOwn(PLUGIN_FIELD_ROWS, name))
    .sort();
  const key = names.join(" ");
  let catalog = catalogsByPlugins.get(key);
  if (!catalog) {
    catalog = new FieldCatalog([...FIELD_ROWS, ...names.flatMap((name) => PLUGIN_FIELD_ROWS[name] ?? [])]);
    catalogsByPlugins.set(key, catalog);
  }
  return catalog;
}

function checkArgument(
  info: FieldInfo,
  written: string,
  bracket: string | undefined,
  dot: string | undefined,
): FieldResolution {
  const field: ResolvedField = { info, type: info.type };
  if (bracket === undefined && dot === undefined) {
    if (info.arg === "required") {
      return {
        ok: false,
        message: `filter error: field '${info.name}' requires an argument but none provided`,
      };
    }
    return { ok: true, field };
  }
  if (bracket !== undefined) {
    if (info.arg === "none" || !info.bracketArg) {
      return {
        ok: false,
        message: `filter_check called with nonexistent field ${fullName(written, bracket)}`,
      };
    }
    // Index-only arguments go through sscanf("%d"): `proc.aname[x]` and `evt.arg[a]` fail.
    if (info.argIndex && !info.argKey && !INDEX_ARG.test(bracket)) {
      return { ok: false, message: `filter error: argument '${bracket}' of '${info.name}' must be a number` };
    }
    field.arg = bracket;
    return { ok: true, field };
  }
  const dotArg = dot as string;
  switch (info.name) {
    case "evt.arg":
    case "evt.rawarg":
      if (!PARAM_NAMES.has(dotArg)) {
        return {
          ok: false,
          message: `filter error: ${info.name}.${dotArg}: '${dotArg}' is not an event parameter name`,
        };
      }
      break;
    case "evt.type.is":
      if (!EVENTS.has(dotArg)) {
        return { ok: false, message: `filter error: evt.type.is.${dotArg}: unknown event type ${dotArg}` };
      }
      break;
    case "evt.abspath":
      if (dotArg !== "src" && dotArg !== "dst") {
        return { ok: false, message: `filter_check called with nonexistent field evt.abspath.${dotArg}` };
      }
      break;
    default:
      break;
  }
  field.arg = dotArg;
  return { ok: true, field };
}

export function isNumericType(type: FieldType): boolean {
  switch (type) {
    case "UINT64":
    case "RELTIME":
    case "INT64":
    case "UINT32":
    case "ABSTIME":
    case "PORT":
    case "DOUBLE":
    case "INT32":
    case "INT16":
      return true;
    default:
      return false;
  }
}

const ALL_STRING_OPS = new Set([
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "contains",
  "icontains",
  "startswith",
  "endswith",
  "glob",
  "iglob",
  "regex",
  "in",
  "intersects",
  "pmatch",
  "exists",
]);
const NUMERIC_OPS = new Set(["=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"]);
const EQUALITY_OPS = new Set(["=", "==", "!=", "in", "intersects", "exists"]);
const BYTEBUF_OPS = new Set([
  "=",
  "==",
  "!=",
  "contains",
  "in",
  "exists",
  "startswith",
  "endswith",
  "intersects",
  "bcontains",
  "bstartswith",
]);
const LIST_FIELD_OPS = new Set(["in", "intersects", "exists"]);

/** Whether `operator` applies to a value of `type` (`flt_is_comparable` in libs). */
export function operatorAllowed(operator: string, type: FieldType, isList: boolean): boolean {
  if (isList) return LIST_FIELD_OPS.has(operator);
  if (isNumericType(type)) return NUMERIC_OPS.has(operator);
  switch (type) {
    case "BOOL":
    case "IPADDR":
    case "IPNET":
      return EQUALITY_OPS.has(operator);
    case "CHARBUF":
      return ALL_STRING_OPS.has(operator);
    case "BYTEBUF":
      return BYTEBUF_OPS.has(operator);
    default:
      return true;
  }
}

export function isEventType(value: string): boolean {
  return EVENT_TYPES.has(value);
}

/** Inclusive ranges of the integer types, as libs stores them. */
const INTEGER_RANGES: Partial<Record<FieldType, readonly [bigint, bigint, string]>> = {
  UINT64: [0n, 2n ** 64n - 1n, "a whole number from 0 to 18446744073709551615"],
  UINT32: [0n, 2n ** 32n - 1n, "a whole number from 0 to 4294967295"],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n, "a whole number (64-bit signed), e.g. -1 or 42"],
  INT32: [-(2n ** 31n), 2n ** 31n - 1n, "a whole number (32-bit signed)"],
  INT16: [-(2n ** 15n), 2n ** 15n - 1n, "a whole number from -32768 to 32767"],
  RELTIME: [0n, 2n ** 64n - 1n, "a duration in nanoseconds (a whole number)"],
  ABSTIME: [0n, 2n ** 64n - 1n, "a time in nanoseconds since the epoch (a whole number)"],
  PORT: [0n, 65535n, "a port number from 0 to 65535"],
};
const WHOLE_NUMBER = /^[+-]?[0-9]+$/;
const DECIMAL_NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * Why `value` cannot be what Falco extracts for a field of `type` (undefined when it can be): an
 * event value is data, so a port is a number, a BOOL is true or false, an IPNET field gives an address.
 */
export function eventValueProblem(type: FieldType, value: string): string | undefined {
  const range = INTEGER_RANGES[type];
  if (range) {
    const [min, max, wanted] = range;
    if (WHOLE_NUMBER.test(value)) {
      const number = BigInt(value);
      if (number >= min && number <= max) return undefined;
    }
    return `is ${type}, ${wanted}`;
  }
  switch (type) {
    case "DOUBLE":
      return DECIMAL_NUMBER.test(value) ? undefined : "is DOUBLE, a number";
    case "BOOL":
      return value === "true" || value === "false" ? undefined : "is BOOL, true or false";
    case "IPADDR":
    case "IPNET":
      return isIPv4(value) || isIPv6(value)
        ? undefined
        : `is ${type}: an event gives an IPv4 or IPv6 address, e.g. 10.0.0.1`;
    default:
      return undefined;
  }
}
