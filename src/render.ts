import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { rulesChecksum, secretChecksum } from "./builders/custom-rules.ts";
import { buildFalcoValues } from "./builders/falco-values.ts";
import {
  buildDemoPod,
  buildNamespace,
  buildOutputsSecret,
  buildRedisAuthSecret,
  buildRulesConfigMap,
  buildUiAuthSecret,
  redisAuthSecretData,
  uiAuthSecretData,
} from "./builders/manifests.ts";
import type { PlainObject } from "./builders/merge.ts";
import { FALCO_CHART_REPO, FALCO_RELEASE, SIDEKICK_FULLNAME, SIDEKICK_RELEASE } from "./builders/names.ts";
import { buildNetworkPolicies } from "./builders/network-policies.ts";
import { buildSidekickValues } from "./builders/sidekick-values.ts";
import { ConfigError } from "./config/errors.ts";
import { OutputPathError } from "./errors.ts";
import {
  outputSecretPaths,
  PROJECT_ROOT,
  readStackConfig,
  withFile,
  type StackFileOptions,
} from "./config/stack-file.ts";
import {
  isSecretPlaceholder,
  PLACEHOLDER_MARKER,
  secretEnvForRender,
  type SecretPlaceholder,
} from "./outputs/index.ts";
import { prepareStack } from "./stack-plan.ts";

export interface RenderOptions extends StackFileOptions {
  /** Where secret output values may come from (`FALCO_STACK_<ENV NAME>`). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Random source for the UI and Redis credentials. Default: crypto. */
  randomString?: (length: number) => string;
}

export interface RenderedStack {
  stack: string;
  falcoValues: PlainObject;
  sidekickValues: PlainObject;
  /** Every object we create ourselves, in apply order. */
  manifests: PlainObject[];
  /** Secret output settings written as placeholders. */
  placeholders: SecretPlaceholder[];
  warnings: string[];
  /** File name → content: falco-values.yaml, falcosidekick-values.yaml, manifests.yaml, install.sh. */
  files: Record<string, string>;
}

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function cryptoRandomString(length: number): string {
  let result = "";
  for (let i = 0; i < length; i++) result += ALPHANUMERIC[crypto.randomInt(ALPHANUMERIC.length)];
  return result;
}

function yamlDocument(header: string, value: unknown): string {
  return `${header}${stringify(value, { lineWidth: 0 })}`;
}

/** Renders a stack offline with the same builders the Pulumi components use. */
export function renderStack(options: RenderOptions): RenderedStack {
  const stackFile = readStackConfig(options);
  const { config } = stackFile;
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  let prepared;
  try {
    prepared = prepareStack(config, {
      projectRoot,
      missingSecret: "placeholder",
      secretPaths: outputSecretPaths(stackFile.securePaths),
      env: options.env ?? process.env,
      stack: stackFile.stack,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(withFile(error.issues, stackFile.file));
    throw error;
  }
  const random = options.randomString ?? cryptoRandomString;

  const placeholders = Object.values(prepared.outputs.secretEnv).filter(isSecretPlaceholder);
  const secretEnv = secretEnvForRender(prepared.outputs.secretEnv);

  const namespace = config.namespace;
  const falcoValues = buildFalcoValues({
    namespace,
    falco: config.falco,
    rulesets: config.rules.rulesets,
    rulesChecksum: rulesChecksum(prepared.ruleFiles),
  });
  const sidekickValues = buildSidekickValues({
    sidekick: config.sidekick,
    ui: config.ui,
    outputsConfig: prepared.outputs.chartConfig,
    // Keyed with a fresh random key: the values file must not confirm a guessed secret.
    outputsChecksum: secretChecksum(secretEnv, random(32)),
  });

  const manifests: PlainObject[] = [{ ...buildNamespace(namespace, "privileged") }];
  if (config.demo.enabled) manifests.push({ ...buildNamespace(config.demo.namespace, "baseline") });
  manifests.push({ ...buildRulesConfigMap(namespace, prepared.ruleFiles) });
  manifests.push({ ...buildOutputsSecret(namespace, secretEnv) });
  if (config.ui.enabled) {
    const redisPassword = random(32);
    const data = uiAuthSecretData(`falco-${random(8).toLowerCase()}`, random(32), redisPassword);
    manifests.push({ ...buildUiAuthSecret(namespace, data) });
    manifests.push({ ...buildRedisAuthSecret(namespace, redisAuthSecretData(redisPassword)) });
  }
  if (config.sidekick.networkPolicies) {
    const policies = buildNetworkPolicies({
      namespace,
      uiEnabled: config.ui.enabled,
      uiAllowedFrom: config.ui.allowedFrom,
      sidekickFullname: SIDEKICK_FULLNAME,
      falcoInstance: FALCO_RELEASE,
    });
    manifests.push(...policies.map((policy) => ({ ...policy })));
  }
  if (config.demo.enabled) manifests.push({ ...buildDemoPod(config.demo) });

  const source = path.relative(projectRoot, stackFile.file) || stackFile.file;
  const header = `# Rendered by falco-stack from ${source} (stack ${stackFile.stack}). Re-render instead of editing.\n`;
  const files: Record<string, string> = {
    "falco-values.yaml": yamlDocument(header, falcoValues),
    "falcosidekick-values.yaml": yamlDocument(header, sidekickValues),
    "manifests.yaml":
      header +
      "# Holds Secrets: keep this file out of version control, or encrypt it (sealed-secrets, SOPS).\n" +
      manifests.map((object) => stringify(object, { lineWidth: 0 })).join("---\n"),
    "install.sh": installScript({
      namespace,
      falcoVersion: config.falco.chartVersion,
      sidekickVersion: config.sidekick.chartVersion,
    }),
  };
  return {
    stack: stackFile.stack,
    falcoValues,
    sidekickValues,
    manifests,
    placeholders,
    warnings: prepared.warnings,
    files,
  };
}

function installScript(input: { namespace: string; falcoVersion: string; sidekickVersion: string }): string {
  return `#!/usr/bin/env bash
# Installs what falco-stack rendered here: our own objects first, then falcosidekick, then Falco.
set -euo pipefail
cd "$(dirname "$0")"

if grep -q '${PLACEHOLDER_MARKER}' manifests.yaml; then
  echo "manifests.yaml still holds placeholders for secret output settings:" >&2
  grep -o '${PLACEHOLDER_MARKER}([^)]*)' manifests.yaml | sort -u >&2
  echo "Set them as environment variables and render again (see the README)." >&2
  exit 1
fi

helm repo add falcosecurity ${FALCO_CHART_REPO} --force-update
kubectl apply -f manifests.yaml
helm upgrade --install ${SIDEKICK_RELEASE} falcosecurity/falcosidekick --version ${input.sidekickVersion} \\
  --namespace ${input.namespace} -f falcosidekick-values.yaml --wait
helm upgrade --install ${FALCO_RELEASE} falcosecurity/falco --version ${input.falcoVersion} \\
  --namespace ${input.namespace} -f falco-values.yaml --wait
`;
}

/** Writes the rendered files; install.sh is made executable. */
export function writeRenderedStack(rendered: RenderedStack, outDir: string): string[] {
  try {
    fs.mkdirSync(outDir, { recursive: true });
    return Object.entries(rendered.files).map(([name, content]) => {
      const file = path.join(outDir, name);
      fs.writeFileSync(file, content, { mode: name.endsWith(".sh") ? 0o755 : 0o644 });
      return file;
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EEXIST" || code === "ENOTDIR"
        ? "is a file, or lies under one; give a directory"
        : code === "EACCES" || code === "EPERM"
          ? "is not writable"
          : (error as Error).message;
    throw new OutputPathError(`--out ${outDir}: ${why}`);
  }
}
