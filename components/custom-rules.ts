import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readValidatedRuleFiles, rulesChecksum, type RuleFile } from "../src/builders/custom-rules.ts";
import { buildRulesConfigMap } from "../src/builders/manifests.ts";
import { resolveRulesSettings } from "../src/config/schema.ts";
import { PROJECT_ROOT } from "../src/config/stack-file.ts";
import type { UpstreamRulesetName } from "../src/falco-rules/index.ts";

export interface CustomRulesArgs {
  /** Namespace of the ConfigMap: the Falco namespace. */
  namespace: string;
  /** Rule files or folders, relative to `projectRoot`. Default `["rules"]`. */
  files?: string[];
  /** Where relative `files` are resolved. Default: the falco-stack project root. */
  projectRoot?: string;
  /** Upstream rulesets loaded before these files, for validation. Default `["falco-rules"]`. */
  upstreamRulesets?: UpstreamRulesetName[];
  /**
   * Files the caller already read and validated (`prepareStack`); when given, `files` is not read
   * and validated again. Default: read and validate `files`.
   */
  ruleFiles?: RuleFile[];
}

/**
 * Our custom Falco rules as one ConfigMap, keys named after the files, contents unchanged. The
 * files are validated first: a rule Falco would refuse stops the program before the ConfigMap exists.
 * Falco mounts it as a directory at /etc/falco/rules.d; `checksum` rolls the DaemonSet on change.
 */
export class CustomRules extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;
  /** sha256 over file names and contents. */
  public readonly checksum: string;
  /** The ConfigMap keys, in Falco's load order. */
  public readonly fileNames: string[];

  constructor(name: string, args: CustomRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("falco-stack:index:CustomRules", name, {}, opts);
    let files = args.ruleFiles;
    if (!files) {
      const rules = resolveRulesSettings({ files: args.files, rulesets: args.upstreamRulesets });
      const validated = readValidatedRuleFiles(rules.files, args.projectRoot ?? PROJECT_ROOT, rules.rulesets);
      for (const warning of validated.warnings) void pulumi.log.warn(warning, this);
      files = validated.files;
    }
    this.checksum = rulesChecksum(files);
    this.fileNames = files.map((file) => file.key);
    this.configMap = new k8s.core.v1.ConfigMap(name, buildRulesConfigMap(args.namespace, files), {
      parent: this,
    });
    this.registerOutputs({
      configMapName: this.configMap.metadata.name,
      checksum: this.checksum,
      fileNames: this.fileNames,
    });
  }
}
