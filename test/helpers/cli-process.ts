import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "./shared.ts";

export interface ProcessOutcome {
  /** Exit code, or null when the process had to be killed. */
  code: number | null;
  /** True when it did not exit by itself within `killAfterMs`. */
  hung: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/falco-stack.cjs` as its own process, as a user would, and kills it when it has not
 * exited by itself after `killAfterMs` (a hang is then reported, not waited out).
 */
export function runBin(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {},
): Promise<ProcessOutcome> {
  const child = spawn(process.execPath, [path.join(projectRoot, "bin", "falco-stack.cjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let hung = false;
  const killer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.killAfterMs ?? 20_000);
  return new Promise((resolve) => {
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code: hung ? null : code, hung, stdout, stderr });
    });
  });
}
