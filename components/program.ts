import * as pulumi from "@pulumi/pulumi";
import { IssueCollector } from "../src/config/collect.ts";
import { readPulumiConfig } from "../src/config/pulumi-config.ts";
import { parseStackConfig } from "../src/config/schema.ts";
import { PROJECT_ROOT } from "../src/config/stack-file.ts";
import { isUserFacingError } from "../src/errors.ts";
import { planOutputs } from "../src/outputs/index.ts";
import { readValidatedRuleFiles } from "../src/stack/rule-files.ts";
import { rulesSettingsOf } from "../src/stack/settings.ts";
import { FalcoSecurityStack, type FalcoSecurityStackArgs } from "./falco-security-stack.ts";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The outputs config with each sensitive value as a secret Output, so it stays one end to end. */
function withSecretLeaves(outputs: unknown, sensitivePaths: readonly string[]): unknown {
  if (!isPlainObject(outputs)) return outputs;
  const copy = structuredClone(outputs);
  for (const path of sensitivePaths) {
    const parts = path.split(".");
    const last = parts.pop();
    let node: unknown = copy;
    for (const part of parts) node = isPlainObject(node) ? node[part] : undefined;
    if (last !== undefined && isPlainObject(node) && node[last] !== undefined) {
      node[last] = pulumi.secret(node[last]);
    }
  }
  return copy;
}

/**
 * Maps the stack config onto the component's arguments: the same names and nesting, rule files
 * relative to the project, sensitive output settings as secret Outputs. Config mistakes are
 * reported here by their config keys, before any resource exists.
 */
export function stackArgsFromConfig(projectRoot: string): FalcoSecurityStackArgs {
  const { raw, outputsAreSecret, issues: readIssues } = readPulumiConfig();
  // Every stage runs, so one `pulumi up` reports every mistake of the config.
  const issues = new IssueCollector();
  issues.add(readIssues);
  const config = issues.stage(() => parseStackConfig(raw));
  const outputs = issues.stage(() =>
    planOutputs(raw.outputs ?? {}, {
      missingSecret: "error",
      allSecret: outputsAreSecret,
      stack: pulumi.getStack(),
      canary: config?.canary.enabled,
    }),
  );
  // The component reads the rule files; when the config is already wrong, their mistakes join the report.
  const rulesSettings = config?.rules ?? rulesSettingsOf(raw.rules);
  if (issues.failed && rulesSettings) {
    issues.stage(() =>
      readValidatedRuleFiles(rulesSettings.files, projectRoot, rulesSettings.rulesets, config?.falco),
    );
  }
  issues.throwIfAny();
  if (outputs === undefined) throw new Error("a check failed without reporting an issue");
  for (const warning of outputs.warnings) void pulumi.log.warn(warning);
  const rules = isPlainObject(raw.rules) ? raw.rules : {};
  return {
    ...raw,
    rules: { ...rules, root: projectRoot },
    outputs: withSecretLeaves(raw.outputs, outputs.sensitivePaths),
  } as FalcoSecurityStackArgs;
}

/**
 * The program behind `index.ts`: the stack config as the component's arguments, and the stack
 * outputs. Bad config or a broken rule stops here with a clean message, before any resource.
 */
export function runProgram(projectRoot: string = PROJECT_ROOT) {
  let stack: FalcoSecurityStack;
  try {
    stack = new FalcoSecurityStack("falco-stack", stackArgsFromConfig(projectRoot));
  } catch (error) {
    // A clean message, instead of the source text and stack trace Pulumi prints for unhandled errors.
    if (isUserFacingError(error) || pulumi.InputPropertiesError.isInstance(error)) {
      throw new pulumi.RunError(error.message);
    }
    throw error;
  }
  const { summary } = stack;
  return {
    namespace: summary.namespace,
    chartVersions: summary.chartVersions,
    sidekickUrl: summary.sidekickUrl,
    falcoPods: summary.falcoPods,
    ui: summary.ui,
    uiUser: stack.uiUser,
    uiPassword: stack.uiPassword,
    demo: summary.demo,
    outputs: summary.outputs,
    rules: summary.rules,
    clusterName: summary.clusterName,
    canary: summary.canary,
  };
}
