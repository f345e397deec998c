import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { PlainObject } from "../builders/merge.ts";
import { FALCO_CHART_REPO, FALCO_RELEASE, SIDEKICK_RELEASE } from "../builders/names.ts";
import { ConfigError } from "../config/errors.ts";
import {
  outputSecretPaths,
  PROJECT_ROOT,
  readStackConfig,
  withFile,
  type StackFileOptions,
} from "../config/stack-file.ts";
import { OutputPathError } from "../errors.ts";
import {
  isSecretPlaceholder,
  PLACEHOLDER_MARKER,
  planOutputs,
  secretEnvForRender,
  type SecretPlaceholder,
} from "../outputs/index.ts";
import { LateValues } from "../stack/late.ts";
import { planStack, type StackCredentials, type StackPlan } from "../stack/plan.ts";
import { readValidatedRuleFiles } from "../stack/rule-files.ts";

export interface RenderOptions extends StackFileOptions {
  /** Where secret output values may come from (`FALCO_STACK_<ENV NAME>`). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Random source for the UI and Redis credentials. Default: crypto. */
  randomString?: (length: number) => string;
  /** Credentials to use instead of generating them. */
  credentials?: StackCredentials;
}

export interface RenderedStack {
  stack: string;
  plan: StackPlan;
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

/** Renders a stack offline from the same plan the Pulumi components create. */
export function renderStack(options: RenderOptions): RenderedStack {
  const stackFile = readStackConfig(options);
  const { config } = stackFile;
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  let outputs;
  try {
    outputs = planOutputs(stackFile.raw.outputs ?? {}, {
      missingSecret: "placeholder",
      secretPaths: outputSecretPaths(stackFile.securePaths),
      env: options.env ?? process.env,
      stack: stackFile.stack,
      canary: config.canary.enabled,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(withFile(error.issues, stackFile.file));
    throw error;
  }
  const rules = readValidatedRuleFiles(config.rules.files, projectRoot, config.rules.rulesets);
  const random = options.randomString ?? cryptoRandomString;
  const plan = planStack({
    settings: config,
    ruleFiles: rules.files,
    outputs: {
      chartConfig: outputs.chartConfig,
      secretEnv: secretEnvForRender(outputs.secretEnv),
      enabled: outputs.enabled,
    },
    credentials: options.credentials ?? {
      uiUser: `falco-${random(8).toLowerCase()}`,
      uiPassword: random(32),
      redisPassword: random(32),
      // Keyed with a fresh random key: the values file must not confirm a guessed secret.
      checksumKey: random(32),
    },
    late: new LateValues(),
  });
  const placeholders = Object.values(outputs.secretEnv).filter(isSecretPlaceholder);
  const [sidekickRelease, falcoRelease] = plan.releases;
  const manifests = plan.objects.map((object) => object.manifest);

  const source = path.relative(projectRoot, stackFile.file) || stackFile.file;
  const header = `# Rendered by falco-stack from ${source} (stack ${stackFile.stack}). Re-render instead of editing.\n`;
  const files: Record<string, string> = {
    "falco-values.yaml": yamlDocument(header, falcoRelease.values),
    "falcosidekick-values.yaml": yamlDocument(header, sidekickRelease.values),
    "manifests.yaml":
      header +
      "# Holds Secrets: keep this file out of version control, or encrypt it (sealed-secrets, SOPS).\n" +
      manifests.map((object) => stringify(object, { lineWidth: 0 })).join("---\n"),
    "install.sh": installScript({
      namespace: config.namespace,
      falcoVersion: falcoRelease.version,
      sidekickVersion: sidekickRelease.version,
    }),
  };
  return {
    stack: stackFile.stack,
    plan,
    falcoValues: falcoRelease.values,
    sidekickValues: sidekickRelease.values,
    manifests,
    placeholders,
    warnings: [...rules.warnings, ...outputs.warnings],
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
