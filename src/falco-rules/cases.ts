import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type Scalar } from "yaml";
import { isEventType, resolveField } from "./catalog.ts";
import type { EventFields, EventValue } from "./evaluate.ts";

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
const CASE_EXTENSIONS = [".yaml", ".yml"];

/** Parses one case file's text; every problem is returned as an issue with its position. */
export function parseCases(text: string, file: string): { cases: RuleTestCase[]; issues: CaseIssue[] } {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, keepSourceTokens: false, prettyErrors: false });
  const issues: CaseIssue[] = [];
  const cases: RuleTestCase[] = [];
  const at = (offset: number | undefined): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  const issue = (node: Node | null | undefined, message: string, fallbackOffset = 0) => {
    issues.push({ ...at(node?.range?.[0] ?? fallbackOffset), message });
  };
  if (!Array.isArray(documents)) return { cases, issues };
  for (const document of documents) {
    for (const error of document.errors) {
      issues.push({ ...at(error.pos[0]), message: `YAML: ${error.message.split("\n")[0]}` });
    }
    if (document.errors.length > 0) continue;
    const root = document.contents;
    if (root === null || (isScalar(root) && root.value === null)) continue;
    if (!isSeq(root)) {
      issue(root, "a case file holds a sequence of cases (- name: ..., event: ..., expect: [...])");
      continue;
    }
    for (const item of root.items) {
      const parsed = parseCase(item as Node | null, issue, at);
      if (parsed) cases.push(parsed);
    }
  }
  return { cases, issues };
}

type IssueReporter = (node: Node | null | undefined, message: string) => void;

function parseCase(
  item: Node | null,
  issue: IssueReporter,
  at: (offset: number | undefined) => SourcePosition,
): RuleTestCase | undefined {
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
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    const value = pair.value as Node | null;
    if (key === "name") {
      if (isScalar(value) && value.value !== null && String(value.value).trim() !== "")
        name = String(value.value);
      else {
        issue(value ?? keyNode, "name must be a non-empty string");
        ok = false;
      }
    } else if (key === "event") {
      event = parseEvent(value ?? keyNode, issue);
      if (!event) ok = false;
    } else if (key === "expect") {
      if (!isSeq(value)) {
        issue(value ?? keyNode, "expect must be a list of rule names, [] when no rule may fire");
        ok = false;
        continue;
      }
      expect = [];
      for (const entry of value.items as (Node | null)[]) {
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
    const present = item.items.some((pair) => isScalar(pair.key) && pair.key.value === required);
    if (!present) {
      issue(item, `case${name ? ` "${name}"` : ""} has no "${required}"`);
      ok = false;
    }
  }
  if (!ok || name === undefined || event === undefined || expect === undefined) return undefined;
  return { name, event, expect, position: at(item.range?.[0]), expectPositions };
}

function parseEvent(node: Node | null, issue: IssueReporter): Record<string, EventValue> | undefined {
  if (!isMap(node)) {
    issue(node, "event must be a map of field names to values, e.g. proc.name: bash");
    return undefined;
  }
  const event: Record<string, EventValue> = {};
  let ok = true;
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
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
    const resolved = resolveField(bracket[1] as string, bracket[2]);
    if (!resolved.ok) {
      issue(keyNode, `${field}: ${resolved.message.replace(/^filter(_check called with| error:) /, "")}`);
      ok = false;
      continue;
    }
    const value = pair.value as Node | null;
    if (isSeq(value)) {
      const values: string[] = [];
      for (const entry of value.items as (Node | null)[]) {
        const text = isScalar(entry) ? scalarText(entry) : undefined;
        if (text === undefined) {
          issue(entry ?? value, `${field}: list elements must be single values`);
          ok = false;
        } else values.push(text);
      }
      event[field] = values;
      continue;
    }
    const text = isScalar(value) ? scalarText(value) : undefined;
    if ((field === "evt.type" || field === "syscall.type") && text !== undefined && !isEventType(text)) {
      issue(
        value,
        `${field}: unknown event type "${text}"; use a Falco event or syscall name such as execve, openat, connect`,
      );
      ok = false;
      continue;
    }
    if (text === undefined) {
      issue(
        value ?? keyNode,
        `${field} has no value; give a value, a list of values, or leave the field out for "no value"`,
      );
      ok = false;
      continue;
    }
    event[field] = text;
  }
  return ok ? event : undefined;
}

/** The scalar as Falco sees it: plain scalars keep their source text, quoted ones their string value. */
function scalarText(scalar: Scalar): string | undefined {
  if (scalar.value === null) return undefined;
  if (scalar.type === "PLAIN" && typeof scalar.source === "string") return scalar.source;
  return String(scalar.value);
}

/** Case files given as files or folders; a folder gives the .yaml/.yml files directly in it, sorted by name. */
export function collectCaseFiles(paths: readonly string[]): { files: string[]; issues: CaseIssue[] } {
  const files: string[] = [];
  const issues: CaseIssue[] = [];
  for (const given of paths) {
    let stats;
    try {
      stats = statSync(given);
    } catch {
      issues.push({ file: given, line: 0, col: 0, message: "no such file or folder" });
      continue;
    }
    if (stats.isDirectory()) {
      const found = walk(given);
      if (found.length === 0) {
        issues.push({ file: given, line: 0, col: 0, message: "folder holds no .yaml or .yml case file" });
      }
      files.push(...found);
    } else files.push(given);
  }
  return { files, issues };
}

/** Case files directly in a folder (not in subfolders, which may hold fixtures), sorted by name. */
function walk(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && CASE_EXTENSIONS.includes(path.extname(entry.name)))
    .map((entry) => entry.name)
    .sort()
    .map((name) => path.join(folder, name));
}

/** Reads every case file under the given paths. */
export function loadCases(paths: readonly string[]): LoadedCases {
  const { files, issues } = collectCaseFiles(paths);
  const cases: RuleTestCase[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      issues.push({ file, line: 0, col: 0, message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const parsed = parseCases(text, file);
    cases.push(...parsed.cases);
    issues.push(...parsed.issues);
  }
  return { cases, issues, files };
}

export function formatIssue(issue: CaseIssue): string {
  return issue.line > 0
    ? `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`
    : `${issue.file}: ${issue.message}`;
}
