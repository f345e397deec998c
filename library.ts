/**
 * The falco-stack library: Pulumi components and the pure functions behind them.
 * Importing this module registers no resources; the Pulumi program is `index.ts`.
 */
export { CustomRules, type CustomRulesArgs } from "./components/custom-rules.ts";
export { DemoWorkload, type DemoWorkloadArgs } from "./components/demo-workload.ts";
export { FalcoAgent, type FalcoAgentArgs } from "./components/falco-agent.ts";
export {
  FalcoSecurityStack,
  type FalcoSecurityStackArgs,
  type StackOutputs,
} from "./components/falco-security-stack.ts";
export { Sidekick, type SidekickArgs } from "./components/sidekick.ts";
export { ConfigError, type ConfigIssue } from "./src/config/errors.ts";
export { parseStackConfig, type StackConfig } from "./src/config/schema.ts";
export { readStackConfig, type StackFile } from "./src/config/stack-file.ts";
export { buildFalcoValues } from "./src/builders/falco-values.ts";
export { buildSidekickValues } from "./src/builders/sidekick-values.ts";
export { buildNetworkPolicies } from "./src/builders/network-policies.ts";
export { collectRuleFiles, rulesChecksum, type RuleFile } from "./src/builders/custom-rules.ts";
export { renderStack, writeRenderedStack, type RenderedStack } from "./src/render.ts";
export { prepareStack, type PreparedStack } from "./src/stack-plan.ts";
export { planOutputs, type OutputsPlan } from "./src/outputs/index.ts";
export { UPSTREAM_RULESETS, type UpstreamRulesetName } from "./src/falco-rules/rulesets.ts";
export { parseCondition } from "./src/falco-rules/parser.ts";
export { ConditionSyntaxError, walkExpr, type Expr, type Operand, type RightValue } from "./src/falco-rules/ast.ts";
export {
  validateRules,
  assertValidRules,
  readRulesPaths,
  RulesValidationError,
  type ValidateOptions,
} from "./src/falco-rules/validate.ts";
export { formatFinding, hasErrors, type Finding, type FindingCode } from "./src/falco-rules/findings.ts";
export {
  loadRuleset,
  type LoadOptions,
  type LoadResult,
  type LoadedList,
  type LoadedMacro,
  type LoadedRule,
  type Priority as RulePriority,
  type Ruleset,
  type RulesFile,
} from "./src/falco-rules/model.ts";
export { parseOutputFormat, type OutputToken } from "./src/falco-rules/output-format.ts";
