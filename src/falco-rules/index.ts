/**
 * The rules toolkit's one public entry point: everything outside `src/falco-rules/` (the stack's
 * builders, the CLI, tests, benches, the package entry) imports from here, so the toolkit can be
 * laid out as it likes behind it.
 */
export { PRIORITIES, LOWER_PRIORITIES, type Priority, type LowerPriority } from "./priorities.ts";
export {
  UPSTREAM_RULESETS,
  UPSTREAM_RULESET_NAMES,
  UPSTREAM_RULES_BASE_URL,
  UPSTREAM_RULESET_SHA256,
  upstreamRuleset,
  upstreamRulesetUrl,
  type UpstreamRuleset,
  type UpstreamRulesetName,
} from "./upstream/rulesets.ts";
export { UPSTREAM_INDEX, type UpstreamIndexEntry } from "./upstream/upstream-index.ts";
export {
  cachedRulesetPath,
  findCachedRuleset,
  matchesPinnedSha256,
  rulesCacheDir,
  sha256Hex,
  type CachedRuleset,
  type PinnedRuleset,
} from "./upstream/cache.ts";
export {
  fetchRulesets,
  RulesFetchError,
  type FetchedRuleset,
  type FetchRulesetsOptions,
} from "./upstream/fetch.ts";
export { parseCondition } from "./condition/parser.ts";
export { ConditionSyntaxError, walkExpr, type Expr, type Operand, type RightValue } from "./condition/ast.ts";
export { parseOutputFormat, type OutputToken } from "./condition/output-format.ts";
export {
  formatFinding,
  hasErrors,
  sortFindings,
  type ErrorCode,
  type Finding,
  type FindingCode,
  type WarningCode,
} from "./findings.ts";
export {
  loadRuleset,
  type LoadOptions,
  type LoadResult,
  type LoadedPlugin,
  type LoadedList,
  type LoadedMacro,
  type LoadedRule,
  type Ruleset,
  type RulesFile,
  type SourceLocation,
} from "./model.ts";
export {
  collectStackRuleFiles,
  decodeUtf8,
  isRulesFileName,
  listRulesFolder,
  listRulesPath,
  readRulesText,
  RulesFileError,
  type RulesFolderListing,
  type SkippedEntry,
  type StackRuleFile,
  type StackRuleFiles,
  type StackRuleFilesIssue,
} from "./load/files.ts";
export {
  assertValidRules,
  readRulesPaths,
  RulesValidationError,
  validateRules,
  type UnreadablePath,
  type ValidateOptions,
} from "./load/validate.ts";
export {
  evaluateEvent,
  evaluatorFor,
  RuleEvaluator,
  RULE_MATCHING_MODES,
  type EvaluatorProblem,
  type RaisedRules,
  type RuleMatching,
  type EventFields,
  type EventValue,
} from "./evaluate/evaluator.ts";
export {
  collectCaseFiles,
  formatIssue,
  loadCases,
  parseCases,
  type CaseIssue,
  type CaseOptions,
  type LoadedCases,
  type RuleTestCase,
} from "./evaluate/cases.ts";
export {
  evaluatorProblems,
  runCases,
  unknownExpectedRules,
  whyNotFiring,
  type CaseResult,
  type CaseRun,
  type RunCasesOptions,
} from "./evaluate/run-cases.ts";
export {
  cachedRulesetFile,
  rulesetNamed,
  resolveStackRules,
  resolveStackRulesFiles,
  resolveWithFiles,
  type ResolvedStackRules,
  RulesSourceError,
  type ResolvedRulesFile,
  type StackRulesOptions,
  type StackRulesSettings,
} from "./upstream/stack-rules.ts";
