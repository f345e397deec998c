/** One problem found in a rules file; positions are 1-based and point into the original file. */
export interface Finding {
  file: string;
  line: number;
  col: number;
  severity: "error" | "warning";
  /** Falco's load-result code, e.g. `LOAD_ERR_COMPILE_CONDITION` or `LOAD_UNKNOWN_KEY`. */
  code: FindingCode;
  message: string;
}

export type ErrorCode =
  | "LOAD_ERR_FILE_READ"
  | "LOAD_ERR_YAML_PARSE"
  | "LOAD_ERR_YAML_VALIDATE"
  | "LOAD_ERR_COMPILE_CONDITION"
  | "LOAD_ERR_COMPILE_OUTPUT"
  | "LOAD_ERR_VALIDATE";

export type WarningCode =
  | "LOAD_UNKNOWN_SOURCE"
  | "LOAD_UNSAFE_NA_CHECK"
  | "LOAD_NO_EVTTYPE"
  | "LOAD_UNKNOWN_FILTER"
  | "LOAD_UNUSED_MACRO"
  | "LOAD_UNUSED_LIST"
  | "LOAD_UNKNOWN_ITEM"
  | "LOAD_DEPRECATED_ITEM"
  | "LOAD_WARNING_INTERNAL"
  | "LOAD_APPEND_NO_VALUES"
  | "LOAD_EXCEPTION_NAME_NOT_UNIQUE"
  | "LOAD_INVALID_MACRO_NAME"
  | "LOAD_INVALID_LIST_NAME"
  | "LOAD_COMPILE_CONDITION"
  | "LOAD_UNKNOWN_KEY"
  | "LOAD_SCHEMA_VALIDATION";

export type FindingCode = ErrorCode | WarningCode;

/** The text form: `file:line:col: error|warning: message`. */
export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}:${finding.col}: ${finding.severity}: ${finding.message}`;
}

/** Sorts by file (in the given order), then line and column; keeps the original order otherwise. */
export function sortFindings(findings: readonly Finding[], fileOrder: readonly string[] = []): Finding[] {
  const rank = new Map(fileOrder.map((file, index) => [file, index]));
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => {
      const fileA = rank.get(a.finding.file) ?? Number.MAX_SAFE_INTEGER;
      const fileB = rank.get(b.finding.file) ?? Number.MAX_SAFE_INTEGER;
      if (fileA !== fileB) return fileA - fileB;
      if (a.finding.file !== b.finding.file) return a.finding.file < b.finding.file ? -1 : 1;
      return a.finding.line - b.finding.line || a.finding.col - b.finding.col || a.index - b.index;
    })
    .map((entry) => entry.finding);
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === "error");
}
