import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { buildNamespace } from "../src/builders/manifests.ts";
import {
  DEMO_APP_LABEL,
  falcoPodSelector,
  SIDEKICK_FULLNAME,
  sidekickUrl,
  UI_PORT,
  UI_SERVICE,
  uiPortForwardCommand,
} from "../src/builders/names.ts";
import { ConfigError } from "../src/config/errors.ts";
import type { StackConfig } from "../src/config/schema.ts";
import type { OutputsPlan } from "../src/outputs/index.ts";
import { CustomRules } from "./custom-rules.ts";
import { DemoWorkload } from "./demo-workload.ts";
import { FalcoAgent } from "./falco-agent.ts";
import { Sidekick } from "./sidekick.ts";
import type { RuleFile } from "../src/builders/custom-rules.ts";

export interface FalcoSecurityStackArgs {
  /** The parsed stack configuration (`parseStackConfig`), defaults applied. */
  config: StackConfig;
  /** Custom rule files, already validated (`prepareStack`). */
  ruleFiles: RuleFile[];
  /** The outputs plan (`prepareStack`); every secret must be resolved (no placeholders). */
  outputs: OutputsPlan;
}

/** What `pulumi stack output` shows; the demo command reads it. */
export interface StackOutputs {
  namespace: string;
  chartVersions: { falco: string; falcosidekick: string };
  sidekickUrl: string;
  falcoPods: { namespace: string; labelSelector: string; container: string };
  ui:
    | { enabled: true; namespace: string; serviceName: string; port: number; portForwardCommand: string }
    | { enabled: false };
  demo:
    | { enabled: true; namespace: string; podName: string; container: string; labelSelector: string }
    | { enabled: false };
  outputs: { name: string; minimumpriority: string }[];
  rules: { files: string[]; checksum: string; rulesets: string[] };
}

function resolvedSecretEnv(plan: OutputsPlan): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(plan.secretEnv)) {
    if (typeof value !== "string") {
      throw new ConfigError([{ key: value.configKey, message: `is not set: ${value.command}` }]);
    }
    env[name] = value;
  }
  return env;
}

/**
 * The whole Falco security stack: namespaces with Pod Security labels, custom rules, falcosidekick
 * with its outputs and UI, the Falco DaemonSet and, when enabled, the demo workload. ConfigMaps and
 * Secrets are created before the charts that mount them.
 */
export class FalcoSecurityStack extends pulumi.ComponentResource {
  public readonly falcoNamespace: k8s.core.v1.Namespace;
  public readonly demoNamespace?: k8s.core.v1.Namespace;
  public readonly rules: CustomRules;
  public readonly sidekick: Sidekick;
  public readonly falco: FalcoAgent;
  public readonly demo?: DemoWorkload;
  public readonly summary: StackOutputs;

  constructor(name: string, args: FalcoSecurityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:FalcoSecurityStack", name, {}, opts);
    const { config } = args;
    const namespace = config.namespace;

    this.falcoNamespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      buildNamespace(namespace, "privileged"),
      {
        parent: this,
      },
    );
    this.rules = new CustomRules(
      `${name}-rules`,
      { namespace, ruleFiles: args.ruleFiles },
      { parent: this, dependsOn: [this.falcoNamespace] },
    );
    this.sidekick = new Sidekick(
      `${name}-sidekick`,
      {
        namespace,
        settings: config.sidekick,
        ui: config.ui,
        outputsConfig: args.outputs.chartConfig,
        outputsSecretEnv: resolvedSecretEnv(args.outputs),
      },
      { parent: this, dependsOn: [this.falcoNamespace] },
    );
    // Falco starts after sidekick so the first events have somewhere to go.
    this.falco = new FalcoAgent(
      `${name}-falco`,
      {
        namespace,
        settings: config.falco,
        rulesets: config.rules.rulesets,
        rulesChecksum: this.rules.checksum,
        dependsOn: [this.rules.configMap, this.sidekick.chart],
      },
      { parent: this, dependsOn: [this.falcoNamespace] },
    );
    if (config.demo.enabled) {
      this.demoNamespace = new k8s.core.v1.Namespace(
        `${name}-demo-namespace`,
        buildNamespace(config.demo.namespace, "baseline"),
        { parent: this },
      );
      this.demo = new DemoWorkload(
        `${name}-demo`,
        { settings: config.demo },
        { parent: this, dependsOn: [this.demoNamespace] },
      );
    }

    this.summary = {
      namespace,
      chartVersions: { falco: this.falco.chartVersion, falcosidekick: this.sidekick.chartVersion },
      sidekickUrl: sidekickUrl(namespace),
      falcoPods: { namespace, labelSelector: falcoPodSelector(), container: "falco" },
      ui: config.ui.enabled
        ? {
            enabled: true,
            namespace,
            serviceName: UI_SERVICE,
            port: UI_PORT,
            portForwardCommand: uiPortForwardCommand(namespace),
          }
        : { enabled: false },
      demo: config.demo.enabled
        ? {
            enabled: true,
            namespace: config.demo.namespace,
            podName: config.demo.name,
            container: config.demo.name,
            labelSelector: `app.kubernetes.io/name=${DEMO_APP_LABEL}`,
          }
        : { enabled: false },
      outputs: args.outputs.enabled.map((output) => ({
        name: output.name,
        minimumpriority: output.minimumpriority,
      })),
      rules: {
        files: this.rules.fileNames,
        checksum: this.rules.checksum,
        rulesets: [...config.rules.rulesets],
      },
    };
    this.registerOutputs({ ...this.summary, sidekickService: SIDEKICK_FULLNAME });
  }
}
