import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { FalcoStackError } from "../src/errors.ts";
import { ConfigError } from "../src/config/errors.ts";
import { planOutputs } from "../src/outputs/index.ts";
import { LateValues } from "../src/stack/late.ts";
import {
  planStack,
  type PlannedObject,
  type PlannedOutputs,
  type PlanOwner,
  type StackCredentials,
  type StackOutputs,
} from "../src/stack/plan.ts";
import { readValidatedRuleFiles, type RuleFile } from "../src/stack/rule-files.ts";
import { validateStackSettings, type StackSettings } from "../src/stack/settings.ts";
import {
  fromConfigError,
  inputError,
  latePaths,
  propertyPath,
  resolvedValueError,
} from "./argument-checks.ts";
import { platformWarnings } from "../src/stack/settings-platform.ts";
import type { CanaryArgs, DemoArgs, FalcoArgs, RulesArgs, SidekickSettingsArgs, UiArgs } from "./args.ts";
import { checkWhenResolved, lateOutput, tokenizeInputs, type PulumiLateValues } from "./late-inputs.ts";
import type { OutputsArgs } from "./outputs-args.ts";
import type { ObservabilityArgs } from "./platform-args.ts";
import { createPlannedGroup, type CreatedResources, type PlannedGroupArgs } from "./planned-resources.ts";
import { CustomRules, DemoWorkload, FalcoAgent, Sidekick } from "./stack-parts.ts";

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
  /**
   * The cluster's name: every event carries it (falcosidekick custom field `cluster`, and
   * `cluster=<name>` in Falco's output line), NATS subjects become `falco.<name>.<priority>.<rule>`,
   * and Loki gets a `cluster` label, so a central sink tells clusters apart. A DNS label.
   * @default none
   */
  readonly clusterName?: string;
  /** Metrics, ServiceMonitors, Grafana dashboards and alerts. */
  readonly observability?: ObservabilityArgs;
  /** The detection canary on every node, and its alerts. */
  readonly canary?: CanaryArgs;
}

interface StackDetails {
  summary: pulumi.Output<StackOutputs>;
  resources: ReadonlyMap<string, pulumi.Resource>;
}

/**
 * TypeScript-only results, kept off the instance: the component analyzer turns every property
 * (private ones too) into an output for other languages, and these have no schema type.
 */
const details = new WeakMap<FalcoSecurityStack, StackDetails>();

/** Owners with a component of their own; the rest of the plan is parented to the stack. */
const PART_OWNERS = ["rules", "sidekick", "falco", "demo"] as const;

/**
 * The whole Falco security stack: namespaces with Pod Security labels, custom rules, falcosidekick
 * with its outputs and UI, the Falco DaemonSet and, when enabled, the demo workload. ConfigMaps and
 * Secrets are created before the charts that mount them, falcosidekick before Falco.
 */
export class FalcoSecurityStack extends pulumi.ComponentResource {
  /** Namespace of Falco, falcosidekick and the UI. */
  public readonly namespace: pulumi.Output<string>;
  /** falcosidekick inside the cluster, where Falco posts its events. */
  public readonly sidekickUrl: pulumi.Output<string>;
  /** sha256 over the custom rule files: it changes exactly when the rules Falco loads change. */
  public readonly rulesChecksum: pulumi.Output<string>;
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

    const credentials = this.generateCredentials(name, settings.ui.enabled, late);
    const plan = planStack({ settings, ruleFiles, outputs, credentials: credentials.tokens, late });
    this.uiUser = credentials.uiUser;
    this.uiPassword = credentials.uiPassword;

    const created: CreatedResources = new Map();
    const group = (include: (owner: PlanOwner) => boolean, objects = plan.objects): PlannedGroupArgs => ({
      stackName: name,
      objects: objects.filter((object) => include(object.owner)),
      releases: plan.releases.filter((release) => include(release.owner)),
      late,
      created,
    });
    const ownedByStack = (owner: PlanOwner) => !(PART_OWNERS as readonly string[]).includes(owner);
    const isNamespace = (object: PlannedObject) => object.manifest.kind === "Namespace";
    const namespaces = createPlannedGroup(this, group(ownedByStack, plan.objects.filter(isNamespace)));
    const partOptions = { parent: this, dependsOn: namespaces };
    new CustomRules(
      `${name}-rules`,
      group((owner) => owner === "rules"),
      partOptions,
    );
    new Sidekick(
      `${name}-sidekick`,
      group((owner) => owner === "sidekick"),
      partOptions,
    );
    new FalcoAgent(
      `${name}-falco`,
      group((owner) => owner === "falco"),
      partOptions,
    );
    if (settings.demo.enabled)
      new DemoWorkload(
        `${name}-demo`,
        group((owner) => owner === "demo"),
        partOptions,
      );
    // Whatever else the plan holds for the stack itself (after the parts it may refer to).
    createPlannedGroup(this, {
      ...group(
        ownedByStack,
        plan.objects.filter((object) => !isNamespace(object)),
      ),
      releases: [],
    });
    const summary = lateOutput(plan.outputs, late) as pulumi.Output<StackOutputs>;
    details.set(this, { summary, resources: created });
    this.namespace = summary.namespace;
    this.sidekickUrl = summary.sidekickUrl;
    this.rulesChecksum = summary.rules.checksum;
    this.registerOutputs({
      namespace: this.namespace,
      sidekickUrl: this.sidekickUrl,
      rulesChecksum: this.rulesChecksum,
      uiUser: this.uiUser,
      uiPassword: this.uiPassword,
    });
  }

  /** What `pulumi stack output` shows for this project's own program; the demo command reads it. */
  get summary(): pulumi.Output<StackOutputs> {
    return this.details.summary;
  }

  /** Everything the stack planned, by plan id (`namespace`, `rules`, `sidekick`, `falco`, ...). */
  get resources(): ReadonlyMap<string, pulumi.Resource> {
    return this.details.resources;
  }

  private get details(): StackDetails {
    const found = details.get(this);
    if (!found) throw new Error("internal: FalcoSecurityStack details read before construction");
    return found;
  }

  /**
   * The UI login, the Redis password and the checksum key, from @pulumi/random. They keep the names
   * and parent they had under the Sidekick component, so an upgrade does not rotate them.
   */
  private generateCredentials(name: string, uiEnabled: boolean, late: PulumiLateValues) {
    const sidekickUrn = pulumi.createUrn(`${name}-sidekick`, "falco-stack:index:Sidekick", this);
    const options = (resource: string): pulumi.CustomResourceOptions => ({
      parent: this,
      aliases: [{ name: `${name}-sidekick-${resource}`, parent: sidekickUrn }],
    });
    // Keys the outputs checksum, so the annotation in plain values cannot confirm a guessed secret.
    const checksumKey = new random.RandomPassword(
      `${name}-sidekick-checksum-key`,
      { length: 32, special: false },
      options("checksum-key"),
    );
    const tokens: StackCredentials = {
      uiUser: "",
      uiPassword: "",
      redisPassword: "",
      checksumKey: late.stand(checksumKey.result),
    };
    if (!uiEnabled) return { tokens };
    const user = new random.RandomString(
      `${name}-sidekick-ui-user`,
      { length: 8, special: false, upper: false, numeric: false },
      options("ui-user"),
    );
    const password = new random.RandomPassword(
      `${name}-sidekick-ui-password`,
      { length: 32, special: false },
      options("ui-password"),
    );
    const redisPassword = new random.RandomPassword(
      `${name}-sidekick-redis-password`,
      { length: 32, special: false },
      options("redis-password"),
    );
    const uiUser = pulumi.secret(pulumi.interpolate`falco-${user.result}`);
    const uiPassword = pulumi.secret(password.result);
    tokens.uiUser = late.stand(uiUser);
    tokens.uiPassword = late.stand(uiPassword);
    tokens.redisPassword = late.stand(redisPassword.result);
    return { tokens, uiUser, uiPassword };
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
  checkWhenResolved(late, (path, value) => resolvedValueError(tokenized, path, value));
  const { settings } = validated;
  try {
    const rules = readValidatedRuleFiles(
      settings.rules.files,
      root ?? process.cwd(),
      settings.rules.rulesets,
      settings.falco,
    );
    const secretName = tokenizeInputs(existingSecret, late);
    if (secretName !== undefined && typeof secretName !== "string") {
      throw inputError([{ path: "outputs.existingSecret", message: "must be the name of a Secret" }]);
    }
    const planned = planOutputs(settings.outputs ?? {}, {
      missingSecret: "error",
      secretPaths: new Set(latePaths(settings.outputs)),
      existingSecret: secretName !== undefined,
      canary: settings.canary.enabled,
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
      warnings: [...rules.warnings, ...planned.warnings, ...platformWarnings(settings)],
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
