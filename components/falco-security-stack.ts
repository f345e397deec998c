import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FalcoStackError } from "../src/errors.ts";
import { ConfigError } from "../src/config/errors.ts";
import { planOutputs } from "../src/outputs/index.ts";
import { hasLateToken, LateValues } from "../src/stack/late.ts";
import {
  planDemo,
  planFalco,
  planNamespaces,
  planRules,
  planSidekick,
  planStackOutputs,
  type PlannedOutputs,
  type StackOutputs,
} from "../src/stack/plan.ts";
import { readValidatedRuleFiles, type RuleFile } from "../src/stack/rule-files.ts";
import { validateStackSettings, type StackSettings } from "../src/stack/settings.ts";
import type { DemoArgs, FalcoArgs, RulesArgs, SidekickSettingsArgs, UiArgs } from "./args.ts";
import { CustomRules } from "./custom-rules.ts";
import { DemoWorkload } from "./demo-workload.ts";
import { FalcoAgent } from "./falco-agent.ts";
import { lateOutput, resolveLate, tokenizeInputs, type PulumiLateValues } from "./late-inputs.ts";
import type { OutputsArgs } from "./outputs-args.ts";
import { Sidekick } from "./sidekick.ts";

export interface FalcoSecurityStackArgs {
  /**
   * Namespace of Falco, falcosidekick and the UI (created with Pod Security `privileged`).
   * @default "falco"
   */
  readonly namespace?: pulumi.Input<string>;
  /** The Falco agent (falco chart). */
  readonly falco?: FalcoArgs;
  /** falcosidekick (falcosidekick chart). */
  readonly sidekick?: SidekickSettingsArgs;
  /**
   * Where falcosidekick sends events; keys mirror falcosidekick's own. Sensitive settings go to a
   * Kubernetes Secret, never into chart values.
   * @default {} (no output: events are only logged and shown in the UI)
   */
  readonly outputs?: OutputsArgs;
  /** The falcosidekick web UI and its Redis. */
  readonly ui?: UiArgs;
  /** Custom rule files, validated before anything is created, and upstream rulesets. */
  readonly rules?: RulesArgs;
  /** The demo nginx workload. */
  readonly demo?: DemoArgs;
}

/** Issues as the engine prints them for a component: one per property path. */
function inputError(issues: readonly { path: string; message: string }[]): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message: `invalid FalcoSecurityStack arguments (nothing was created):\n${issues
      .map((issue) => `  ${issue.path}: ${issue.message}`)
      .join("\n")}`,
    errors: issues.map((issue) => ({ propertyPath: issue.path, reason: issue.message })),
  });
}

function propertyPath(parts: readonly (string | number)[]): string {
  return parts
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

/** ConfigError keys (`falco-stack:outputs.slack.webhookurl`) as property paths. */
function fromConfigError(error: ConfigError): pulumi.InputPropertiesError {
  return inputError(
    error.issues.map((issue) => ({ path: issue.key.replace(/^falco-stack:/, ""), message: issue.message })),
  );
}

/** Dot paths (relative to outputs) of the values given as Outputs. */
function latePaths(value: unknown, at: readonly string[] = []): string[] {
  if (hasLateToken(value)) return [at.join(".")];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => latePaths(item, [...at, key]));
}

/**
 * The whole Falco security stack: namespaces with Pod Security labels, custom rules, falcosidekick
 * with its outputs and UI, the Falco DaemonSet and, when enabled, the demo workload. ConfigMaps and
 * Secrets are created before the charts that mount them, falcosidekick before Falco.
 */
export class FalcoSecurityStack extends pulumi.ComponentResource {
  public readonly falcoNamespace: k8s.core.v1.Namespace;
  public readonly demoNamespace?: k8s.core.v1.Namespace;
  public readonly rules: CustomRules;
  public readonly sidekick: Sidekick;
  public readonly falco: FalcoAgent;
  public readonly demo?: DemoWorkload;
  /** What `pulumi stack output` shows; the demo command reads it. */
  public readonly summary: pulumi.Output<StackOutputs>;
  /** UI login (secret); undefined when the UI is off. */
  public readonly uiUser?: pulumi.Output<string>;
  /** UI password (secret); undefined when the UI is off. */
  public readonly uiPassword?: pulumi.Output<string>;

  constructor(name: string, args: FalcoSecurityStackArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Every argument is checked before the component registers: bad input creates nothing.
    const late: PulumiLateValues = new LateValues();
    const { settings, ruleFiles, outputs, warnings } = prepare(args, late);
    super("falco-stack:index:FalcoSecurityStack", name, {}, opts);
    for (const warning of warnings) void pulumi.log.warn(warning, this);

    const namespaceObjects = planNamespaces(settings).map(
      (object) =>
        new k8s.core.v1.Namespace(
          `${name}-${object.id}`,
          resolveLate(object.manifest, late) as k8s.core.v1.NamespaceArgs,
          { parent: this },
        ),
    );
    const [falcoNamespace, demoNamespace] = namespaceObjects;
    if (!falcoNamespace) throw new Error("internal: no namespace planned");
    this.falcoNamespace = falcoNamespace;
    this.demoNamespace = demoNamespace;

    const rules = planRules(settings.namespace, ruleFiles);
    this.rules = new CustomRules(
      `${name}-rules`,
      { part: rules, late },
      { parent: this, dependsOn: [falcoNamespace] },
    );
    this.sidekick = new Sidekick(
      `${name}-sidekick`,
      {
        uiEnabled: settings.ui.enabled,
        late,
        plan: (credentials) =>
          planSidekick({
            namespace: settings.namespace,
            sidekick: settings.sidekick,
            ui: settings.ui,
            outputs,
            credentials,
            late,
          }),
      },
      { parent: this, dependsOn: [falcoNamespace] },
    );
    // Falco starts after sidekick so the first events have somewhere to go.
    this.falco = new FalcoAgent(
      `${name}-falco`,
      {
        release: planFalco({
          namespace: settings.namespace,
          falco: settings.falco,
          rulesets: settings.rules.rulesets,
          rulesChecksum: rules.checksum,
        }),
        late,
        dependsOn: [this.rules.configMap, this.sidekick.chart],
      },
      { parent: this, dependsOn: [falcoNamespace] },
    );
    if (settings.demo.enabled && demoNamespace) {
      this.demo = new DemoWorkload(
        `${name}-demo`,
        { pod: planDemo(settings.demo), late },
        { parent: this, dependsOn: [demoNamespace] },
      );
    }
    this.uiUser = this.sidekick.uiUser;
    this.uiPassword = this.sidekick.uiPassword;
    this.summary = lateOutput(
      planStackOutputs(settings, rules, outputs),
      late,
    ) as pulumi.Output<StackOutputs>;
    this.registerOutputs({ summary: this.summary, uiUser: this.uiUser, uiPassword: this.uiPassword });
  }
}

interface Prepared {
  settings: StackSettings;
  warnings: string[];
  ruleFiles: RuleFile[];
  outputs: PlannedOutputs;
}

/** Checks every argument, reads and validates the rules and plans the outputs; throws before any resource exists. */
function prepare(args: FalcoSecurityStackArgs, late: PulumiLateValues): Prepared {
  const { root, ...rulesSettings } = args.rules ?? {};
  const { existingSecret, ...outputArgs } = args.outputs ?? {};
  const tokenized = tokenizeInputs({ ...args, rules: rulesSettings, outputs: outputArgs }, late);
  const validated = validateStackSettings(tokenized);
  if (!validated.ok) {
    throw inputError(
      validated.issues.map((issue) => ({ path: propertyPath(issue.path), message: issue.message })),
    );
  }
  const { settings } = validated;
  try {
    const rules = readValidatedRuleFiles(
      settings.rules.files,
      root ?? process.cwd(),
      settings.rules.rulesets,
    );
    const secretName = tokenizeInputs(existingSecret, late);
    if (secretName !== undefined && typeof secretName !== "string") {
      throw inputError([{ path: "outputs.existingSecret", message: "must be the name of a Secret" }]);
    }
    const planned = planOutputs(settings.outputs ?? {}, {
      missingSecret: "error",
      secretPaths: new Set(latePaths(settings.outputs)),
      existingSecret: secretName !== undefined,
    });
    if (secretName !== undefined && planned.sensitivePaths.length > 0) {
      throw inputError(
        planned.sensitivePaths.map((path) => ({
          path: `outputs.${path}`,
          message: "belongs in the Secret named by outputs.existingSecret, not in the arguments",
        })),
      );
    }
    const secretEnv: Record<string, string> = {};
    for (const [env, value] of Object.entries(planned.secretEnv)) {
      if (typeof value === "string") secretEnv[env] = value;
    }
    return {
      settings,
      warnings: [...rules.warnings, ...planned.warnings],
      ruleFiles: rules.files,
      outputs: {
        chartConfig: planned.chartConfig,
        secretEnv,
        enabled: planned.enabled,
        ...(secretName !== undefined ? { existingSecret: secretName } : {}),
      },
    };
  } catch (error) {
    if (error instanceof ConfigError) throw fromConfigError(error);
    if (error instanceof FalcoStackError) {
      throw inputError([{ path: "rules.files", message: error.message }]);
    }
    throw error;
  }
}
