import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { PlainObject } from "../builders/merge.ts";
import { FALCO_CHART_REPO, FALCO_RELEASE, SIDEKICK_RELEASE } from "../builders/names.ts";
import { PROJECT_ROOT, type StackFileOptions } from "../config/stack-file.ts";
import { FalcoStackError, OutputPathError } from "../errors.ts";
import {
  isSecretPlaceholder,
  PLACEHOLDER_MARKER,
  secretEnvForRender,
  type SecretPlaceholder,
} from "../outputs/index.ts";
import { LateValues } from "../stack/late.ts";
import { planStack, type StackCredentials, type StackPlan } from "../stack/plan.ts";
import { platformWarnings } from "../stack/settings-platform.ts";
import { CREDENTIALS_FILE, GITIGNORE_FILE, gitignoreFor, resolveCredentials } from "./credentials.ts";
import {
  argocdApplications,
  argocdWaves,
  fluxHelmReleases,
  fluxHelmRepository,
  kustomization,
  withSyncWave,
} from "./gitops.ts";

/** `plain`: values, manifests and install.sh for helm; `flux` / `argocd`: a directory to commit. */
export const RENDER_FORMATS = ["plain", "flux", "argocd"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];
/** `plain`: Secrets written with their data; `external`: none written, the user creates them. */
export const SECRETS_MODES = ["plain", "external"] as const;
export type SecretsMode = (typeof SECRETS_MODES)[number];
import { checkStackForRender } from "./check.ts";
import { checkOutDir } from "./out-dir.ts";

export interface RenderOptions extends StackFileOptions {
  /** Where secret output settings and credential overrides may come from. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Random source for credentials generated now. Default: crypto. */
  randomString?: (length: number) => string;
  /** Credentials to use as they are: no credentials file is read or written. */
  credentials?: StackCredentials;
  /** The output directory: its credentials file keeps the credentials between renders. */
  outDir?: string;
  /** Default plain. */
  format?: RenderFormat;
  /** Default: plain for the plain format, external for flux and argocd. */
  secrets?: SecretsMode;
}

/** Plain Secrets for a GitOps directory would carry placeholders. */
export class PlaceholderError extends FalcoStackError {}

/** A Secret the user creates when render writes none (`--secrets external`). */
export interface ExternalSecret {
  namespace: string;
  name: string;
  keys: string[];
}

export interface RenderedStack {
  stack: string;
  format: RenderFormat;
  secrets: SecretsMode;
  plan: StackPlan;
  falcoValues: PlainObject;
  sidekickValues: PlainObject;
  /** Every object we create ourselves, in apply order (Secrets included, whether written or not). */
  manifests: PlainObject[];
  /** Secret output settings written as placeholders. */
  placeholders: SecretPlaceholder[];
  /** The Secrets to create before installing, with `--secrets external`. */
  externalSecrets: ExternalSecret[];
  warnings: string[];
  /** Relative path → content. */
  files: Record<string, string>;
  /** Files that hold credentials in plain text: written 0600. */
  secretFiles: string[];
}

function yamlDocument(header: string, value: unknown): string {
  return `${header}${stringify(value, { lineWidth: 0 })}`;
}

function yamlDocuments(header: string, values: readonly unknown[]): string {
  return header + values.map((value) => stringify(value, { lineWidth: 0 })).join("---\n");
}

function secretKeys(manifest: PlainObject): string[] {
  return Object.keys({ ...(manifest.stringData as object), ...(manifest.data as object) });
}

/** Renders a stack offline from the same plan the Pulumi components create. */
export function renderStack(options: RenderOptions): RenderedStack {
  const format = options.format ?? "plain";
  const secrets = options.secrets ?? (format === "plain" ? "plain" : "external");
  const env = options.env ?? process.env;
  const { stackFile, outputs, rules } = checkStackForRender(options);
  const { config } = stackFile;
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const resolved = options.credentials
    ? { credentials: options.credentials }
    : resolveCredentials({ outDir: options.outDir, env, randomString: options.randomString });
  const plan = planStack({
    settings: config,
    ruleFiles: rules.files,
    outputs: {
      chartConfig: outputs.chartConfig,
      secretEnv: secretEnvForRender(outputs.secretEnv),
      enabled: outputs.enabled,
    },
    credentials: resolved.credentials,
    late: new LateValues(),
  });
  const [sidekickRelease, falcoRelease] = plan.releases;
  const manifests = plan.objects.map((object) => object.manifest);
  const secretObjects = plan.objects.filter((object) => object.secret).map((object) => object.manifest);
  const ownObjects = plan.objects.filter((object) => !object.secret).map((object) => object.manifest);
  const externalSecrets: ExternalSecret[] =
    secrets === "external"
      ? secretObjects.map((manifest) => {
          const metadata = manifest.metadata as { name: string; namespace: string };
          return { namespace: metadata.namespace, name: metadata.name, keys: secretKeys(manifest) };
        })
      : [];
  // With external Secrets the placeholders are the user's to fill, in their own Secret.
  const placeholders =
    secrets === "plain" ? Object.values(outputs.secretEnv).filter(isSecretPlaceholder) : [];
  if (format !== "plain" && placeholders.length > 0) {
    // No install.sh stands between a committed directory and the cluster to refuse them.
    throw new PlaceholderError(
      `--format ${format} --secrets plain: these secret output settings are unknown offline, and a committed ` +
        `Secret would deploy the placeholder:\n${placeholders
          .map((placeholder) => `  ${placeholder.configKey}: export ${placeholder.env}=...`)
          .join("\n")}\nexport them and render again, or use --secrets external`,
    );
  }

  const source = path.relative(projectRoot, stackFile.file) || stackFile.file;
  const header = `# Rendered by falco-stack from ${source} (stack ${stackFile.stack}). Re-render instead of editing.\n`;
  const layout = { header, ownObjects, secretObjects, secrets };
  const { files, secretFiles } =
    format === "plain"
      ? plainFiles(layout, plan, {
          namespace: config.namespace,
          falcoVersion: falcoRelease.version,
          sidekickVersion: sidekickRelease.version,
          externalSecrets,
        })
      : gitopsFiles(layout, plan, format, config.namespace);
  if ("file" in resolved) {
    files[CREDENTIALS_FILE] = resolved.file;
    secretFiles.push(CREDENTIALS_FILE);
    // A GitOps directory is committed as a whole: only the credentials file stays out of it.
    files[GITIGNORE_FILE] = gitignoreFor(
      existingGitignore(options.outDir),
      format === "plain" ? secretFiles.filter((f) => f !== CREDENTIALS_FILE) : [],
    );
  }
  return {
    stack: stackFile.stack,
    format,
    secrets,
    plan,
    falcoValues: falcoRelease.values,
    sidekickValues: sidekickRelease.values,
    manifests,
    placeholders,
    externalSecrets,
    warnings: [...rules.warnings, ...outputs.warnings, ...platformWarnings(config)],
    files,
    secretFiles,
  };
}

interface Layout {
  header: string;
  ownObjects: PlainObject[];
  secretObjects: PlainObject[];
  secrets: SecretsMode;
}

interface Written {
  files: Record<string, string>;
  secretFiles: string[];
}

/** For helm: the two values files, our objects (with the Secrets in plain mode), install.sh. */
function plainFiles(layout: Layout, plan: StackPlan, install: InstallInput): Written {
  const { header, ownObjects, secretObjects, secrets } = layout;
  const [sidekickRelease, falcoRelease] = plan.releases;
  const plainSecrets = secrets === "plain";
  return {
    files: {
      "falco-values.yaml": yamlDocument(header, falcoRelease.values),
      "falcosidekick-values.yaml": yamlDocument(header, sidekickRelease.values),
      "manifests.yaml": yamlDocuments(
        header +
          (plainSecrets
            ? "# Holds Secrets: keep this file out of version control, or encrypt it (sealed-secrets, SOPS).\n"
            : ""),
        // Plan order: namespaces first, then the Secrets and the rest.
        plainSecrets ? plan.objects.map((object) => object.manifest) : ownObjects,
      ),
      "install.sh": installScript(install),
    },
    secretFiles: plainSecrets && secretObjects.length > 0 ? ["manifests.yaml"] : [],
  };
}

/** For Flux or Argo CD: a root kustomization over the base and the release objects. */
function gitopsFiles(layout: Layout, plan: StackPlan, format: "flux" | "argocd", namespace: string): Written {
  const { header, ownObjects, secretObjects, secrets } = layout;
  const argocd = format === "argocd";
  const waves = argocdWaves(plan.releases);
  const inBase = (objects: readonly PlainObject[]) =>
    argocd
      ? objects.map((manifest) =>
          withSyncWave(manifest, manifest.kind === "Namespace" ? waves.namespace : waves.object),
        )
      : objects;
  const files: Record<string, string> = {};
  const secretFiles: string[] = [];
  const baseResources = ["manifests.yaml"];
  files["base/manifests.yaml"] = yamlDocuments(header, inBase(ownObjects));
  if (secrets === "plain" && secretObjects.length > 0) {
    baseResources.push("secrets.yaml");
    files["base/secrets.yaml"] = yamlDocuments(
      header +
        "# Plain Secrets (--secrets plain): encrypt before committing, e.g. sops --encrypt --in-place\n" +
        "# --encrypted-regex '^(data|stringData)$' base/secrets.yaml (Flux decrypts with spec.decryption).\n",
      inBase(secretObjects),
    );
    secretFiles.push("base/secrets.yaml");
  }
  files["base/kustomization.yaml"] = yamlDocument(header, kustomization(baseResources));
  if (argocd) {
    files["applications.yaml"] = yamlDocuments(header, argocdApplications(plan.releases));
    files["kustomization.yaml"] = yamlDocument(header, kustomization(["base", "applications.yaml"]));
  } else {
    files["helmrepository.yaml"] = yamlDocument(header, fluxHelmRepository(namespace, FALCO_CHART_REPO));
    files["helmreleases.yaml"] = yamlDocuments(header, fluxHelmReleases(plan.releases));
    files["kustomization.yaml"] = yamlDocument(
      header,
      kustomization(["base", "helmrepository.yaml", "helmreleases.yaml"]),
    );
  }
  return { files, secretFiles };
}

function existingGitignore(outDir: string | undefined): string | undefined {
  if (outDir === undefined) return undefined;
  try {
    return fs.readFileSync(path.join(outDir, GITIGNORE_FILE), "utf8");
  } catch {
    return undefined;
  }
}

interface InstallInput {
  namespace: string;
  falcoVersion: string;
  sidekickVersion: string;
  externalSecrets: readonly ExternalSecret[];
}

function installScript(input: InstallInput): string {
  const checks = input.externalSecrets
    .map(
      (secret) =>
        `kubectl -n ${secret.namespace} get secret ${secret.name} >/dev/null 2>&1 || missing="$missing ${secret.namespace}/${secret.name}"\n`,
    )
    .join("");
  const externalCheck =
    input.externalSecrets.length === 0
      ? ""
      : `
# Rendered with --secrets external: the Secrets are yours to create (see the README).
missing=""
${checks}if [ -n "$missing" ]; then
  echo "create these Secrets first:$missing" >&2
  exit 1
fi
`;
  return `#!/usr/bin/env bash
# Installs what falco-stack rendered here: our own objects first, then falcosidekick, then Falco.
# Safe to run again: server-side apply and helm upgrade --install converge to the same state.
set -euo pipefail
cd "$(dirname "$0")"

if grep -q '${PLACEHOLDER_MARKER}' manifests.yaml; then
  echo "manifests.yaml still holds placeholders for secret output settings:" >&2
  grep -o '${PLACEHOLDER_MARKER}([^)]*)' manifests.yaml | sort -u >&2
  echo "Set them as environment variables and render again (see the README)." >&2
  exit 1
fi

helm repo add falcosecurity ${FALCO_CHART_REPO} --force-update
# Server-side apply: a client-side apply would copy each Secret's data, in plain text, into the
# kubectl.kubernetes.io/last-applied-configuration annotation.
kubectl apply --server-side --field-manager=falco-stack -f manifests.yaml
${externalCheck}helm upgrade --install ${SIDEKICK_RELEASE} falcosecurity/falcosidekick --version ${input.sidekickVersion} \\
  --namespace ${input.namespace} -f falcosidekick-values.yaml --wait
helm upgrade --install ${FALCO_RELEASE} falcosecurity/falco --version ${input.falcoVersion} \\
  --namespace ${input.namespace} -f falco-values.yaml --wait
`;
}

/** Writes the rendered files; install.sh is made executable. */
/** Every file some format or secrets mode writes: what an earlier render may have left behind. */
const RENDERED_FILES = [
  "falco-values.yaml",
  "falcosidekick-values.yaml",
  "manifests.yaml",
  "install.sh",
  "kustomization.yaml",
  "helmrepository.yaml",
  "helmreleases.yaml",
  "applications.yaml",
  "base/kustomization.yaml",
  "base/manifests.yaml",
  "base/secrets.yaml",
];
const RENDERED_MARKS = [
  "# Rendered by falco-stack ",
  "#!/usr/bin/env bash\n# Installs what falco-stack rendered",
];

/**
 * Files an earlier render wrote that this one does not (another format, or plain Secrets before
 * external): left in place they would be committed, plain Secrets included. Only files that carry
 * render's own header are removed.
 */
function removeStaleRenders(rendered: RenderedStack, outDir: string): void {
  for (const name of RENDERED_FILES) {
    if (name in rendered.files) continue;
    const file = path.join(outDir, name);
    let head: string;
    try {
      head = fs.readFileSync(file, "utf8").slice(0, 80);
    } catch {
      continue;
    }
    if (RENDERED_MARKS.some((mark) => head.startsWith(mark))) fs.rmSync(file);
  }
}

export function writeRenderedStack(rendered: RenderedStack, outDir: string): string[] {
  checkOutDir(outDir);
  try {
    fs.mkdirSync(outDir, { recursive: true });
    removeStaleRenders(rendered, outDir);
    return Object.entries(rendered.files).map(([name, content]) => {
      const file = path.join(outDir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const mode = rendered.secretFiles.includes(name) ? 0o600 : name.endsWith(".sh") ? 0o755 : 0o644;
      fs.writeFileSync(file, content, { mode });
      // writeFileSync's mode applies only to a new file: an existing one keeps its old mode.
      fs.chmodSync(file, mode);
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
