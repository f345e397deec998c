import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  DemoSetupError,
  parseStackOutputs,
  readOutputsFile,
  readPulumiStackOutputs,
  resolveDemoSettings,
  type DemoFlags,
  type RunPulumi,
} from "../../src/demo/stack.ts";
import { execResultFromStatus, podStatusFromPod } from "../../src/k8s/demo-cluster.ts";
import { registerDemoCommand } from "../../src/cli/demo.ts";
import { deploy } from "../../src/cli/deploy.ts";
import { capturePulumi, type PulumiCall } from "../../src/cli/pulumi-cli.ts";
import { hasStackTrace, runCommand } from "../helpers/cli-in-process.ts";
import { projectRoot } from "../helpers/shared.ts";
import { renderStack } from "../../src/render/render.ts";
import { resolveNodesSettings } from "../../src/demo/nodes.ts";

/** The outputs the lead's program writes (the contract in the brief). */
const contractOutputs = {
  namespace: "falco",
  chartVersions: { falco: "9.1.0", falcosidekick: "0.14.0" },
  sidekickUrl: "http://falcosidekick.falco.svc.cluster.local:2801",
  falcoPods: {
    namespace: "falco",
    labelSelector: "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco",
    container: "falco",
  },
  ui: {
    enabled: true,
    namespace: "falco",
    serviceName: "falcosidekick-ui",
    port: 2802,
    portForwardCommand: "kubectl -n falco port-forward svc/falcosidekick-ui 2802:2802",
  },
  uiUser: "admin-x",
  uiPassword: "pw-y",
  demo: {
    enabled: true,
    namespace: "demo",
    podName: "www",
    container: "www",
    labelSelector: "app.kubernetes.io/name=falco-stack-demo",
  },
  outputs: [
    { name: "nats", minimumpriority: "notice" },
    { name: "webui", minimumpriority: "warning" },
  ],
  rules: { files: ["nginx-html-write.yaml"], checksum: "abc", rulesets: ["falco-rules"] },
};

const flags = (more: Partial<DemoFlags> = {}): DemoFlags => ({ via: "logs", timeoutSeconds: 60, ...more });

describe("demo settings from stack outputs and flags", () => {
  it("takes everything from the stack outputs", () => {
    const settings = resolveDemoSettings(parseStackOutputs(contractOutputs, "test"), flags({ via: "ui" }));
    assert.deepEqual(settings.target, { namespace: "demo", pod: "www", container: "www" });
    assert.deepEqual(settings.falcoPods, contractOutputs.falcoPods);
    assert.deepEqual(settings.ui, {
      url: undefined,
      namespace: "falco",
      serviceName: "falcosidekick-ui",
      port: 2802,
      user: "admin-x",
      password: "pw-y",
    });
    assert.equal(settings.timeoutMs, 60_000);
    assert.deepEqual(settings.warnings, [
      "falcosidekick's webui output has minimumpriority warning: Notice events (Terminal shell in container) will not reach it",
    ]);
  });

  it("lets flags replace outputs", () => {
    const settings = resolveDemoSettings(
      parseStackOutputs(contractOutputs, "test"),
      flags({
        via: "nats",
        nats: "nats://127.0.0.1:4222",
        pod: "web",
        demoNamespace: "shop",
        namespace: "sec",
      }),
    );
    assert.deepEqual(settings.target, { namespace: "shop", pod: "web", container: "web" });
    assert.equal(settings.falcoPods.namespace, "sec");
    assert.deepEqual(settings.nats, { url: "nats://127.0.0.1:4222", subject: "falco.>" });
    assert.deepEqual(settings.warnings, []);
  });

  it("works from flags alone, with the stack's conventional names", () => {
    const settings = resolveDemoSettings(
      undefined,
      flags({ pod: "www", via: "ui", user: "u", password: "p", uiUrl: "http://127.0.0.1:2802" }),
    );
    assert.deepEqual(settings.target, { namespace: "demo", pod: "www", container: "www" });
    assert.equal(
      settings.falcoPods.labelSelector,
      "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco",
    );
    assert.equal(settings.ui?.url, "http://127.0.0.1:2802");
  });

  it("says what to pass when facts are missing", () => {
    const cases: [Parameters<typeof resolveDemoSettings>, RegExp][] = [
      [
        [undefined, flags({ stack: "dev" })],
        /no stack outputs for stack dev \(the pulumi CLI is not installed\)\. Pass --outputs-file FILE .* or at least --pod NAME/,
      ],
      [
        [undefined, flags({ pod: "www", via: "ui" })],
        /--via ui needs the UI credentials: the stack outputs uiUser\/uiPassword, or --user and --password/,
      ],
      [
        [parseStackOutputs(contractOutputs, "t"), flags({ via: "nats" })],
        /--via nats needs --nats URL: .*port-forward/,
      ],
      [
        [parseStackOutputs({ ...contractOutputs, ui: { enabled: false } }, "t"), flags({ via: "ui" })],
        /the UI is disabled in this stack/,
      ],
      [
        [parseStackOutputs({ ...contractOutputs, demo: { enabled: false } }, "t"), flags()],
        /the demo is disabled in this stack/,
      ],
      [[undefined, flags({ pod: "www", timeoutSeconds: 0 })], /--timeout must be a positive number/],
    ];
    for (const [args, message] of cases) {
      assert.throws(
        () => resolveDemoSettings(...args),
        (error: unknown) => error instanceof DemoSetupError && message.test(error.message),
      );
    }
  });

  it("tells how to turn the demo on with pulumi config --path, for the stack asked for", () => {
    const disabled = parseStackOutputs({ ...contractOutputs, demo: { enabled: false } }, "t");
    assert.throws(
      () => resolveDemoSettings(disabled, flags({ stack: "staging" })),
      (error: unknown) =>
        error instanceof DemoSetupError &&
        error.message ===
          "the demo is disabled in this stack (demo.enabled: false). Enable it (pulumi config set --path 'falco-stack:demo.enabled' true --stack staging, then npm run deploy -- --stack staging) or point at a pod with --pod.",
    );
  });

  it("refuses outputs that lack what the stack always exports, naming each and the flag that replaces it", () => {
    const expectMissing = (outputs: unknown, more: Partial<DemoFlags>, lines: string[]): void => {
      assert.throws(
        () => resolveDemoSettings(parseStackOutputs(outputs, "t"), flags(more), "saved.json"),
        (error: unknown) => {
          assert.ok(error instanceof DemoSetupError);
          const [first, ...rest] = error.message.split("\n");
          assert.match(first ?? "", /^missing in saved\.json: .*Or pass the flags that replace them:$/);
          assert.deepEqual(rest, lines);
          return true;
        },
      );
    };
    expectMissing({}, {}, [
      "  namespace: --namespace NS",
      "  falcoPods: --namespace NS",
      "  demo: --pod NAME (and --demo-namespace NS unless it is demo)",
    ]);
    expectMissing({}, { via: "ui", user: "u", password: "p" }, [
      "  namespace: --namespace NS",
      "  falcoPods: --namespace NS",
      "  demo: --pod NAME (and --demo-namespace NS unless it is demo)",
      "  ui: --ui-url URL",
    ]);
    expectMissing({}, { pod: "web" }, ["  namespace: --namespace NS", "  falcoPods: --namespace NS"]);
    // Enabled parts without their fields: no guessed port or pod name.
    expectMissing({ ...contractOutputs, ui: { enabled: true } }, { via: "ui" }, [
      "  ui.namespace: --ui-url URL",
      "  ui.serviceName: --ui-url URL",
      "  ui.port: --ui-url URL",
    ]);
    expectMissing({ ...contractOutputs, demo: { enabled: true, namespace: "demo" } }, {}, [
      "  demo.podName: --pod NAME",
    ]);
    expectMissing({ ...contractOutputs, demo: { enabled: true, podName: "www" } }, {}, [
      "  demo.namespace: --demo-namespace NS",
    ]);
  });

  it("accepts the flags in place of the facts the outputs lack", () => {
    const empty = parseStackOutputs({}, "t");
    const settings = resolveDemoSettings(
      empty,
      flags({
        namespace: "sec",
        pod: "web",
        demoNamespace: "shop",
        via: "ui",
        uiUrl: "http://127.0.0.1:9",
        user: "u",
        password: "p",
      }),
      "saved.json",
    );
    assert.deepEqual(settings.target, { namespace: "shop", pod: "web", container: "web" });
    assert.deepEqual(settings.falcoPods, {
      namespace: "sec",
      labelSelector: "app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco",
      container: "falco",
    });
    assert.equal(settings.ui?.url, "http://127.0.0.1:9");
  });

  it("warns when the stack forwards nothing to NATS", () => {
    const outputs = parseStackOutputs({ ...contractOutputs, outputs: [{ name: "webhook" }] }, "t");
    const settings = resolveDemoSettings(outputs, flags({ via: "nats", nats: "127.0.0.1:4222" }));
    assert.deepEqual(settings.warnings, [
      "this stack's falcosidekick has no nats output enabled: nothing will be published on NATS",
    ]);
  });
});

describe("the stack's clusterName in the demo", () => {
  const prodEnv = {
    FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/T0/B0/demo",
    FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
    FALCO_STACK_ELASTICSEARCH_PASSWORD: "demo-password",
  };

  it("reads it from the outputs the plan exports (prod sets it, dev does not)", () => {
    const outputsOf = (stack: string, env: Record<string, string>) =>
      parseStackOutputs(
        JSON.parse(JSON.stringify(renderStack({ stack, env }).plan.outputs)) as unknown,
        `stack ${stack}`,
      );
    const prod = outputsOf("prod", prodEnv);
    assert.equal(prod.clusterName, "prod");
    assert.equal(resolveDemoSettings(prod, flags({ pod: "www" })).clusterName, "prod");
    assert.equal(resolveNodesSettings(prod, flags()).clusterName, "prod");
    const dev = outputsOf("dev", {});
    assert.equal(resolveDemoSettings(dev, flags()).clusterName, undefined);
  });

  it("refuses outputs whose clusterName is no DNS label, naming it", () => {
    assert.throws(
      () => parseStackOutputs({ ...contractOutputs, clusterName: "Prod EU" }, "outputs.json"),
      /outputs\.json does not look like this stack's outputs: clusterName: "Prod EU" is not a DNS label/,
    );
  });
});

describe("reading the stack outputs", () => {
  it("runs pulumi with an argument array and parses its JSON", async () => {
    const calls: (readonly string[])[] = [];
    const run: RunPulumi = async (args) => {
      calls.push(args);
      return { stdout: JSON.stringify(contractOutputs), stderr: "", exitCode: 0 };
    };
    const outputs = await readPulumiStackOutputs("dev", run);
    assert.equal(outputs?.demo?.podName, "www");
    assert.deepEqual(calls, [["stack", "output", "--json", "--show-secrets", "--stack", "dev"]]);
  });

  it("returns nothing when the CLI is absent, and explains a failing CLI", async () => {
    assert.equal(await readPulumiStackOutputs("dev", async () => "not-installed"), undefined);
    await assert.rejects(
      readPulumiStackOutputs("dev", async () => ({
        stdout: "",
        stderr: "error: no stack named 'dev' found\n",
        exitCode: 255,
      })),
      /pulumi stack output --stack dev failed \(exit 255\): error: no stack named 'dev' found/,
    );
  });

  it("reads a saved outputs file and names it when it is wrong", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-demo-"));
    const good = path.join(dir, "outputs.json");
    const bad = path.join(dir, "bad.json");
    const wrong = path.join(dir, "wrong.json");
    await writeFile(good, JSON.stringify(contractOutputs));
    await writeFile(bad, "{ not json");
    await writeFile(wrong, JSON.stringify({ demo: { enabled: "yes" } }));
    assert.equal((await readOutputsFile(good)).uiUser, "admin-x");
    await assert.rejects(
      readOutputsFile(bad),
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not JSON`),
    );
    await assert.rejects(readOutputsFile(wrong), /does not look like this stack's outputs: demo\.enabled: /);
    await assert.rejects(
      readOutputsFile(path.join(dir, "missing.json")),
      /cannot read --outputs-file .*missing\.json: ENOENT/,
    );
  });
});

describe("pod readiness and exec status from the Kubernetes objects", () => {
  it("explains why a pod is not ready", () => {
    const pending = podStatusFromPod(
      {
        status: {
          phase: "Pending",
          conditions: [{ type: "Ready", status: "False" }],
          containerStatuses: [
            {
              name: "www",
              ready: false,
              restartCount: 0,
              image: "nginx:1.24",
              imageID: "",
              state: { waiting: { reason: "ImagePullBackOff" } },
            },
          ],
        },
      },
      "www",
    );
    assert.equal(pending.ready, false);
    assert.equal(pending.reason, "container www waiting: ImagePullBackOff");
    const wrongContainer = podStatusFromPod({ status: { phase: "Running", containerStatuses: [] } }, "web");
    assert.match(wrongContainer.reason ?? "", /no container named "web"/);
  });

  it("sees a running, ready pod and its container ids", () => {
    const running = podStatusFromPod(
      {
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True" }],
          containerStatuses: [
            {
              name: "www",
              ready: true,
              restartCount: 0,
              image: "nginx:1.24",
              imageID: "",
              containerID: "containerd://85510af8dfe0ff",
              state: { running: {} },
            },
          ],
        },
      },
      "www",
    );
    assert.equal(running.ready, true);
    assert.deepEqual(running.containerIds, ["containerd://85510af8dfe0ff"]);
  });

  it("reads the exit code from the exec status", () => {
    assert.deepEqual(execResultFromStatus({ status: "Success" }), { ok: true, exitCode: 0 });
    assert.deepEqual(
      execResultFromStatus({
        status: "Failure",
        message:
          "command terminated with non-zero exit code: error executing command [sh -c ls /nope], exit code 2",
        details: { causes: [{ reason: "ExitCode", message: "2" }] },
      }),
      {
        ok: false,
        exitCode: 2,
        message:
          "command terminated with non-zero exit code: error executing command [sh -c ls /nope], exit code 2",
      },
    );
  });
});

describe("falco-stack demo, before any cluster call", () => {
  it("exits 2 saying what to pass when there is no stack and no flags", async () => {
    const outcome = await runCommand(registerDemoCommand, ["demo"]).done;
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /say which deployment: --stack NAME .*--outputs-file FILE, or --pod NAME/);
    assert.ok(!hasStackTrace(outcome.stderr));
  });

  it("exits 2 on a bad --via, --timeout or outputs file", async () => {
    const results = await Promise.all([
      runCommand(registerDemoCommand, ["demo", "--pod", "www", "--via", "email"]).done,
      runCommand(registerDemoCommand, ["demo", "--pod", "www", "--timeout", "soon"]).done,
      runCommand(registerDemoCommand, ["demo", "--outputs-file", "/nonexistent/outputs.json"]).done,
    ]);
    assert.deepEqual(
      results.map((result) => result.code),
      [2, 2, 2],
    );
    assert.match(results[0].stderr, /argument 'email' is invalid\. Allowed choices are logs, ui, nats/);
    assert.match(results[1].stderr, /--timeout must be a number of seconds above 0, got "soon"/);
    assert.match(results[2].stderr, /cannot read --outputs-file \/nonexistent\/outputs\.json: ENOENT/);
  });
});

/** Runs `falco-stack demo` with a recording stand-in for the pulumi CLI that prints `outputs`. */
async function demoWithPulumi(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  outputs: unknown,
): Promise<{ code: number; stderr: string; calls: PulumiCall[] }> {
  const calls: PulumiCall[] = [];
  const outcome = await runCommand(
    (program, result, io) =>
      registerDemoCommand(program, result, io, {
        env,
        runPulumi: async (call) => {
          calls.push(call);
          return { stdout: JSON.stringify(outputs), stderr: "", exitCode: 0 };
        },
      }),
    args,
  ).done;
  return { code: outcome.code, stderr: outcome.stderr, calls };
}

function deployCalls(env: NodeJS.ProcessEnv): PulumiCall[] {
  const calls: PulumiCall[] = [];
  deploy({
    stack: "dev",
    upArgs: [],
    env,
    run: (call) => {
      calls.push(call);
      return { status: 0 };
    },
  });
  return calls;
}

describe("falco-stack demo --stack reads the stack deploy wrote", () => {
  const disabledDemo = { ...contractOutputs, demo: { enabled: false } };

  it("runs pulumi with deploy's backend and directory, and explains how to enable the demo", async () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "pw" };
    const up = deployCalls(env).find((call) => call.args[0] === "up");
    const demo = await demoWithPulumi(["demo", "--stack", "dev"], env, disabledDemo);
    assert.ok(up);
    assert.deepEqual(
      demo.calls.map((call) => call.args),
      [["stack", "output", "--json", "--show-secrets", "--stack", "dev"]],
    );
    const [read] = demo.calls;
    assert.equal(read?.env.PULUMI_BACKEND_URL, up.env.PULUMI_BACKEND_URL);
    assert.equal(read?.env.PULUMI_BACKEND_URL, `file://${path.join(projectRoot, ".pulumi")}`);
    assert.equal(read?.cwd, up.cwd);
    assert.equal(read?.cwd, projectRoot);
    assert.equal(read?.env.PULUMI_CONFIG_PASSPHRASE, "pw");

    assert.equal(demo.code, 2);
    assert.match(
      demo.stderr,
      /Enable it \(pulumi config set --path 'falco-stack:demo\.enabled' true --stack dev, then npm run deploy -- --stack dev\)/,
    );
    assert.ok(!hasStackTrace(demo.stderr));
  });

  it("keeps a backend the user set, as deploy does", async () => {
    const env = { PULUMI_BACKEND_URL: "s3://team-state" };
    const up = deployCalls(env).find((call) => call.args[0] === "up");
    const demo = await demoWithPulumi(["demo", "--stack", "dev"], env, disabledDemo);
    assert.equal(up?.env.PULUMI_BACKEND_URL, "s3://team-state");
    assert.equal(demo.calls[0]?.env.PULUMI_BACKEND_URL, "s3://team-state");
  });

  it("exits 2 naming the facts an outputs file lacks and their flags, before any cluster call", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-demo-"));
    const empty = path.join(dir, "empty.json");
    await writeFile(empty, "{}");
    const outcome = await runCommand(registerDemoCommand, [
      "demo",
      "--stack",
      "dev",
      "--outputs-file",
      empty,
      "--via",
      "ui",
    ]).done;
    assert.equal(outcome.code, 2);
    assert.ok(outcome.stderr.includes(`missing in ${empty}: namespace, falcoPods, demo, ui.`));
    assert.match(outcome.stderr, /^ {2}demo: --pod NAME/m);
    assert.match(outcome.stderr, /^ {2}ui: --ui-url URL$/m);
    assert.doesNotMatch(outcome.stderr, /Kubernetes|kubeconfig/);
    assert.ok(!hasStackTrace(outcome.stderr));
  });
});

describe("the real pulumi runner", () => {
  it("runs the pulumi on PATH in the project root with the backend, and sees when there is none", async () => {
    const bin = await mkdtemp(path.join(os.tmpdir(), "falco-stack-bin-"));
    const record = path.join(bin, "record.txt");
    const outputs = path.join(bin, "outputs.json");
    await writeFile(outputs, JSON.stringify({ ...contractOutputs, demo: { enabled: false } }));
    // A stand-in pulumi: notes where and how it ran, then prints the saved outputs.
    await writeFile(
      path.join(bin, "pulumi"),
      `#!/bin/sh\nprintf '%s\\n%s\\n%s\\n' "$PWD" "$PULUMI_BACKEND_URL" "$*" > "${record}"\ncat "${outputs}"\n`,
      { mode: 0o755 },
    );
    const run = (env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> =>
      runCommand(
        (program, result, io) => registerDemoCommand(program, result, io, { runPulumi: capturePulumi, env }),
        ["demo", "--stack", "dev"],
      ).done;

    const found = await run({ PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` });
    assert.equal(found.code, 2);
    assert.match(found.stderr, /the demo is disabled in this stack/);
    // The shell reports the directory with symlinks resolved.
    assert.deepEqual((await readFile(record, "utf8")).split("\n"), [
      await realpath(projectRoot),
      `file://${path.join(projectRoot, ".pulumi")}`,
      "stack output --json --show-secrets --stack dev",
      "",
    ]);

    const empty = await mkdtemp(path.join(os.tmpdir(), "falco-stack-nobin-"));
    const absent = await run({ PATH: empty });
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /no stack outputs for stack dev \(the pulumi CLI is not installed\)/);
  });
});

/** Sets (or, with undefined, removes) environment variables for the length of `body`. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return await body();
  } finally {
    apply(saved);
  }
}

describe("falco-stack demo without a kubeconfig", () => {
  it("says no kubeconfig was found and how to point at one", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-demo-"));
    const home = await mkdtemp(path.join(os.tmpdir(), "falco-stack-home-"));
    const saved = path.join(dir, "outputs.json");
    await writeFile(saved, JSON.stringify(contractOutputs));
    const args = ["demo", "--outputs-file", saved];

    const noConfig = await withEnv(
      { HOME: home, KUBECONFIG: undefined },
      () => runCommand(registerDemoCommand, args).done,
    );
    assert.equal(noConfig.code, 2);
    assert.ok(
      noConfig.stderr.includes(
        `no kubeconfig found: KUBECONFIG is not set, there is no ~/.kube/config (HOME is ${home})`,
      ),
      noConfig.stderr,
    );
    assert.match(noConfig.stderr, /KUBECONFIG=\/path\/to\/kubeconfig.*--context NAME/);
    assert.doesNotMatch(noConfig.stderr, /localhost:8080|skipTLSVerify/);

    const missing = path.join(dir, "no-such-kubeconfig");
    const wrongPath = await withEnv(
      { HOME: home, KUBECONFIG: missing },
      () => runCommand(registerDemoCommand, args).done,
    );
    assert.equal(wrongPath.code, 2);
    assert.ok(
      wrongPath.stderr.includes(`no kubeconfig found at ${missing} (from KUBECONFIG)`),
      wrongPath.stderr,
    );
    assert.match(wrongPath.stderr, /point KUBECONFIG at your kubeconfig file.*--context NAME/);
    assert.ok(!hasStackTrace(noConfig.stderr + wrongPath.stderr));
  });
});
