import { readValidatedRuleFiles, type RuleFile } from "./builders/custom-rules.ts";
import type { StackConfig } from "./config/schema.ts";
import { planOutputs, type OutputsPlan, type PlanOptions } from "./outputs/index.ts";

/** Everything the stack needs besides the config, read and checked before any resource exists. */
export interface PreparedStack {
  config: StackConfig;
  /** Custom rule files, validated, in Falco's load order. */
  ruleFiles: RuleFile[];
  outputs: OutputsPlan;
  /** For the Pulumi log or the terminal (each without a "warning:" prefix): rule warnings, plain-text secrets. */
  warnings: string[];
}

export interface PrepareOptions extends Omit<PlanOptions, "missingSecret"> {
  /** `pulumi up` refuses a missing secret; `render` writes a marked placeholder. */
  missingSecret: PlanOptions["missingSecret"];
  /** Where `rules.files` are resolved. */
  projectRoot: string;
}

/**
 * Reads and validates the custom rules (on top of the upstream rulesets the stack installs) and
 * plans the outputs. Throws ConfigError or RulesValidationError: a rule Falco would refuse never
 * reaches a node, and nothing is deployed or written.
 */
export function prepareStack(config: StackConfig, options: PrepareOptions): PreparedStack {
  const { projectRoot, ...planOptions } = options;
  const rules = readValidatedRuleFiles(config.rules.files, projectRoot, config.rules.rulesets);
  const outputs = planOutputs(config.outputs ?? {}, planOptions);
  return { config, ruleFiles: rules.files, outputs, warnings: [...rules.warnings, ...outputs.warnings] };
}
