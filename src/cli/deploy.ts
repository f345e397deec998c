import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import path from "node:path";
import type { Command } from "commander";
import { readStackConfig, PROJECT_ROOT } from "../config/stack-file.ts";
import { isUserFacingError } from "../errors.ts";
import { ExitCode, UserError } from "./errors.ts";
import type { CommandResult } from "./main.ts";

/** Runs a command with the terminal attached; injectable so tests need no Pulumi CLI. */
export type Runner = (
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
) => Pick<SpawnSyncReturns<Buffer>, "status" | "error">;

const runAttached: Runner = (command, args, env) =>
  spawnSync(command, args, { stdio: "inherit", env, cwd: PROJECT_ROOT });

export const PULUMI_MISSING_MESSAGE = [
  "the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/: `curl -fsSL https://get.pulumi.com | sh`",
  "or `brew install pulumi`). Without it, `npx falco-stack render --stack NAME --out DIR` still renders the",
  "Helm values and manifests for helm or GitOps.",
].join("\n");

export interface DeployOptions {
  stack: string;
  /** Extra arguments for `pulumi up`, e.g. --yes. */
  upArgs: readonly string[];
  env: NodeJS.ProcessEnv;
  run?: Runner;
}

/**
 * `pulumi up` for a stack: the local file backend (project `.pulumi/`) unless PULUMI_BACKEND_URL
 * is set, and the stack is created on first use. The config is checked offline first.
 */
export function deploy(options: DeployOptions): number {
  const run = options.run ?? runAttached;
  try {
    readStackConfig({ stack: options.stack });
  } catch (error) {
    if (isUserFacingError(error)) throw new UserError(error.message);
    throw error;
  }
  const env: NodeJS.ProcessEnv = { ...options.env };
  if (!env.PULUMI_BACKEND_URL) env.PULUMI_BACKEND_URL = `file://${path.join(PROJECT_ROOT, ".pulumi")}`;

  const version = run("pulumi", ["version"], env);
  if (version.error) throw new UserError(PULUMI_MISSING_MESSAGE);

  const select = run("pulumi", ["stack", "select", "--create", options.stack], env);
  if (select.status !== 0) return ExitCode.failed;
  const up = run("pulumi", ["up", "--stack", options.stack, ...options.upArgs], env);
  return up.status === 0 ? ExitCode.ok : ExitCode.failed;
}

export function registerDeployCommand(program: Command, result: CommandResult): void {
  program
    .command("deploy")
    .description("pulumi up for a stack (local file backend unless PULUMI_BACKEND_URL is set)")
    .requiredOption("--stack <name>", "stack to deploy: Pulumi.<name>.yaml")
    .argument("[pulumiArgs...]", "extra arguments for pulumi up (after --), e.g. -- --yes")
    .action((pulumiArgs: string[], flags: { stack: string }) => {
      result.exitCode = deploy({ stack: flags.stack, upArgs: pulumiArgs, env: process.env });
    });
}
