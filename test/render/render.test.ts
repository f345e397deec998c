import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments, parse } from "yaml";
import { main } from "../../src/cli/main.ts";
import { PLACEHOLDER_MARKER } from "../../src/outputs/index.ts";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { runProgram } from "../../components/program.ts";
import { renderStack } from "../../src/render/render.ts";
import { chartDefaults, unknownValuesKeys } from "../helpers/chart-values.ts";
import { projectRoot } from "../helpers/shared.ts";
import { pulumiConfigFrom, runUnderMocks } from "../helpers/pulumi-mocks.ts";
import { KUBE_MODELS } from "../helpers/kube-models.ts";

const SLACK_URL = "https://hooks.slack.com/services/T0/B0/render-test";
/** What a user exports to render prod with its secrets. */
const PROD_ENV = {
  FALCO_STACK_SLACK_WEBHOOKURL: SLACK_URL,
  FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
  FALCO_STACK_ELASTICSEARCH_PASSWORD: "es-render-password",
};

const MODELS = KUBE_MODELS;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-render-"));
}

/** Captures what the CLI writes, so its messages can be checked. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: (text: string) => void (stderr += text),
  };
  const code = await main(["node", "falco-stack", ...args], io);
  return { code, stdout, stderr };
}

describe("render uses the same values as the program", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: rendered values equal the values passed to each Chart`, async () => {
      const rendered = renderStack({ stack, env: PROD_ENV });
      const raw = readStackConfig({ stack }).raw as Record<string, Record<string, Record<string, unknown>>>;
      const config =
        stack === "prod"
          ? {
              ...raw,
              outputs: {
                ...raw.outputs,
                slack: { ...raw.outputs!.slack, webhookurl: SLACK_URL },
                elasticsearch: {
                  ...raw.outputs!.elasticsearch,
                  username: "falco",
                  password: "es-render-password",
                },
              },
            }
          : raw;
      const run = await runUnderMocks(runProgram, pulumiConfigFrom(config), { stack });
      const chart = (name: string) =>
        run.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === name);
      assert.deepEqual(rendered.falcoValues, chart("falco-stack-falco")?.inputs.values);
      // The outputs checksum is keyed with a secret of each deployment (or render): equal in form, not in value.
      const sidekick = chart("falco-stack-sidekick")?.inputs.values as Record<string, Record<string, string>>;
      const checksum = (values: Record<string, unknown>) =>
        (values.podAnnotations as Record<string, string>)["falco-stack/outputs-checksum"];
      assert.match(checksum(rendered.sidekickValues)!, /^[0-9a-f]{64}$/);
      assert.match(checksum(sidekick)!, /^[0-9a-f]{64}$/);
      const keyed = { "falco-stack/credentials-checksum": "<keyed>" };
      const masked = (values: Record<string, unknown>) => {
        const webui = values.webui as Record<string, Record<string, unknown>>;
        return {
          ...values,
          podAnnotations: { ...(values.podAnnotations as object), "falco-stack/outputs-checksum": "<keyed>" },
          webui: { ...webui, podAnnotations: keyed, redis: { ...webui.redis, podAnnotations: keyed } },
        };
      };
      assert.deepEqual(masked(rendered.sidekickValues), masked(sidekick));
      assert.deepEqual(parse(rendered.files["falco-values.yaml"]!), rendered.falcoValues);
      assert.deepEqual(parse(rendered.files["falcosidekick-values.yaml"]!), rendered.sidekickValues);
    });
  }
});

describe("render output", () => {
  it("writes the four files, the credentials file and its .gitignore for the dev stack through the CLI", async () => {
    const out = tempDir();
    const { code, stdout } = await runCli(["render", "--stack", "dev", "--out", out]);
    assert.equal(code, 0);
    assert.deepEqual(fs.readdirSync(out).sort(), [
      ".falco-stack-credentials.yaml",
      ".gitignore",
      "falco-values.yaml",
      "falcosidekick-values.yaml",
      "install.sh",
      "manifests.yaml",
    ]);
    assert.match(stdout, /wrote .*manifests\.yaml/);
    assert.equal(fs.statSync(path.join(out, "install.sh")).mode & 0o111, 0o111, "install.sh is executable");
  });

  it("renders manifests that are valid Kubernetes objects: every object we create ourselves", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const rendered = renderStack({ stack, env: {} });
      const documents = parseAllDocuments(rendered.files["manifests.yaml"]!).map(
        (d) => d.toJS() as Record<string, unknown>,
      );
      assert.deepEqual(documents, rendered.manifests);
      for (const object of documents) {
        const Model = MODELS[`${String(object.apiVersion)}/${String(object.kind)}`];
        assert.ok(Model, `a schema for ${String(object.apiVersion)} ${String(object.kind)}`);
        assert.doesNotThrow(
          () => new Model(object as never).validate(),
          `${stack}: ${String(object.kind)} is valid`,
        );
      }
      const kinds = documents.map(
        (o) => `${String(o.kind)}/${String((o.metadata as { name: string }).name)}`,
      );
      assert.ok(kinds.includes("Namespace/falco"));
      assert.ok(kinds.includes("ConfigMap/falco-custom-rules"));
      assert.ok(kinds.includes("Secret/falcosidekick-outputs"));
      assert.ok(kinds.includes("Secret/falcosidekick-ui-auth"));
      assert.ok(kinds.includes("Secret/falcosidekick-redis-auth"));
      assert.equal(kinds.includes("Pod/www"), stack === "dev", "the demo pod only where the demo is on");
      assert.ok(
        kinds.indexOf("Namespace/falco") < kinds.indexOf("ConfigMap/falco-custom-rules"),
        "namespaces first",
      );
    }
  });

  it("generates fresh UI and Redis credentials locally, never admin:admin", () => {
    const first = renderStack({ stack: "dev", env: {} });
    const second = renderStack({ stack: "dev", env: {} });
    const uiSecret = (r: typeof first) =>
      r.manifests.find((o) => (o.metadata as { name: string }).name === "falcosidekick-ui-auth")!
        .stringData as Record<string, string>;
    const a = uiSecret(first);
    assert.match(a.FALCOSIDEKICK_UI_USER!, /^falco-[a-z0-9]{8}:[A-Za-z0-9]{32}$/);
    assert.equal(a.REDIS_PASSWORD, a.FALCOSIDEKICK_UI_REDIS_PASSWORD);
    assert.notEqual(a.FALCOSIDEKICK_UI_USER, uiSecret(second).FALCOSIDEKICK_UI_USER);
    assert.ok(!first.files["manifests.yaml"]!.includes("admin:admin"));
  });

  it("keeps secrets out of the values files", () => {
    const dev = renderStack({ stack: "dev", env: {} });
    assert.ok(!dev.files["falcosidekick-values.yaml"]!.includes("webhooks.app"));
    assert.ok(
      dev.files["manifests.yaml"]!.includes("WEBHOOK_ADDRESS: https://webhooks.app/data?token=LJDEM0"),
    );
    const prod = renderStack({ stack: "prod", env: PROD_ENV });
    assert.deepEqual(prod.placeholders, []);
    assert.ok(!prod.files["falcosidekick-values.yaml"]!.includes(SLACK_URL));
    assert.ok(!prod.files["falcosidekick-values.yaml"]!.includes("es-render-password"));
    assert.ok(prod.files["manifests.yaml"]!.includes("ELASTICSEARCH_PASSWORD: es-render-password"));
    assert.ok(!prod.files["falco-values.yaml"]!.includes(SLACK_URL));
    assert.ok(prod.files["manifests.yaml"]!.includes(`SLACK_WEBHOOKURL: ${SLACK_URL}`));
  });

  it("writes a marked placeholder for a secret it cannot know, and install.sh refuses it", () => {
    const prod = renderStack({ stack: "prod", env: {} });
    assert.deepEqual(prod.placeholders.map((p) => p.configKey).sort(), [
      "falco-stack:outputs.elasticsearch.password",
      "falco-stack:outputs.elasticsearch.username",
      "falco-stack:outputs.slack.webhookurl",
    ]);
    const manifests = prod.files["manifests.yaml"]!;
    assert.match(
      manifests,
      new RegExp(
        `SLACK_WEBHOOKURL: "?${PLACEHOLDER_MARKER}\\(falco-stack:outputs\\.slack\\.webhookurl\\): set FALCO_STACK_SLACK_WEBHOOKURL`,
      ),
    );
    assert.ok(prod.files["install.sh"]!.includes(`grep -q '${PLACEHOLDER_MARKER}' manifests.yaml`));
  });

  it("writes an install script that applies our objects, then falcosidekick, then Falco, at the pinned versions", () => {
    const script = renderStack({ stack: "dev", env: {} }).files["install.sh"]!;
    const apply = script.indexOf("kubectl apply --server-side --field-manager=falco-stack -f manifests.yaml");
    const sidekick = script.indexOf(
      "helm upgrade --install falcosidekick falcosecurity/falcosidekick --version 0.14.0",
    );
    const falco = script.indexOf("helm upgrade --install falco falcosecurity/falco --version 9.1.0");
    assert.ok(apply > 0 && sidekick > apply && falco > sidekick, script);
    assert.match(script, /--namespace falco -f falco-values\.yaml/);
    const out = tempDir();
    fs.writeFileSync(path.join(out, "install.sh"), script);
    execFileSync("bash", ["-n", path.join(out, "install.sh")]);
  });

  it("renders any stack file given with --config", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.mine.yaml");
    fs.writeFileSync(
      file,
      "config:\n  falco-stack:namespace: security\n  falco-stack:ui:\n    enabled: false\n  falco-stack:falco:\n    driver: kmod\n",
    );
    const out = path.join(dir, "out");
    const { code } = await runCli(["render", "--config", file, "--out", out]);
    assert.equal(code, 0);
    const values = parse(fs.readFileSync(path.join(out, "falco-values.yaml"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(values.driver!.kind, "kmod");
    assert.equal((values.falco!.http_output as { url: string }).url, "http://falcosidekick.security:2801/");
    assert.deepEqual(unknownValuesKeys(values, chartDefaults("falco")), []);
  });

  it("refuses bad input with a clear message and exit code 2, writing nothing", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, "config:\n  falco-stack:ui:\n    storageClass: x\n    storageSize: 10GB\n");
    const out = path.join(dir, "out");
    const bad = await runCli(["render", "--config", file, "--out", out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /falco-stack:ui\.storageSize: .*write 10Gi/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
    assert.ok(!fs.existsSync(out));

    const missing = await runCli(["render", "--stack", "nope", "--out", out]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /cannot read stack file .*Pulumi\.nope\.yaml; stacks here: dev, prod, staging/,
    );

    const noStack = await runCli(["render", "--out", out]);
    assert.equal(noStack.code, 2);
    assert.match(noStack.stderr, /--stack NAME or --config FILE/);
  });

  it("names --out when it cannot write there, and the stack file in output errors", async () => {
    const dir = tempDir();
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "");
    const notADirectory = await runCli(["render", "--stack", "dev", "--out", file]);
    assert.equal(notADirectory.code, 2);
    assert.match(notADirectory.stderr, /--out .*a-file: is a file, or lies under one; give a directory/);
    assert.doesNotMatch(notADirectory.stderr, /unexpected error/);

    const stackFile = path.join(dir, "Pulumi.typo.yaml");
    fs.writeFileSync(
      stackFile,
      "config:\n  falco-stack:ui:\n    storageClass: x\n  falco-stack:outputs:\n    slak: {}\n",
    );
    const unknownOutput = await runCli(["render", "--config", stackFile, "--out", path.join(dir, "out")]);
    assert.equal(unknownOutput.code, 2);
    assert.match(
      unknownOutput.stderr,
      /falco-stack:outputs\.slak: unknown output .*did you mean "slack"\? \(in .*Pulumi\.typo\.yaml\)/,
    );

    fs.writeFileSync(stackFile, "config:\n  falco-stak:ui:\n    storageClass: x\n");
    const namespace = await runCli(["render", "--config", stackFile, "--out", path.join(dir, "out")]);
    assert.equal(namespace.code, 2);
    assert.match(
      namespace.stderr,
      /falco-stak:ui: unknown config namespace "falco-stak": did you mean falco-stack:ui\?/,
    );
  });

  it("runs from the installed bin as a fresh process", () => {
    const out = tempDir();
    const stdout = execFileSync(
      process.execPath,
      [path.join(projectRoot, "bin", "falco-stack.cjs"), "render", "--stack", "staging", "--out", out],
      {
        encoding: "utf8",
      },
    );
    assert.match(stdout, /wrote .*falco-values\.yaml/);
    const sidekick = parse(fs.readFileSync(path.join(out, "falcosidekick-values.yaml"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(unknownValuesKeys(sidekick, chartDefaults("falcosidekick")), []);
  });
});
