/**
 * Reading one rules file the way Falco's `rule_loader::reader` does (yaml-cpp semantics): a YAML
 * stream of sequences of items; item kind by first known key; keys, required keys and scalar types
 * (`80` stays "80", booleans `y/yes/true/on` in three casings).
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  Schema,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from "yaml";
import type { ErrorCode, WarningCode } from "../findings.ts";
import { withoutByteOrderMark } from "./files.ts";
import { ScalarSource, type SourceFile, type SourceFiles } from "./located-text.ts";
import { holdsAlias, topLevelItems } from "./yaml-chunks.ts";
import { withPlainProcessEnv } from "./yaml-env.ts";

/** Thrown for an error that stops the current item; `at` is a global offset. */
export class LoadError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

export interface ReaderSink {
  warn(code: WarningCode, message: string, at: number): void;
  error(error: LoadError): void;
}

/** A YAML item map with yaml-cpp lookups (first pair wins) and positions. */
export class ItemMap {
  private readonly pairs = new Map<string, Pair>();
  readonly keys: { key: string; at: number }[] = [];

  /** `docStart`: where the YAML document holding `node` starts in the file (its ranges count from there). */
  constructor(
    readonly file: SourceFile,
    readonly doc: Document,
    readonly node: YAMLMap,
    readonly docStart = 0,
  ) {
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key as Node | null);
      const key = isScalar(keyNode) ? String(keyNode.value ?? "") : "";
      if (!this.pairs.has(key)) this.pairs.set(key, pair);
      this.keys.push({ key, at: this.offsetOf(keyNode) });
    }
  }

  get at(): number {
    return this.offsetOf(this.node);
  }

  /** A map inside this item (a plugin requirement, an exception), read the same way. */
  child(node: YAMLMap): ItemMap {
    return new ItemMap(this.file, this.doc, node, this.docStart);
  }

  resolve(node: Node | null | undefined): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node ?? null;
  }

  offsetOf(node: Node | null | undefined): number {
    return this.file.base + this.docStart + (node?.range?.[0] ?? this.node.range?.[0] ?? 0);
  }

  has(key: string): boolean {
    return this.pairs.has(key);
  }

  value(key: string): Node | null {
    const pair = this.pairs.get(key);
    return pair ? this.resolve(pair.value as Node | null) : null;
  }

  keyAt(key: string): number {
    const pair = this.pairs.get(key);
    return pair ? this.offsetOf(pair.key as Node) : this.at;
  }

  /** Where the value of `key` starts (its key when the value is empty). */
  valueAt(key: string): number {
    const value = this.value(key);
    return value?.range ? this.offsetOf(value) : this.keyAt(key);
  }
}

export function isNullNode(node: Node | null): boolean {
  if (node === null) return true;
  if (!isScalar(node)) return false;
  if (node.type !== "PLAIN") return false;
  const value = node.value;
  return (
    value === null ||
    value === "" ||
    value === "~" ||
    value === "null" ||
    value === "Null" ||
    value === "NULL"
  );
}

export function scalarText(node: Node | null): string | undefined {
  return node && isScalar(node) ? String(node.value ?? "") : undefined;
}

const TRUE_WORDS = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const FALSE_WORDS = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);

export function decodeBool(text: string): boolean | undefined {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return undefined;
}

export function decodeUint32(text: string): number | undefined {
  const trimmed = text.trim();
  let value: number;
  if (/^[0-9]+$/.test(trimmed)) value = Number(trimmed);
  else if (/^0x[0-9a-fA-F]+$/.test(trimmed)) value = Number.parseInt(trimmed.slice(2), 16);
  else return undefined;
  return value <= 0xffffffff ? value : undefined;
}

function validateError(message: string, at: number): LoadError {
  return new LoadError("LOAD_ERR_YAML_VALIDATE", message, at);
}

export interface DecodeOptions {
  optional?: boolean;
  canBeEmpty?: boolean;
}

/** `decode_val`: a present, non-null, scalar, non-empty value; returns the scalar node. */
export function decodeScalar(item: ItemMap, key: string, options: DecodeOptions = {}): Scalar | undefined {
  if (!item.has(key)) {
    if (options.optional) return undefined;
    throw validateError(`Item has no mapping for key '${key}'`, item.at);
  }
  const value = item.value(key);
  if (isNullNode(value)) {
    if (options.canBeEmpty) return undefined;
    throw validateError(`Mapping for key '${key}' is empty`, item.keyAt(key));
  }
  if (!value || !isScalar(value)) throw validateError("Value is not a scalar value", item.valueAt(key));
  if (String(value.value ?? "") === "") {
    if (options.canBeEmpty) return undefined;
    throw validateError("Value must be non-empty", item.valueAt(key));
  }
  return value;
}

export function decodeString(item: ItemMap, key: string, options: DecodeOptions = {}): string | undefined {
  const node = decodeScalar(item, key, options);
  return node ? String(node.value ?? "") : undefined;
}

export function decodeSource(
  item: ItemMap,
  key: string,
  options: DecodeOptions = {},
): ScalarSource | undefined {
  const node = decodeScalar(item, key, options);
  return node ? new ScalarSource(item.file, node, String(node.value ?? ""), item.docStart) : undefined;
}

export function decodeBoolKey(item: ItemMap, key: string, options: DecodeOptions = {}): boolean | undefined {
  const node = decodeScalar(item, key, options);
  if (!node) return undefined;
  const value = decodeBool(String(node.value ?? ""));
  if (value === undefined) {
    throw validateError(
      `Can't decode YAML scalar value: '${String(node.value)}' is not a boolean (use true/false, yes/no, on/off)`,
      item.valueAt(key),
    );
  }
  return value;
}

export function decodeUint32Key(item: ItemMap, key: string, options: DecodeOptions = {}): number | undefined {
  const node = decodeScalar(item, key, options);
  if (!node) return undefined;
  const value = decodeUint32(String(node.value ?? ""));
  if (value === undefined) {
    throw validateError(
      `Can't decode YAML scalar value: '${String(node.value)}' is not an unsigned 32-bit integer`,
      item.valueAt(key),
    );
  }
  return value;
}

/** `decode_seq`: a sequence of scalars; returns texts with their nodes. */
export function decodeSeq(
  item: ItemMap,
  key: string,
  optional: boolean,
): { value: string; source: ScalarSource }[] | undefined {
  if (!item.has(key)) {
    if (optional) return undefined;
    throw validateError(`Item has no mapping for key '${key}'`, item.at);
  }
  const value = item.value(key);
  if (!value || !isSeq(value)) throw validateError("Value is not a sequence", item.valueAt(key));
  return value.items.map((raw) => {
    const entry = item.resolve(raw as Node | null);
    if (!entry || !isScalar(entry)) {
      throw validateError("sequence value is not scalar", item.offsetOf(entry ?? value));
    }
    const text = String(entry.value ?? "");
    return { value: text, source: new ScalarSource(item.file, entry, text, item.docStart) };
  });
}

const YAML_OPTIONS = { schema: "failsafe", uniqueKeys: false, strict: false, prettyErrors: false } as const;
// The schema a document gets from YAML_OPTIONS, built once for the many one-item documents.
const ITEM_OPTIONS = { ...YAML_OPTIONS, schema: new Schema({ schema: "failsafe", resolveKnownTags: true }) };

/**
 * Parses the YAML stream and reads each item with `read`, which must not depend on what it read
 * before: YAML errors are reported and stop the file before any item counts (as in Falco). Null
 * documents and null items are skipped; anything else that is not a sequence of maps is an error.
 */
export function readYamlItems<T>(
  sources: SourceFiles,
  path: string,
  text: string,
  sink: ReaderSink,
  read: (item: ItemMap) => T,
): { file: SourceFile; items: T[] } {
  // Columns as an editor shows them: the byte-order mark is not a column.
  const file = sources.add(path, withoutByteOrderMark(text));
  const items = withPlainProcessEnv(
    () => readItemByItem(file, sink, read) ?? readWholeFile(file, sink, read),
  );
  return { file, items };
}

function readWholeFile<T>(file: SourceFile, sink: ReaderSink, read: (item: ItemMap) => T): T[] {
  const parsed = parseAllDocuments(file.text, YAML_OPTIONS);
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const yamlError = doc.errors[0];
    if (yamlError) {
      sink.error(
        new LoadError(
          "LOAD_ERR_YAML_PARSE",
          yamlError.message.split("\n")[0] ?? "YAML error",
          file.base + yamlError.pos[0],
        ),
      );
      return [];
    }
  }
  const items: T[] = [];
  for (const doc of docs) {
    const contents = doc.contents as Node | null;
    if (isNullNode(contents)) continue;
    if (!isSeq(contents)) {
      sink.error(
        validateError(
          isMap(contents) ? "Rules content is not yaml array of objects" : "Rules content is not yaml",
          file.base + (contents?.range?.[0] ?? 0),
        ),
      );
      return items;
    }
    for (const raw of contents.items) {
      const item = itemOf(file, doc, raw, contents, 0);
      if (item instanceof LoadError) sink.error(item);
      else if (item) items.push(read(item));
    }
  }
  return items;
}

/**
 * Each top-level item parsed as its own document and read at once, when that reads exactly as
 * the whole file would: the file is one block sequence, no item has a YAML error (the whole
 * file's parse words and places it) and no item holds an alias (its anchor may be in another
 * item). Undefined otherwise, with nothing reported.
 */
function readItemByItem<T>(file: SourceFile, sink: ReaderSink, read: (item: ItemMap) => T): T[] | undefined {
  const chunks = topLevelItems(file.text);
  if (!chunks) return undefined;
  const items: T[] = [];
  const errors: LoadError[] = [];
  for (const chunk of chunks) {
    const doc = parseDocument(chunk.text, ITEM_OPTIONS);
    const contents = doc.contents;
    if (doc.errors.length > 0 || !isSeq(contents) || contents.items.length !== 1) return undefined;
    if (holdsAlias(chunk, contents)) return undefined;
    const item = itemOf(file, doc, contents.items[0], contents, chunk.start);
    if (item instanceof LoadError) errors.push(item);
    else if (item) items.push(read(item));
  }
  for (const error of errors) sink.error(error);
  return items;
}

/** One entry of the top-level sequence: an item map, nothing (null), or the error it is. */
function itemOf(
  file: SourceFile,
  doc: Document,
  raw: unknown,
  sequence: Node,
  docStart: number,
): ItemMap | LoadError | undefined {
  const node = raw && isAlias(raw) ? ((raw.resolve(doc) as Node | undefined) ?? null) : (raw as Node | null);
  if (isNullNode(node)) return undefined;
  if (!node || !isMap(node)) {
    return validateError(
      "Unexpected element type. Each element should be a yaml associative array.",
      file.base + docStart + (node?.range?.[0] ?? sequence.range?.[0] ?? 0),
    );
  }
  return new ItemMap(file, doc, node, docStart);
}
