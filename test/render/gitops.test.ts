import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { projectRoot } from "../helpers/shared.ts";
import { CREDENTIALS_FILE } from "../../src/render/credentials.ts";
import {
  renderStack,
  writeRenderedStack,
  type RenderedStack,
  type RenderFormat,
} from "../../src/render/render.ts";
import { KUBE_MODELS } from "../helpers/kube-models.ts";

/**
 * The GitOps formats: every object valid against its schema (Kubernetes, Flux and Argo CD CRDs),
 * the install order of the plan, and nothing in the committed directory that holds a credential
 * unless plain Secrets were asked for.
 */

const STACKS = ["dev", "staging", "prod"] as const;
const PROD_ENV = {
  FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T0/B0/gitops-test",
  FALCO_STACK_ELASTICSEARCH_USERNAME: "gitops-es-user",
  FALCO_STACK_ELASTICSEARCH_PASSWORD: "gitops-es-password",
};

type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

/**
 * The CRD models of Node 20-compatible @kubernetes-models (flux-cd 2.x, argo-cd 2.x) ship
 * HelmRelease v2beta2 and HelmRepository v1beta2; the v2 and v1 objects we write use only fields
 * those versions share, so they are checked against them.
 */
const SCHEMA_VERSION: Record<string, string> = {
  "helm.toolkit.fluxcd.io/v2": "helm.toolkit.fluxcd.io/v2beta2",
  "source.toolkit.fluxcd.io/v1": "source.toolkit.fluxcd.io/v1beta2",
};

const MODELS = KUBE_MODELS;

function validate(object: Manifest, where: string): void {
  const apiVersion = SCHEMA_VERSION[object.apiVersion] ?? object.apiVersion;
  const Model = MODELS[`${apiVersion}/${object.kind}`];
  assert.ok(Model, `${where}: a schema for ${object.apiVersion} ${object.kind}`);
  assert.doesNotThrow(
    () => new Model({ ...object, apiVersion } as never).validate(),
    `${where}: ${object.kind} is valid`,
  );
}

function documents(text: string): Manifest[] {
  return parseAllDocuments(text).map((document) => document.toJS() as Manifest);
}

/** Every object `kustomize build` would emit from the directory's root kustomization, by file. */
function kustomizeObjects(files: Record<string, string>, dir = ""): { file: string; object: Manifest }[] {
  const kustomization = parse(files[path.join(dir, "kustomization.yaml")] ?? "") as { resources: string[] };
  assert.ok(kustomization, `${dir || "."}/kustomization.yaml exists`);
  return kustomization.resources.flatMap((resource) => {
    const target = path.join(dir, resource);
    if (files[path.join(target, "kustomization.yaml")] !== undefined) return kustomizeObjects(files, target);
    assert.ok(files[target] !== undefined, `${target}, listed in a kustomization, is rendered`);
    return documents(files[target]!).map((object) => ({ file: target, object }));
  });
}

function render(stack: string, format: RenderFormat, secrets?: "plain" | "external"): RenderedStack {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-gitops-"));
  return renderStack({ stack, env: PROD_ENV, outDir: out, format, secrets });
}

function credentialValues(rendered: RenderedStack): string[] {
  const stored = parse(rendered.files[CREDENTIALS_FILE]!) as Record<string, string>;
  return [...Object.values(stored), ...Object.values(PROD_ENV), "LJDEM0"];
}

describe("render --format flux", () => {
  for (const stack of STACKS) {
    it(`${stack}: a HelmRepository, two HelmReleases in install order and the base, all valid`, () => {
      const rendered = render(stack, "flux");
      const objects = kustomizeObjects(rendered.files);
      for (const { file, object } of objects) validate(object, `${stack} ${file}`);
      const releases = objects.map((entry) => entry.object).filter((object) => object.kind === "HelmRelease");
      assert.deepEqual(
        releases.map((release) => release.metadata.name),
        ["falcosidekick", "falco"],
      );
      const [sidekick, falco] = releases as unknown as { spec: Record<string, unknown> }[];
      assert.deepEqual(falco!.spec.dependsOn, [{ name: "falcosidekick" }]);
      assert.equal(sidekick!.spec.dependsOn, undefined);
      assert.deepEqual(sidekick!.spec.values, rendered.sidekickValues, "values inline, as helm -f gets them");
      assert.deepEqual(falco!.spec.values, rendered.falcoValues);
      assert.deepEqual((falco!.spec.chart as { spec: unknown }).spec, {
        chart: "falco",
        version: "9.1.0",
        sourceRef: { kind: "HelmRepository", name: "falcosecurity" },
        interval: "1h",
      });
      const repository = objects.find((entry) => entry.object.kind === "HelmRepository")!.object;
      assert.equal((repository.spec as { url: string }).url, "https://falcosecurity.github.io/charts");
      const baseKinds = objects
        .filter((entry) => entry.file.startsWith("base/"))
        .map((entry) => entry.object.kind);
      assert.ok(
        baseKinds.includes("Namespace") &&
          baseKinds.includes("ConfigMap") &&
          baseKinds.includes("NetworkPolicy"),
      );
    });
  }
});

describe("render --format argocd", () => {
  for (const stack of STACKS) {
    it(`${stack}: Applications at the upstream charts with our values, sync waves in install order`, () => {
      const rendered = render(stack, "argocd");
      const objects = kustomizeObjects(rendered.files);
      for (const { file, object } of objects) validate(object, `${stack} ${file}`);
      const wave = (object: Manifest) =>
        Number((object.metadata.annotations as Record<string, string>)["argocd.argoproj.io/sync-wave"]);
      const applications = objects
        .map((entry) => entry.object)
        .filter((object) => object.kind === "Application");
      assert.deepEqual(
        applications.map((application) => application.metadata.name),
        ["falcosidekick", "falco"],
      );
      const [sidekick, falco] = applications;
      const source = (application: Manifest) =>
        (
          application.spec as {
            source: {
              repoURL: string;
              chart: string;
              targetRevision: string;
              helm: { valuesObject: unknown };
            };
          }
        ).source;
      assert.equal(source(falco!).repoURL, "https://falcosecurity.github.io/charts");
      assert.equal(source(falco!).targetRevision, "9.1.0");
      assert.deepEqual(source(sidekick!).helm.valuesObject, rendered.sidekickValues);
      assert.deepEqual(source(falco!).helm.valuesObject, rendered.falcoValues);
      const base = objects.filter((entry) => entry.file.startsWith("base/")).map((entry) => entry.object);
      const namespaces = base.filter((object) => object.kind === "Namespace").map(wave);
      const others = base.filter((object) => object.kind !== "Namespace").map(wave);
      assert.ok(Math.max(...namespaces) < Math.min(...others), "namespaces before what lives in them");
      assert.ok(Math.max(...others) < wave(sidekick!), "Secrets, ConfigMap and policies before the charts");
      assert.ok(wave(sidekick!) < wave(falco!), "falcosidekick before Falco");
    });
  }
});

describe("no plain credential in a GitOps directory unless asked for", () => {
  for (const format of ["flux", "argocd"] as const) {
    it(`${format}: by default no Secret is written and no credential appears outside the git-ignored file`, () => {
      const rendered = render("prod", format);
      assert.equal(rendered.secrets, "external");
      const secrets = credentialValues(rendered);
      for (const [file, content] of Object.entries(rendered.files)) {
        if (file === CREDENTIALS_FILE) continue;
        for (const value of secrets) assert.ok(!content.includes(value), `${file} holds a credential`);
        assert.ok(!documents(content).some((object) => object?.kind === "Secret"), `${file} holds a Secret`);
      }
      assert.equal(
        rendered.files[".gitignore"],
        `# Written by falco-stack render: files that hold credentials in plain text.\n/${CREDENTIALS_FILE}\n`,
      );
      assert.deepEqual(
        rendered.externalSecrets.map((secret) => `${secret.namespace}/${secret.name}`),
        ["falco/falcosidekick-outputs", "falco/falcosidekick-ui-auth", "falco/falcosidekick-redis-auth"],
      );
    });

    it(`${format} --secrets plain: the Secrets go to base/secrets.yaml, in the base, written 0600`, () => {
      const rendered = render("prod", format, "plain");
      const objects = kustomizeObjects(rendered.files);
      const secrets = objects.filter((entry) => entry.object.kind === "Secret");
      assert.deepEqual([...new Set(secrets.map((entry) => entry.file))], ["base/secrets.yaml"]);
      assert.ok(rendered.secretFiles.includes("base/secrets.yaml"));
      assert.ok(rendered.files["base/secrets.yaml"]!.includes("gitops-es-password"));
      assert.ok(!rendered.files["base/manifests.yaml"]!.includes("gitops-es-password"));
    });
  }
});

describe("files that hold Secrets, and install.sh", () => {
  it("writes the credentials file and plain manifests 0600, also over a file that was 0644", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-modes-"));
    fs.writeFileSync(path.join(out, "manifests.yaml"), "", { mode: 0o644 });
    const rendered = renderStack({ stack: "dev", env: {}, outDir: out });
    writeRenderedStack(rendered, out);
    const mode = (file: string) => fs.statSync(path.join(out, file)).mode & 0o777;
    assert.equal(mode("manifests.yaml"), 0o600);
    assert.equal(mode(CREDENTIALS_FILE), 0o600);
    assert.equal(mode("falco-values.yaml"), 0o644);
    assert.equal(mode("install.sh"), 0o755);
    assert.match(
      fs.readFileSync(path.join(out, ".gitignore"), "utf8"),
      /^\/\.falco-stack-credentials\.yaml$/m,
    );
  });

  it("install.sh applies server-side, so no Secret data lands in last-applied-configuration", () => {
    const script = renderStack({ stack: "dev", env: {} }).files["install.sh"]!;
    const applies = script.split("\n").filter((line) => /^\s*kubectl apply\b/.test(line));
    assert.deepEqual(applies, ["kubectl apply --server-side --field-manager=falco-stack -f manifests.yaml"]);
  });

  it("install.sh with --secrets external checks the Secrets exist and writes none", () => {
    const rendered = renderStack({ stack: "dev", env: {}, secrets: "external" });
    assert.ok(!documents(rendered.files["manifests.yaml"]!).some((object) => object.kind === "Secret"));
    const script = rendered.files["install.sh"]!;
    for (const name of ["falcosidekick-outputs", "falcosidekick-ui-auth", "falcosidekick-redis-auth"]) {
      assert.ok(script.includes(`kubectl -n falco get secret ${name}`), name);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-sh-"));
    fs.writeFileSync(path.join(dir, "install.sh"), script);
    execFileSync("bash", ["-n", path.join(dir, "install.sh")]);
  });
});

/** The installed bin as a fresh process: what a user runs, and the test reporter's output stays whole. */
function runCli(args: string[]): { code: number; stderr: string; stdout: string } {
  const run = spawnSync(process.execPath, [path.join(projectRoot, "bin", "falco-stack.cjs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...Object.fromEntries(Object.keys(PROD_ENV).map((name) => [name, ""])) },
  });
  return { code: run.status ?? -1, stderr: run.stderr, stdout: run.stdout };
}

describe("render --format and --secrets on the command line", () => {
  it("writes the flux directory and lists the Secrets to create, names and keys only", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-cli-"));
    const { code, stderr } = runCli(["render", "--stack", "dev", "--out", out, "--format", "flux"]);
    assert.equal(code, 0);
    assert.ok(fs.existsSync(path.join(out, "helmreleases.yaml")));
    assert.ok(fs.existsSync(path.join(out, "base", "kustomization.yaml")));
    assert.match(
      stderr,
      /falco\/falcosidekick-ui-auth: FALCOSIDEKICK_UI_USER, FALCOSIDEKICK_UI_REDIS_PASSWORD, REDIS_PASSWORD/,
    );
    const stored = parse(fs.readFileSync(path.join(out, CREDENTIALS_FILE), "utf8")) as Record<string, string>;
    for (const value of Object.values(stored))
      assert.ok(!stderr.includes(value), "credentials are never printed");
  });

  it("refuses an unknown format or secrets mode with exit code 2", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-cli-"));
    const format = runCli(["render", "--stack", "dev", "--out", out, "--format", "helmfile"]);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format helmfile: allowed: plain, flux, argocd/);
    const secrets = runCli(["render", "--stack", "dev", "--out", out, "--secrets", "sealed"]);
    assert.equal(secrets.code, 2);
    assert.match(secrets.stderr, /--secrets sealed: allowed: plain, external/);
  });
});

describe("plain Secrets in a GitOps directory", () => {
  it("refuses to write placeholders there: nothing would stop them reaching the cluster", () => {
    assert.throws(
      () => renderStack({ stack: "prod", env: {}, format: "flux", secrets: "plain" }),
      (error: Error) =>
        /--format flux --secrets plain/.test(error.message) &&
        error.message.includes(
          "falco-stack:outputs.slack.webhookurl: export FALCO_STACK_SLACK_WEBHOOKURL=...",
        ) &&
        /or use --secrets external/.test(error.message),
    );
  });
});
