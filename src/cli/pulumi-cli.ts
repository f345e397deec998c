import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT } from "../config/stack-file.ts";

/**
 * How every command of ours runs the Pulumi CLI: in the project root, on the project's local file
 * backend unless the user set PULUMI_BACKEND_URL. `deploy` and `demo` must agree, or the demo asks
 * a backend where the deployed stack does not exist.
 */
export interface PulumiCall {
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const PULUMI_COMMAND = "pulumi";

/** The backend `deploy` creates stacks in when the user chose none. */
export const LOCAL_BACKEND_URL = `file://${path.join(PROJECT_ROOT, ".pulumi")}`;

export const PULUMI_MISSING_MESSAGE = [
  "the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/: `curl -fsSL https://get.pulumi.com | sh`",
  "or `brew install pulumi`). Without it, `npx falco-stack render --stack NAME --out DIR` still renders the",
  "Helm values and manifests for helm or GitOps.",
].join("\n");

export function pulumiCall(args: readonly string[], env: NodeJS.ProcessEnv): PulumiCall {
  const callEnv: NodeJS.ProcessEnv = { ...env };
  if (!callEnv.PULUMI_BACKEND_URL) callEnv.PULUMI_BACKEND_URL = LOCAL_BACKEND_URL;
  return { args: [...args], env: callEnv, cwd: PROJECT_ROOT };
}

/** The spawn error of a missing executable. */
export function isNotInstalled(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

/** Runs pulumi with the terminal attached; injectable so tests need no Pulumi CLI. */
export type AttachedPulumiRunner = (call: PulumiCall) => { status: number | null; error?: Error };

export const runPulumiAttached: AttachedPulumiRunner = (call) =>
  spawnSync(PULUMI_COMMAND, [...call.args], { stdio: "inherit", env: call.env, cwd: call.cwd });

export type PulumiCapture = { stdout: string; stderr: string; exitCode: number } | "not-installed";

/** Runs pulumi with its output captured; injectable so tests need no Pulumi CLI. */
export type CapturingPulumiRunner = (call: PulumiCall) => Promise<PulumiCapture>;

const CAPTURE_TIMEOUT_MS = 60_000;

export const capturePulumi: CapturingPulumiRunner = (call) =>
  new Promise((resolve, reject) => {
    execFile(
      PULUMI_COMMAND,
      [...call.args],
      { env: call.env, cwd: call.cwd, maxBuffer: 16 * 1024 * 1024, timeout: CAPTURE_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error && isNotInstalled(error)) return resolve("not-installed");
        if (error?.signal) {
          const why = error.killed
            ? `stopped after ${CAPTURE_TIMEOUT_MS / 1000} s`
            : `killed by ${error.signal}`;
          return resolve({ stdout: String(stdout), stderr: `pulumi ${why}\n${String(stderr)}`, exitCode: 1 });
        }
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: error ? Number(error.code) : 0 });
      },
    );
  });
