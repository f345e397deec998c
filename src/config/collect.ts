import { formatFinding } from "../falco-rules/index.ts";
import { RulesValidationError } from "../falco-rules/index.ts";
import { ConfigError, configKey, type ConfigIssue } from "./errors.ts";

/** Says which file a config issue comes from. */
export function withFile(issues: readonly ConfigIssue[], file: string): ConfigIssue[] {
  return issues.map((issue) => ({ ...issue, message: `${issue.message} (in ${file})` }));
}

/**
 * Gathers the issues of every stage that checks a stack (settings, outputs, rule files), so one run
 * reports every mistake instead of the first stage's alone.
 */
export class IssueCollector {
  private readonly issues: ConfigIssue[] = [];
  private rulesError: RulesValidationError | undefined;
  /** Keys reading already reported (an encrypted setting): validation does not report them again as missing. */
  private readonly readKeys = new Set<string>();

  /** `file`: the stack file, named in each issue a stage reports. */
  constructor(private readonly file?: string) {}

  /** Issues found while reading the config (their messages name the file). */
  add(issues: readonly ConfigIssue[]): void {
    for (const issue of issues) this.readKeys.add(issue.key);
    this.issues.push(...issues);
  }

  /** Runs one stage: its ConfigError is kept and undefined returned; a broken rule is kept for the end. */
  stage<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      if (error instanceof ConfigError) {
        const found = error.issues.filter((issue) => !this.readKeys.has(issue.key));
        this.issues.push(...(this.file === undefined ? found : withFile(found, this.file)));
        return undefined;
      }
      if (error instanceof RulesValidationError) {
        this.rulesError = error;
        return undefined;
      }
      throw error;
    }
  }

  get failed(): boolean {
    return this.issues.length > 0 || this.rulesError !== undefined;
  }

  /**
   * Throws what was found: a ConfigError listing every issue (broken rules among them, under
   * falco-stack:rules.files), or the rules error alone when the config itself is fine.
   */
  throwIfAny(): void {
    if (this.issues.length === 0) {
      if (this.rulesError) throw this.rulesError;
      return;
    }
    const rules = (this.rulesError?.findings ?? [])
      .filter((finding) => finding.severity === "error")
      .map((finding) => ({ key: configKey(["rules", "files"]), message: formatFinding(finding) }));
    throw new ConfigError([...this.issues, ...rules]);
  }
}
