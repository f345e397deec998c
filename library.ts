/**
 * The falco-stack library: Pulumi components and the pure functions behind them.
 * Importing this module registers no resources; the Pulumi program is `index.ts`.
 */
export { FalcoSecurityStack, type FalcoSecurityStackArgs } from "./components/falco-security-stack.ts";
export { FalcoDriver, RuleMatching } from "./components/args.ts";
export type {
  CanaryAlertArgs,
  CanaryArgs,
  DemoArgs,
  FalcoArgs,
  LabelSelectorArgs,
  NetworkPolicyPeerArgs,
  ResourceListArgs,
  ResourcesArgs,
  RulesArgs,
  SidekickSettingsArgs,
  TolerationArgs,
  UiArgs,
} from "./components/args.ts";
export type { OutputsArgs } from "./components/outputs-args.ts";
export type {
  FalcoPlatformArgs,
  GatewayParentRefArgs,
  ObservabilityArgs,
  SidekickPlatformArgs,
  UiHttpRouteArgs,
  UiIngressArgs,
  UiPlatformArgs,
} from "./components/platform-args.ts";
export { ConfigError, type ConfigIssue } from "./src/config/errors.ts";
export { parseStackConfig, type StackConfig } from "./src/config/schema.ts";
export { readStackConfig, type StackFile } from "./src/config/stack-file.ts";
export { FalcoStackError, ExitCode } from "./src/errors.ts";
export {
  validateStackSettings,
  type StackSettings,
  type StackSettingsInput,
  type SettingsIssue,
} from "./src/stack/settings.ts";
export {
  planStack,
  type PlanInput,
  type PlannedObject,
  type PlannedRelease,
  type StackCredentials,
  type StackOutputs,
  type StackPlan,
} from "./src/stack/plan.ts";
export { collectRuleFiles, rulesChecksum, type RuleFile } from "./src/stack/rule-files.ts";
export { buildFalcoValues } from "./src/builders/falco-values.ts";
export { buildSidekickValues } from "./src/builders/sidekick-values.ts";
export {
  buildNetworkPolicies,
  type NetworkPolicyManifest,
  type NetworkPolicyOptions,
} from "./src/builders/network-policies.ts";
export { renderStack, writeRenderedStack, type RenderedStack } from "./src/render/render.ts";
export {
  OUTPUT_NAMES,
  PRIORITIES,
  isSecretPlaceholder,
  placeholderText,
  planOutputs,
  secretEnvForRender,
  type OutputName,
  type OutputsPlan,
  type PlanOptions,
  type Priority as OutputPriority,
  type SecretPlaceholder,
} from "./src/outputs/index.ts";
export { UPSTREAM_RULESETS, type UpstreamRulesetName } from "./src/falco-rules/index.ts";
export { parseCondition } from "./src/falco-rules/index.ts";
export {
  ConditionSyntaxError,
  walkExpr,
  type Expr,
  type Operand,
  type RightValue,
} from "./src/falco-rules/index.ts";
export {
  validateRules,
  assertValidRules,
  readRulesPaths,
  RulesValidationError,
  type ValidateOptions,
} from "./src/falco-rules/index.ts";
export { formatFinding, hasErrors, type Finding, type FindingCode } from "./src/falco-rules/index.ts";
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
} from "./src/falco-rules/index.ts";
export { parseOutputFormat, type OutputToken } from "./src/falco-rules/index.ts";
export {
  evaluateEvent,
  evaluatorFor,
  RuleEvaluator,
  type EvaluatorProblem,
  type EventFields,
  type EventValue,
} from "./src/falco-rules/index.ts";
export {
  loadCases,
  parseCases,
  formatIssue as formatCaseIssue,
  type CaseIssue,
  type LoadedCases,
  type RuleTestCase,
} from "./src/falco-rules/index.ts";
export { runCases, unknownExpectedRules, type CaseResult, type CaseRun } from "./src/falco-rules/index.ts";
export {
  fetchRulesets,
  RulesFetchError,
  type FetchedRuleset,
  type FetchRulesetsOptions,
} from "./src/falco-rules/index.ts";
export { cachedRulesetPath, findCachedRuleset, rulesCacheDir } from "./src/falco-rules/index.ts";
export {
  resolveStackRulesFiles,
  resolveWithFiles,
  RulesSourceError,
  type ResolvedRulesFile,
} from "./src/falco-rules/index.ts";
export {
  PRIORITIES as EVENT_PRIORITIES,
  EventParseError,
  eventFromJson,
  eventWorkload,
  isAtLeast,
  parsePriority,
  parseSidekickPayload,
  type FalcoEvent,
  type EventWorkload,
  type Priority as EventPriority,
} from "./src/events/model.ts";
export {
  ALL_EVENTS_SUBJECT,
  DEFAULT_SUBJECT_TEMPLATE,
  natsSubject,
  ruleSlug,
  subjectProblem,
} from "./src/events/subject.ts";
export { parseFalcoLogLine, type KnownOutput, type LogLineResult } from "./src/events/log-line.ts";
export { formatEventJson, formatEventLine } from "./src/events/format.ts";
export { FeedUnavailableError, type Channel, type EventFeed, type FeedSink } from "./src/events/feed.ts";
export { logFeed, type LogLineSource } from "./src/events/log-feed.ts";
export { natsFeed, type NatsFeedOptions } from "./src/events/nats.ts";
export { UiClient, UiRequestError, uiFeed, validateSince } from "./src/events/ui.ts";
export { followEvents, type FollowOptions, type FollowOutcome } from "./src/events/follow.ts";
export {
  DEMO_STEPS,
  EXPECTED_DETECTIONS,
  type ExpectedDetection,
  type StepId,
  type TriggerStep,
} from "./src/demo/scenario.ts";
export { matchesDetection, type DemoTarget } from "./src/demo/match.ts";
export {
  DemoPodNotReadyError,
  runDemoScenario,
  type DemoCluster,
  type DemoReport,
  type DemoRunOptions,
  type DetectionResult,
  type ExecResult,
  type PodStatus,
} from "./src/demo/runner.ts";
export { formatDemoTable, formatMissing, formatVerdict } from "./src/demo/report.ts";
