import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  type Document,
  type LineCounter,
  type Node,
  type Scalar,
} from "yaml";
import { listRulesPath, readRulesText, RulesFileError, withoutByteOrderMark } from "../load/files.ts";
import {
  eventValueProblem,
  fieldCatalogFor,
  isEventType,
  type FieldCatalog,
  type LoadedPlugin,
  type ResolvedField,
} from "../fields/catalog.ts";
import { lineCounterOf } from "../load/located-text.ts";
import { holdsAlias, topLevelItems } from "../load/yaml-chunks.ts";
import { withPlainProcessEnv } from "../load/yaml-env.ts";
import type { EventFields, EventValue } from "./evaluator.ts";

/**
 * Rule test cases: YAML files holding a sequence of
 * `{ name, event: { field: value | [values] }, expect: [rule names] }`.
 * Values keep their YAML source text (`0755` stays "0755"), as Falco compares field values as text or numbers.
 */

export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export interface RuleTestCase {
  name: string;
  event: EventFields;
  /** Exactly the rules that must fire, in any order; empty means none. */
  expect: readonly string[];
  position: SourcePosition;
  /** Position of each expected rule name, for errors about names no loaded rule has. */
  expectPositions: readonly SourcePosition[];
}

export interface CaseIssue extends SourcePosition {
  message: string;
}

export interface LoadedCases {
  cases: RuleTestCase[];
  issues: CaseIssue[];
  files: string[];
}

const FIELD_KEY = /^[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+(\[[^\]]+\])?$/;
const CASE_KEYS = ["name", "event", "expect"];

export interface CaseOptions {
  /**
   * The plugins the rules are loaded with (as `LoadOptions.plugins`): event fields may be theirs
   * (`k8smeta.*` with k8smeta) and are typed by their tables. Default: Falco 0.44.1 as shipped.
   */
  plugins?: readonly LoadedPlugin[];
}

/** Parses one case file's text; every problem is returned as an issue with its position. */
export function parseCases(
  text: string,
  file: string,
  options: CaseOptions = {},
): { cases: RuleTestCase[]; issues: CaseIssue[] } {
  const fields = fieldCatalogFor(options.plugins);
  const source = withoutByteOrderMark(text);
  const lineCounter = lineCounterOf(source);
  return withPlainProcessEnv(() => parseSource(source, file, lineCounter, fields));
}

function parseSource(
  source: string,
  file: string,
  lineCounter: LineCounter,
  fields: FieldCatalog,
): { cases: RuleTestCase[]; issues: CaseIssue[] } {
  // A plain case file (comments, then a block sequence at column 0) is parsed case by case: YAML
  // gives the same nodes (a case holding an alias sends the file to one whole parse), and a
  // 10,000-case file is never one tree (most of its parse time was garbage collection). Each case
  // is read as soon as it is parsed, so no chunk's tree outlives its case.
  const chunked = topLevelItems(source);
  if (chunked) {
    const reader = new CasesReader(file, lineCounter, fields);
    const clean = chunked.every((chunk) => {
      const document = parseDocument(chunk.text);
      return !holdsAlias(chunk, document.contents) && reader.read(document, chunk.start);
    });
    if (clean) return reader.finish();
  }
  // One parse of the whole text gives YAML's errors as it words and places them.
  const documents = parseAllDocuments(source, { prettyErrors: false });
  const reader = new CasesReader(file, lineCounter, fields);
  if (Array.isArray(documents)) for (const document of documents) reader.read(document, 0);
  return reader.finish();
}

/** Reads parsed case documents one by one (each at its offset in the file) into cases and issues. */
class CasesReader {
  private readonly issues: CaseIssue[] = [];
  private readonly cases: RuleTestCase[] = [];
  private base = 0;
  private document: Document.Parsed | undefined;
  private readonly reader: CaseReader;

  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly fields: FieldCatalog,
  ) {
    const at = (offset: number | undefined): SourcePosition => {
      const { line, col } = this.lineCounter.linePos(this.base + (offset ?? 0));
      return { file: this.file, line, col };
    };
    const issue = (node: Node | null | undefined, message: string) => {
      this.issues.push({ ...at(node?.range?.[0] ?? 0), message });
    };
    // An alias stands for its anchored node, as YAML says.
    const resolve = (node: unknown): Node | null => resolveAlias(node, this.document as Document.Parsed);
    this.reader = { issue, at, resolve, fields: this.fields };
  }

  /** Reads one document starting at `base`; false when it has YAML errors (reported as issues). */
  read(document: Document.Parsed, base: number): boolean {
    this.base = base;
    this.document = document;
    const { issue, at, resolve } = this.reader;
    for (const error of document.errors) {
      this.issues.push({ ...at(error.pos[0]), message: `YAML: ${error.message.split("\n")[0]}` });
    }
    if (document.errors.length > 0) return false;
    const root = resolve(document.contents);
    if (root === null || (isScalar(root) && root.value === null)) return true;
    if (!isSeq(root)) {
      issue(root, "a case file holds a sequence of cases (- name: ..., event: ..., expect: [...])");
      return true;
    }
    for (const item of root.items) {
      const parsed = parseCase(resolve(item), this.reader);
      if (parsed) this.cases.push(parsed);
    }
    return true;
  }

  finish(): { cases: RuleTestCase[]; issues: CaseIssue[] } {
    this.issues.push(...duplicateNames(this.cases));
    return { cases: this.cases, issues: this.issues };
  }
}

function resolveAlias(node: unknown, document: Document.Parsed): Node | null {
  if (isAlias(node)) return (node.resolve(document) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

/** A case name used twice: which one failed would be ambiguous in the report. */
function duplicateNames(
  cases: readonly Pick<RuleTestCase, "name" | "position">[],
  seen = new Map<string, SourcePosition>(),
): CaseIssue[] {
  const issues: CaseIssue[] = [];
  for (const testCase of cases) {
    const first = seen.get(testCase.name);
    if (first) {
      issues.push({
        ...testCase.position,
        message: `case name "${testCase.name}" is already used at ${first.file}:${first.line}:${first.col}; names must be unique`,
      });
    } else seen.set(testCase.name, testCase.position);
  }
  return issues;
}

type IssueReporter = (node: Node | null | undefined, message: string) => void;

interface CaseReader {
  issue: IssueReporter;
  at: (offset: number | undefined) => SourcePosition;
  resolve: (node: unknown) => Node | null;
  /** The fields an event may give (those of the loaded plugins included). */
  fields: FieldCatalog;
}

function parseCase(item: Node | null, reader: CaseReader): RuleTestCase | undefined {
  const { issue, at, resolve } = reader;
  if (!isMap(item)) {
    issue(item, "each case is a map with keys name, event and expect");
    return undefined;
  }
  let name: string | undefined;
  let event: Record<string, EventValue> | undefined;
  let expect: string[] | undefined;
  const expectPositions: SourcePosition[] = [];
  let ok = true;
  for (const pair of item.items) {
    const keyNode = resolve(pair.key);
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    const value = resolve(pair.value);
    if (key === "name") {
      if (isScalar(value) && value.value !== null && String(value.value).trim() !== "")
        name = String(value.value);
      else {
        issue(value ?? keyNode, "name must be a non-empty string");
        ok = false;
      }
    } else if (key === "event") {
      event = parseEvent(value ?? keyNode, reader);
      if (!event) ok = false;
    } else if (key === "expect") {
      if (!isSeq(value)) {
        issue(value ?? keyNode, "expect must be a list of rule names, [] when no rule may fire");
        ok = false;
        continue;
      }
      expect = [];
      for (const entry of value.items.map(resolve)) {
        if (!isScalar(entry) || typeof entry.value !== "string" || entry.value.trim() === "") {
          issue(entry ?? value, "each expected rule is a rule name (a string)");
          ok = false;
        } else if (expect.includes(entry.value)) {
          issue(entry, `rule "${entry.value}" is expected twice`);
          ok = false;
        } else {
          expect.push(entry.value);
          expectPositions.push(at(entry.range?.[0]));
        }
      }
    } else {
      issue(keyNode, `unknown key "${key ?? "?"}" in a case; allowed: ${CASE_KEYS.join(", ")}`);
      ok = false;
    }
  }
  for (const required of CASE_KEYS) {
    const present = item.items.some((pair) => {
      const key = resolve(pair.key);
      return isScalar(key) && key.value === required;
    });
    if (!present) {
      issue(item, `case${name ? ` "${name}"` : ""} has no "${required}"`);
      ok = false;
    }
  }
  if (!ok || name === undefined || event === undefined || expect === undefined) return undefined;
  return { name, event, expect, position: at(item.range?.[0]), expectPositions };
}

function parseEvent(node: Node | null, reader: CaseReader): Record<string, EventValue> | undefined {
  const { issue, resolve, fields } = reader;
  if (!isMap(node)) {
    issue(node, "event must be a map of field names to values, e.g. proc.name: bash");
    return undefined;
  }
  const event: Record<string, EventValue> = {};
  let ok = true;
  for (const pair of node.items) {
    const keyNode = resolve(pair.key);
    const field = isScalar(keyNode) ? String(keyNode.value) : "";
    if (!FIELD_KEY.test(field)) {
      issue(
        keyNode,
        `"${field}" is not a field name; write it as Falco does, e.g. proc.name or proc.aname[2]`,
      );
      ok = false;
      continue;
    }
    const bracket = /^([^[]+)(?:\[(.*)\])?$/.exec(field) as RegExpExecArray;
    const resolved = fields.resolve(bracket[1] as string, bracket[2]);
    if (!resolved.ok) {
      issue(keyNode, `${field}: ${resolved.message.replace(/^filter(_check called with| error:) /, "")}`);
      ok = false;
      continue;
    }
    if (field in event) {
      issue(keyNode, `${field} is given twice in this event`);
      ok = false;
      continue;
    }
    const value = resolve(pair.value);
    if (isSeq(value)) {
      const values: string[] = [];
      for (const entry of value.items.map(resolve)) {
        const text = isScalar(entry) ? scalarText(entry) : undefined;
        if (text === undefined) {
          issue(entry ?? value, `${field}: list elements must be single values`);
          ok = false;
        } else if (!valueFits(field, resolved.field, text, entry, issue)) ok = false;
        else values.push(text);
      }
      event[field] = values;
      continue;
    }
    const text = isScalar(value) ? scalarText(value) : undefined;
    if (text === undefined) {
      issue(
        value ?? keyNode,
        `${field} has no value; give a value, a list of values, or leave the field out for "no value"`,
      );
      ok = false;
      continue;
    }
    if (!valueFits(field, resolved.field, text, value, issue)) {
      ok = false;
      continue;
    }
    event[field] = text;
  }
  return ok ? event : undefined;
}

/** Checks one value against the field's type in the catalog, as the validator checks rule values. */
function valueFits(
  field: string,
  resolved: ResolvedField,
  text: string,
  node: Node | null,
  issue: IssueReporter,
): boolean {
  if ((field === "evt.type" || field === "syscall.type") && !isEventType(text)) {
    issue(
      node,
      `${field}: unknown event type "${text}"; use a Falco event or syscall name such as execve, openat, connect`,
    );
    return false;
  }
  const problem = eventValueProblem(resolved.type, text);
  if (problem === undefined) return true;
  issue(node, `${field}: "${text}" cannot be its value: ${field} ${problem}`);
  return false;
}

/** The scalar as Falco sees it: plain scalars keep their source text, quoted ones their string value. */
function scalarText(scalar: Scalar): string | undefined {
  if (scalar.value === null) return undefined;
  if (scalar.type === "PLAIN" && typeof scalar.source === "string") return scalar.source;
  return String(scalar.value);
}

/** Case files given as files or folders; a folder gives its .yaml/.yml files as Falco reads a rules folder. */
export function collectCaseFiles(paths: readonly string[]): { files: string[]; issues: CaseIssue[] } {
  const files: string[] = [];
  const issues: CaseIssue[] = [];
  for (const given of paths) {
    let listing;
    try {
      listing = listRulesPath(given);
    } catch {
      issues.push({ file: given, line: 0, col: 0, message: "no such file or folder" });
      continue;
    }
    if (listing.files.length === 0) {
      issues.push({ file: given, line: 0, col: 0, message: "folder holds no .yaml or .yml case file" });
    }
    files.push(...listing.files);
  }
  return { files, issues };
}

/** Reads every case file under the given paths. */
export function loadCases(paths: readonly string[], options: CaseOptions = {}): LoadedCases {
  const { files, issues } = collectCaseFiles(paths);
  const cases: RuleTestCase[] = [];
  const names = new Map<string, SourcePosition>();
  for (const file of files) {
    let text: string;
    try {
      text = readRulesText(file);
    } catch (error) {
      if (!(error instanceof RulesFileError)) throw error;
      issues.push({
        file,
        line: error.position?.line ?? 0,
        col: error.position?.col ?? 0,
        message: error.reason,
      });
      continue;
    }
    const parsed = parseCases(text, file, options);
    cases.push(...parsed.cases);
    // parseCases reports a name used twice in the file; this, a name an earlier file used.
    const inFile = new Set<string>();
    const firstUses = parsed.cases.filter(
      (testCase) => !inFile.has(testCase.name) && inFile.add(testCase.name),
    );
    issues.push(...parsed.issues, ...duplicateNames(firstUses, names));
  }
  return { cases, issues, files };
}

export function formatIssue(issue: CaseIssue): string {
  return issue.line > 0
    ? `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`
    : `${issue.file}: ${issue.message}`;
}
