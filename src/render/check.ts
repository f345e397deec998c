import { IssueCollector } from "../config/collect.ts";
import { parseStackConfig } from "../config/schema.ts";
import {
  outputSecretPaths,
  PROJECT_ROOT,
  readStackFile,
  type StackFile,
  type StackFileOptions,
} from "../config/stack-file.ts";
import { planOutputs, type OutputsPlan } from "../outputs/index.ts";
import { readValidatedRuleFiles, type ValidatedRuleFiles } from "../stack/rule-files.ts";
import { rulesSettingsOf } from "../stack/settings.ts";

export interface CheckOptions extends StackFileOptions {
  /** Where secret output values may come from (`FALCO_STACK_<ENV NAME>`). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CheckedStack {
  stackFile: StackFile;
  outputs: OutputsPlan;
  rules: ValidatedRuleFiles;
}

/**
 * Everything render checks before it plans: the stack file, its settings, its outputs and its rule
 * files. Every stage runs, so a ConfigError lists every mistake of the file in one go.
 */
export function checkStackForRender(options: CheckOptions): CheckedStack {
  const stackFile = readStackFile(options);
  const issues = new IssueCollector(stackFile.file);
  issues.add(stackFile.issues);
  const config = issues.stage(() => parseStackConfig(stackFile.raw));
  const outputs = issues.stage(() =>
    planOutputs(stackFile.raw.outputs ?? {}, {
      missingSecret: "placeholder",
      secretPaths: outputSecretPaths(stackFile.securePaths),
      env: options.env ?? process.env,
      stack: stackFile.stack,
      canary: config?.canary.enabled,
    }),
  );
  const rulesSettings = config?.rules ?? rulesSettingsOf(stackFile.raw.rules);
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const rules =
    rulesSettings &&
    issues.stage(() =>
      readValidatedRuleFiles(rulesSettings.files, projectRoot, rulesSettings.rulesets, config?.falco),
    );
  issues.throwIfAny();
  if (config === undefined || outputs === undefined || rules === undefined) {
    throw new Error("a check failed without reporting an issue");
  }
  return { stackFile: { ...stackFile, config }, outputs, rules };
}
