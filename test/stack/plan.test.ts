import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { readStackConfig } from "../../src/config/stack-file.ts";
import { renderStack } from "../../src/render/render.ts";
import type { StackCredentials } from "../../src/stack/plan.ts";
import { pulumiConfigFrom, runUnderMocks, type Registered } from "../helpers/pulumi-mocks.ts";
import { assertGolden, MASKED_CREDENTIALS } from "../helpers/golden.ts";

/**
 * The plan is the one place the stack is assembled. Golden files pin what each shipped stack
 * renders (credentials masked); the parity test proves `pulumi up` registers exactly the plan.
 */

// A literal here, so scripts/count-tests.ts counts the tests each stack gets.
const STACKS = ["dev", "staging", "prod"] as const;

/** What the test mocks hand out for @pulumi/random (see helpers/pulumi-mocks.ts). */
const MOCK_CREDENTIALS: StackCredentials = {
  uiUser: "falco-mockuser",
  uiPassword: "mock-password-falco-stack-sidekick-ui-password",
  redisPassword: "mock-password-falco-stack-sidekick-redis-password",
  checksumKey: "mock-password-falco-stack-sidekick-checksum-key",
};

/** Values and manifests only: install.sh is covered by the render tests. */
const GOLDEN_FILES = ["falco-values.yaml", "falcosidekick-values.yaml", "manifests.yaml"];

describe("golden renders of the shipped stacks", () => {
  for (const stack of STACKS) {
    it(`${stack}: values and manifests are exactly the pinned ones`, () => {
      const rendered = renderStack({ stack, env: {}, credentials: MASKED_CREDENTIALS });
      for (const file of GOLDEN_FILES) assertGolden(path.join(stack, file), rendered.files[file] ?? "");
    });
  }
});

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function identity(manifest: Record<string, unknown>): string {
  const metadata = manifest.metadata as { name?: string; namespace?: string };
  return `${String(manifest.kind)}/${metadata.namespace ?? ""}/${metadata.name ?? ""}`;
}

const SECRET_VALUES: Record<string, string> = {
  webhookurl: "https://hooks.slack.com/services/T/B/parity",
  username: "parity-user",
  password: "parity-password",
};

const NOT_PLANNED = /^(pulumi:|falco-stack:index:|random:)/;

describe("parity: pulumi up registers exactly the plan", () => {
  for (const stack of STACKS) {
    it(`${stack}: every object and release with the same inputs, and nothing else`, async () => {
      const file = readStackConfig({ stack });
      // The stack's declared secrets, as `pulumi config set --secret` would have stored them.
      const raw = JSON.parse(
        JSON.stringify(file.raw).replace(
          /"(\w+)":"<secret>"/g,
          (_match, key: string) => `"${key}":"${SECRET_VALUES[key] ?? "parity-secret"}"`,
        ),
      ) as Record<string, unknown>;
      const env = {
        FALCO_STACK_SLACK_WEBHOOKURL: SECRET_VALUES.webhookurl,
        FALCO_STACK_ELASTICSEARCH_USERNAME: SECRET_VALUES.username,
        FALCO_STACK_ELASTICSEARCH_PASSWORD: SECRET_VALUES.password,
      };
      const { runProgram } = await import("../../components/program.ts");
      const run = await runUnderMocks(() => runProgram(), pulumiConfigFrom(raw), { stack });
      const rendered = renderStack({ stack, env, credentials: MOCK_CREDENTIALS });
      const { plan } = rendered;

      const registered = run.resources.filter((r) => !NOT_PLANNED.test(r.type));
      const charts = registered.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
      const objects = registered.filter((r) => r.type !== "kubernetes:helm.sh/v4:Chart");

      assert.deepEqual(
        objects.map((r) => identity(r.inputs)).sort(),
        plan.objects.map((o) => identity(o.manifest)).sort(),
        "the same objects",
      );
      for (const object of plan.objects) {
        const resource = objects.find((r) => identity(r.inputs) === identity(object.manifest)) as Registered;
        assert.deepEqual(
          plain(resource.inputs),
          plain(object.manifest),
          `${identity(object.manifest)} inputs`,
        );
      }
      assert.deepEqual(
        charts.map((c) => c.inputs.chart),
        plan.releases.map((r) => r.chart),
        "the same releases, sidekick first",
      );
      for (const release of plan.releases) {
        const chart = charts.find((c) => c.inputs.chart === release.chart) as Registered;
        assert.deepEqual(plain(chart.inputs), {
          name: release.name,
          chart: release.chart,
          version: release.version,
          namespace: release.namespace,
          repositoryOpts: { repo: release.repo },
          values: plain(release.values),
        });
      }
      assert.deepEqual(plain(run.outputs.rules), plain(plan.outputs.rules));
      assert.deepEqual(plain(run.outputs.ui), plain(plan.outputs.ui));
    });
  }
});
