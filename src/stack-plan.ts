import { collectRuleFiles, type RuleFile } from "./builders/custom-rules.ts";
import type { StackConfig } from "./config/schema.ts";
import { planOutputs, type OutputsPlan, type PlanOptions } from "./outputs/index.ts";

/** Everything the stack needs besides the config, read and checked before any resource exists. */
export interface PreparedStack {
  config: StackConfig;
  /** Custom rule files, validated, in Falco's load order. */
  ruleFiles: RuleFile[];
  outputs: OutputsPlan;
  /** For the Pulumi log or the terminal: rule warnings, plain-text secrets. */
  warnings: string[];
}

export interface PrepareOptions extends Omit<PlanOptions, "missingSecret"> {
  /** `pulumi up` refuses a missing secret; `render` writes a marked placeholder. */
  missingSecret: PlanOptions["missingSecret"];
  /** Where `rules.files` are resolved. */
  projectRoot: string;
}

/**
 * Reads and validates the custom rules and plans the outputs. Throws ConfigError or
 * RulesValidationError; nothing is deployed or written when it throws.
 */
export function prepareStack(config: StackConfig, options: PrepareOptions): PreparedStack {
  const ruleFiles = collectRuleFiles(config.rules.files, options.projectRoot);
  const { projectRoot: _root, ...planOptions } = options;
  const outputs = planOutputs(config.outputs ?? {}, planOptions);
  return { config, ruleFiles, outputs, warnings: [...outputs.warnings] };
}
