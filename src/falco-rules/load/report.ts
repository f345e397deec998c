import type { ErrorCode, Finding, WarningCode } from "../findings.ts";
import type { SourceFiles } from "./located-text.ts";

/** Collects findings at global offsets and turns them into file positions. */
export class FindingSink {
  readonly findings: Finding[] = [];

  constructor(private readonly sources: SourceFiles) {}

  error(code: ErrorCode, message: string, at: number): void {
    this.add("error", code, message, at);
  }

  warn(code: WarningCode, message: string, at: number): void {
    this.add("warning", code, message, at);
  }

  hasErrors(): boolean {
    return this.findings.some((finding) => finding.severity === "error");
  }

  private add(severity: Finding["severity"], code: Finding["code"], message: string, at: number): void {
    // Offsets below 0 stand for the upstream index, whose text is not loaded.
    const location = this.sources.locate(at) ?? { file: "<upstream>", line: 1, col: 1 };
    this.findings.push({ ...location, severity, code, message });
  }
}
