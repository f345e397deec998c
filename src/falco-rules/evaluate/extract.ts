/**
 * What a condition reads from an event: field values as the case gives them, fields Falco derives
 * from others (`proc.aname` from `proc.pname`, `fd.ip` from either side, …), and transformers.
 */
import type { FieldRef, Operand, TransformerArg, TransformerCall } from "../condition/ast.ts";
import { basename, decodeBase64, getopt } from "./transformers.ts";
import { isNumericType, type FieldCatalog } from "../fields/catalog.ts";

/** A field value as Falco would extract it; a list for list fields and for the ancestors of `proc.a*` fields. */
export type EventValue = string | readonly string[];
/** Field name (with its `[arg]` when it has one, e.g. `proc.aname[2]`) to value. */
export type EventFields = Readonly<Record<string, EventValue>>;

export class EvaluatorCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluatorCompileError";
  }
}

/**
 * Extracted values: `one` value; `any`, several candidates where a check holds if it holds for one
 * of them (ancestors for `proc.aname`, client or server for `fd.ip`); `list`, a list field
 * (`in` needs every element in the set, `intersects` one).
 */
export type Extracted =
  | { kind: "one"; value: string }
  | { kind: "any"; values: readonly string[] }
  | { kind: "list"; values: readonly string[] };

export type Predicate = (event: EventFields) => boolean;
export type Extractor = (event: EventFields) => Extracted | undefined;

// ---------------------------------------------------------------------------------------------
// Extraction

export function compileOperand(operand: Operand, fields: FieldCatalog): Extractor {
  return operand.kind === "field" ? compileField(operand, fields) : compileTransformer(operand, fields);
}

export function wrap(isList: boolean, value: EventValue): Extracted {
  if (typeof value === "string") return { kind: "one", value };
  return isList ? { kind: "list", values: value } : { kind: "any", values: value };
}

export function fieldKey(name: string, arg: string | undefined): string {
  return arg === undefined ? name : `${name}[${arg}]`;
}

export function compileField(ref: FieldRef, fields: FieldCatalog): Extractor {
  const key = fieldKey(ref.name, ref.arg);
  const derive = derivation(ref.name, ref.arg);
  const isList = kindOfField(ref.name, ref.arg, fields) === "list";
  return (event) => {
    const given = event[key];
    if (given !== undefined) return wrap(isList, given);
    return derive ? derive(event) : undefined;
  };
}

/** `proc.a*` ancestor fields, with the field giving the process itself and its parent. */
const ANCESTOR_FIELDS: Readonly<Record<string, { self: string; parent: string }>> = {
  "proc.aname": { self: "proc.name", parent: "proc.pname" },
  "proc.apid": { self: "proc.pid", parent: "proc.ppid" },
  "proc.aexe": { self: "proc.exe", parent: "proc.pexe" },
  "proc.aexepath": { self: "proc.exepath", parent: "proc.pexepath" },
  "proc.acmdline": { self: "proc.cmdline", parent: "proc.pcmdline" },
};
const PARENT_FIELDS = new Map(
  Object.entries(ANCESTOR_FIELDS).map(([ancestor, { parent }]) => [parent, ancestor]),
);
/** `fd.ip`-style fields that match the client or the server side. */
const EITHER_SIDE: Readonly<Record<string, readonly string[]>> = {
  "fd.ip": ["fd.cip", "fd.sip"],
  "fd.port": ["fd.cport", "fd.sport"],
  "fd.proto": ["fd.cproto", "fd.sproto"],
  "fd.net": ["fd.cip", "fd.sip"],
};
const NETWORK_OF: Readonly<Record<string, string>> = {
  "fd.cnet": "fd.cip",
  "fd.snet": "fd.sip",
  "fd.lnet": "fd.lip",
  "fd.rnet": "fd.rip",
};

function single(event: EventFields, key: string): string | undefined {
  const value = event[key];
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value[0];
}

/** The ancestors of the process (parent first) as far as the event tells them. */
function ancestors(event: EventFields, field: string): readonly string[] | undefined {
  const given = event[field];
  if (given !== undefined) return typeof given === "string" ? [given] : given;
  const parent = event[levelKey(field, 1)] ?? event[(ANCESTOR_FIELDS[field] as { parent: string }).parent];
  if (parent === undefined) return undefined;
  const found: string[] = [typeof parent === "string" ? parent : (parent[0] ?? "")];
  for (let level = 2; ; level++) {
    const next = event[levelKey(field, level)];
    if (next === undefined) break;
    found.push(typeof next === "string" ? next : (next[0] ?? ""));
  }
  return found;
}

const levelKeys = new Map<string, string[]>();

/** `proc.aname[3]`, built once: these lookups run for every event a rule checks. */
function levelKey(field: string, level: number): string {
  let keys = levelKeys.get(field);
  if (!keys) levelKeys.set(field, (keys = []));
  return (keys[level] ??= `${field}[${level}]`);
}

/** How to get a field from others the event gives, when it does not give the field itself. */
export function derivation(name: string, arg: string | undefined): Extractor | undefined {
  const ancestor = ANCESTOR_FIELDS[name];
  if (ancestor) {
    if (arg === undefined) {
      return (event) => {
        const values = ancestors(event, name);
        return values && values.length > 0 ? { kind: "any", values } : undefined;
      };
    }
    const level = Number(arg);
    if (!Number.isInteger(level) || level < 0) return undefined;
    if (level === 0) return (event) => oneOf(single(event, ancestor.self));
    return (event) => {
      if (level === 1) {
        const parent = single(event, ancestor.parent);
        if (parent !== undefined) return { kind: "one", value: parent };
      }
      const list = event[name];
      if (list === undefined) return undefined;
      const values = typeof list === "string" ? [list] : list;
      return oneOf(values[level - 1]);
    };
  }
  const parentOf = PARENT_FIELDS.get(name);
  if (parentOf && arg === undefined) {
    return (event) => {
      const given = event[levelKey(parentOf, 1)] ?? event[parentOf];
      if (given === undefined) return undefined;
      return oneOf(typeof given === "string" ? given : given[0]);
    };
  }
  const sides = EITHER_SIDE[name];
  if (sides && arg === undefined) {
    return (event) => {
      const values = sides.flatMap((side) => {
        const value = single(event, side);
        return value === undefined ? [] : [value];
      });
      return values.length > 0 ? { kind: "any", values } : undefined;
    };
  }
  const networkSource = NETWORK_OF[name];
  if (networkSource && arg === undefined) return (event) => oneOf(single(event, networkSource));
  if (name === "fd.directory" || name === "fd.filename") {
    const wantDirectory = name === "fd.directory";
    return (event) => {
      const file = single(event, "fd.name");
      if (file === undefined || !file.startsWith("/")) return undefined;
      const slash = file.lastIndexOf("/");
      return oneOf(wantDirectory ? file.slice(0, slash) || "/" : file.slice(slash + 1));
    };
  }
  if (name.startsWith("evt.arg.") && arg === undefined) {
    const bracket = `evt.arg[${name.slice("evt.arg.".length)}]`;
    return (event) => oneOf(single(event, bracket));
  }
  if (name === "evt.arg" && arg !== undefined && !/^\d+$/.test(arg)) {
    const dotted = `evt.arg.${arg}`;
    return (event) => oneOf(single(event, dotted));
  }
  return undefined;
}

function oneOf(value: string | undefined): Extracted | undefined {
  return value === undefined ? undefined : { kind: "one", value };
}

function mapExtracted(value: Extracted, map: (text: string) => string | undefined): Extracted | undefined {
  if (value.kind === "one") return oneOf(map(value.value));
  const values = value.values.flatMap((text) => {
    const mapped = map(text);
    return mapped === undefined ? [] : [mapped];
  });
  return { kind: value.kind, values };
}

function valuesOf(value: Extracted): readonly string[] {
  return value.kind === "one" ? [value.value] : value.values;
}

function compileTransformerArg(arg: TransformerArg, fields: FieldCatalog): Extractor {
  switch (arg.kind) {
    case "field":
      return compileField(arg, fields);
    case "transformer":
      return compileTransformer(arg, fields);
    case "string": {
      const constant: Extracted = { kind: "one", value: arg.value };
      return () => constant;
    }
    case "transformer-list": {
      const items = arg.items.map((item) => compileTransformerArg(item, fields));
      return (event) => ({
        kind: "list",
        values: items.flatMap((item) => {
          const value = item(event);
          return value === undefined ? [] : valuesOf(value);
        }),
      });
    }
  }
}

export function compileTransformer(call: TransformerCall, fields: FieldCatalog): Extractor {
  const args = call.args.map((arg) => compileTransformerArg(arg, fields));
  const first = args[0];
  if (!first) throw new EvaluatorCompileError(`${call.name}() needs an argument`);
  switch (call.name) {
    case "tolower":
      return (event) => mapOver(first(event), (text) => text.toLowerCase());
    case "toupper":
      return (event) => mapOver(first(event), (text) => text.toUpperCase());
    case "basename":
      return (event) => mapOver(first(event), basename);
    case "b64":
      return (event) => mapOver(first(event), decodeBase64);
    case "len":
      return (event) => {
        const value = first(event);
        if (value === undefined) return undefined;
        if (value.kind === "list") return { kind: "one", value: String(value.values.length) };
        return mapExtracted(value, (text) => String(text.length));
      };
    case "join": {
      const list = args[1];
      if (!list) throw new EvaluatorCompileError("join() takes a separator and a list");
      return (event) => {
        const separator = first(event);
        const items = list(event);
        if (separator?.kind !== "one" || items === undefined) return undefined;
        return { kind: "one", value: valuesOf(items).join(separator.value) };
      };
    }
    case "concat":
      return (event) => {
        let text = "";
        for (const arg of args) {
          const value = arg(event);
          if (value?.kind !== "one") return undefined;
          text += value.value;
        }
        return { kind: "one", value: text };
      };
    case "getopt": {
      const optstring = args[1];
      if (!optstring) throw new EvaluatorCompileError("getopt() takes an argument list and an option string");
      return (event) => {
        const list = first(event);
        const options = optstring(event);
        if (list === undefined || options?.kind !== "one") return undefined;
        const argv =
          list.kind === "one" ? list.value.split(/\s+/).filter((word) => word !== "") : list.values;
        const result = getopt(argv, options.value, call.arg);
        if (result === undefined) return undefined;
        return typeof result === "string" ? { kind: "one", value: result } : { kind: "list", values: result };
      };
    }
  }
}

function mapOver(
  value: Extracted | undefined,
  map: (text: string) => string | undefined,
): Extracted | undefined {
  return value === undefined ? undefined : mapExtracted(value, map);
}

/** How a field's values compare. */
export type FieldKind = "number" | "bool" | "ipaddr" | "ipnet" | "bytes" | "list" | "string";

/** How a field compares, by its type in `fields` (a field unknown there compares as a string). */
export function kindOfField(name: string, arg: string | undefined, fields: FieldCatalog): FieldKind {
  const resolved = fields.resolve(name, arg);
  if (!resolved.ok) return "string";
  const { info, type } = resolved.field;
  if (info.isList) return "list";
  if (isNumericType(type)) return "number";
  switch (type) {
    case "BOOL":
      return "bool";
    case "IPADDR":
      return "ipaddr";
    case "IPNET":
      return "ipnet";
    case "BYTEBUF":
      return "bytes";
    case "DYNAMIC":
      // `evt.rawarg.X` takes the type of the event parameter; numbers are the common case.
      return "number";
    default:
      return "string";
  }
}
