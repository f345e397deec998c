import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  DemoSetupError,
  parseStackOutputs,
  readOutputsFile,
  readPulumiStackOutputs,
  resolveDemoSettings,
  type DemoFlags,
  type RunFile,
} from "../src/demo/stack.ts";
import { execResultFromStatus, podStatusFromPod } from "../src/k8s/demo-cluster.ts";
import { registerDemoCommand } from "../src/cli/demo.ts";
import { hasStackTrace, runCommand } from "./helpers/cli-in-process.ts";

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

  it("warns when the stack forwards nothing to NATS", () => {
    const outputs = parseStackOutputs({ ...contractOutputs, outputs: [{ name: "webhook" }] }, "t");
    const settings = resolveDemoSettings(outputs, flags({ via: "nats", nats: "127.0.0.1:4222" }));
    assert.deepEqual(settings.warnings, [
      "this stack's falcosidekick has no nats output enabled: nothing will be published on NATS",
    ]);
  });
});

describe("reading the stack outputs", () => {
  it("runs pulumi with an argument array and parses its JSON", async () => {
    const calls: [string, readonly string[]][] = [];
    const run: RunFile = async (file, args) => {
      calls.push([file, args]);
      return { stdout: JSON.stringify(contractOutputs), stderr: "", exitCode: 0 };
    };
    const outputs = await readPulumiStackOutputs("dev", run);
    assert.equal(outputs?.demo?.podName, "www");
    assert.deepEqual(calls, [["pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", "dev"]]]);
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
