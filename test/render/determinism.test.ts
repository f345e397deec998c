import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { CREDENTIALS_FILE } from "../../src/render/credentials.ts";
import { renderStack, writeRenderedStack, type RenderFormat } from "../../src/render/render.ts";

/**
 * Re-rendering is what the README asks for on every change: the same inputs must give the same
 * bytes (GitOps diffs stay empty, running pods keep working credentials), and a changed credential
 * must change the pod template of exactly the pods that read it, so they roll.
 */

const STACKS = ["dev", "staging", "prod"] as const;
const FORMATS: RenderFormat[] = ["plain", "flux", "argocd"];

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-determinism-"));
}

/** Every file under `dir`, by relative path. */
function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = fs.readFileSync(file, "utf8");
  }
  return files;
}

function renderInto(
  out: string,
  stack: string,
  options: { format?: RenderFormat; env?: Record<string, string> } = {},
) {
  const rendered = renderStack({ stack, env: options.env ?? {}, outDir: out, format: options.format });
  writeRenderedStack(rendered, out);
  return rendered;
}

describe("render is deterministic", () => {
  for (const stack of STACKS) {
    for (const format of FORMATS) {
      it(`${stack} --format ${format}: a second render into the same directory writes byte-identical files`, () => {
        const out = tempDir();
        renderInto(out, stack, { format });
        const first = readTree(out);
        renderInto(out, stack, { format });
        const second = readTree(out);
        assert.deepEqual(Object.keys(second).sort(), Object.keys(first).sort());
        for (const [file, content] of Object.entries(first)) {
          assert.equal(second[file], content, `${stack}/${format}: ${file} changed on re-render`);
        }
      });
    }
  }

  it("keeps the credentials of the first render, and a fresh directory gets fresh ones", () => {
    const out = tempDir();
    const first = renderInto(out, "dev").plan.objects;
    const again = renderInto(out, "dev").plan.objects;
    const uiSecret = (objects: typeof first) =>
      objects.find((object) => object.id === "sidekick-ui-auth")?.manifest.stringData;
    assert.deepEqual(uiSecret(again), uiSecret(first));
    const elsewhere = renderInto(tempDir(), "dev").plan.objects;
    assert.notDeepEqual(uiSecret(elsewhere), uiSecret(first));
  });

  it("the outputs checksum stays put across re-renders: falcosidekick does not restart for nothing", () => {
    const out = tempDir();
    const checksum = () =>
      (renderInto(out, "dev").sidekickValues.podAnnotations as Record<string, string>)[
        "falco-stack/outputs-checksum"
      ];
    assert.equal(checksum(), checksum());
  });

  it("takes credentials from the environment over the file, and never writes them there", () => {
    const out = tempDir();
    const env = { FALCO_STACK_UI_PASSWORD: "from-the-environment-1" };
    const rendered = renderInto(out, "dev", { env });
    const secret = rendered.plan.objects.find((object) => object.id === "sidekick-ui-auth")!.manifest
      .stringData as Record<string, string>;
    assert.match(secret.FALCOSIDEKICK_UI_USER!, /:from-the-environment-1$/);
    const file = fs.readFileSync(path.join(out, CREDENTIALS_FILE), "utf8");
    assert.ok(!file.includes("from-the-environment-1"));
    assert.ok(!("uiPassword" in (parse(file) as object)));
  });

  it("names a broken credentials file and how to recover", () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, CREDENTIALS_FILE), "uiPassword: short\nextra: 1\n");
    assert.throws(
      () => renderStack({ stack: "dev", env: {}, outDir: out }),
      (error: Error) =>
        error.message.includes(CREDENTIALS_FILE) &&
        /unknown key extra/.test(error.message) &&
        /delete the file/.test(error.message),
    );
  });
});

/** The pod-template annotations of each workload, as the charts place them (values paths). */
function podTemplates(rendered: ReturnType<typeof renderStack>): Record<string, unknown> {
  const sidekick = rendered.sidekickValues as {
    podAnnotations: unknown;
    webui: { podAnnotations?: unknown; redis: { podAnnotations?: unknown } };
  };
  return {
    "falco DaemonSet": rendered.falcoValues.podAnnotations,
    "falcosidekick Deployment": sidekick.podAnnotations,
    "UI Deployment": sidekick.webui.podAnnotations,
    "Redis StatefulSet": sidekick.webui.redis.podAnnotations,
  };
}

function rolled(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(before).filter((pod) => JSON.stringify(before[pod]) !== JSON.stringify(after[pod]));
}

/** Renders, changes one credential in the credentials file, renders again: which pods roll. */
function rollsAfterChanging(change: Record<string, string>, env: Record<string, string> = {}): string[] {
  const out = tempDir();
  const before = podTemplates(renderInto(out, "prod", { env }));
  const file = path.join(out, CREDENTIALS_FILE);
  const stored = parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  fs.writeFileSync(file, stringify({ ...stored, ...change }));
  return rolled(before, podTemplates(renderInto(out, "prod", { env })));
}

describe("a changed credential rolls exactly the pods that use it", () => {
  it("the UI password: the UI Deployment only", () => {
    assert.deepEqual(rollsAfterChanging({ uiPassword: "a-new-ui-password-1234" }), ["UI Deployment"]);
  });

  it("the UI user: the UI Deployment only", () => {
    assert.deepEqual(rollsAfterChanging({ uiUser: "falco-newuser" }), ["UI Deployment"]);
  });

  it("the Redis password: Redis and the UI that logs in to it", () => {
    assert.deepEqual(rollsAfterChanging({ redisPassword: "a-new-redis-password-1234" }), [
      "UI Deployment",
      "Redis StatefulSet",
    ]);
  });

  it("an output secret: falcosidekick only", () => {
    const out = tempDir();
    const env = { FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T/B/one" };
    const before = podTemplates(renderInto(out, "prod", { env }));
    const after = podTemplates(
      renderInto(out, "prod", {
        env: { FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T/B/two" },
      }),
    );
    assert.deepEqual(rolled(before, after), ["falcosidekick Deployment"]);
  });

  it("nothing changed: nothing rolls", () => {
    assert.deepEqual(rollsAfterChanging({}), []);
  });
});

describe("re-rendering into a directory an earlier render used", () => {
  it("removes what the earlier render wrote and this one does not: no stale plain Secrets get committed", () => {
    const out = tempDir();
    writeRenderedStack(
      renderStack({ stack: "dev", env: {}, outDir: out, format: "flux", secrets: "plain" }),
      out,
    );
    assert.ok(fs.existsSync(path.join(out, "base", "secrets.yaml")));
    writeRenderedStack(renderStack({ stack: "dev", env: {}, outDir: out, format: "flux" }), out);
    assert.ok(
      !fs.existsSync(path.join(out, "base", "secrets.yaml")),
      "plain Secrets of the earlier render are gone",
    );

    const plain = tempDir();
    renderInto(plain, "dev");
    renderInto(plain, "dev", { format: "argocd" });
    assert.deepEqual(Object.keys(readTree(plain)).sort(), [
      ".falco-stack-credentials.yaml",
      ".gitignore",
      "applications.yaml",
      "base/kustomization.yaml",
      "base/manifests.yaml",
      "kustomization.yaml",
    ]);
  });

  it("leaves files it did not write, and keeps the user's own .gitignore, adding its entries", () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, "manifests.yaml"), "# mine\n");
    fs.writeFileSync(path.join(out, ".gitignore"), "*.tmp");
    renderInto(out, "dev", { format: "flux" });
    assert.equal(fs.readFileSync(path.join(out, "manifests.yaml"), "utf8"), "# mine\n");
    const gitignore = fs.readFileSync(path.join(out, ".gitignore"), "utf8");
    assert.match(gitignore, /^\*\.tmp\n/);
    assert.match(gitignore, /^\/\.falco-stack-credentials\.yaml$/m);
    renderInto(out, "dev", { format: "flux" });
    assert.equal(fs.readFileSync(path.join(out, ".gitignore"), "utf8"), gitignore, "added once");
  });
});

describe("credentials from the environment are checked", () => {
  it("names the variable and what is allowed, without echoing the value", () => {
    assert.throws(
      () => renderStack({ stack: "dev", env: { FALCO_STACK_REDIS_PASSWORD: "has space in it" } }),
      (error: Error) =>
        /^FALCO_STACK_REDIS_PASSWORD: may hold letters, digits/.test(error.message) &&
        !error.message.includes("has space in it"),
    );
    assert.throws(
      () => renderStack({ stack: "dev", env: { FALCO_STACK_UI_PASSWORD: "short" } }),
      /FALCO_STACK_UI_PASSWORD: must be at least 12 characters/,
    );
  });
});
