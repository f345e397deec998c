import type { Command } from "commander";
import { readStackConfig } from "../config/stack-file.ts";
import { ExitCode, UserError } from "./errors.ts";
import type { CommandResult } from "./main.ts";
import {
  isNotInstalled,
  pulumiCall,
  PULUMI_MISSING_MESSAGE,
  runPulumiAttached,
  type AttachedPulumiRunner,
} from "./pulumi-cli.ts";

export interface DeployOptions {
  stack: string;
  /** Extra arguments for `pulumi up`, e.g. --yes. */
  upArgs: readonly string[];
  env: NodeJS.ProcessEnv;
  run?: AttachedPulumiRunner;
}

/**
 * `pulumi up` for a stack: the local file backend (project `.pulumi/`) unless PULUMI_BACKEND_URL
 * is set, and the stack is created on first use. The config is checked offline first.
 */
export function deploy(options: DeployOptions): number {
  const run = options.run ?? runPulumiAttached;
  readStackConfig({ stack: options.stack });
  const pulumi = (args: readonly string[]): ReturnType<AttachedPulumiRunner> =>
    run(pulumiCall(args, options.env));

  const version = pulumi(["version"]);
  if (version.error) {
    if (isNotInstalled(version.error)) throw new UserError(PULUMI_MISSING_MESSAGE);
    throw new UserError(`cannot run the Pulumi CLI: ${version.error.message}`);
  }

  const select = pulumi(["stack", "select", "--create", options.stack]);
  if (select.status !== 0) return ExitCode.failed;
  const up = pulumi(["up", "--stack", options.stack, ...options.upArgs]);
  return up.status === 0 ? ExitCode.ok : ExitCode.failed;
}

/** `run`: how pulumi is run; tests pass a recorder. */
export function registerDeployCommand(
  program: Command,
  result: CommandResult,
  run: AttachedPulumiRunner = runPulumiAttached,
): void {
  program
    .command("deploy")
    .description("pulumi up for a stack (local file backend unless PULUMI_BACKEND_URL is set)")
    .requiredOption("--stack <name>", "stack to deploy: Pulumi.<name>.yaml")
    .argument("[pulumiArgs...]", "extra arguments for pulumi up, e.g. --yes or --diff")
    // Options deploy does not know are pulumi up's: `npm run deploy -- --stack dev --yes`.
    .allowUnknownOption()
    .action((pulumiArgs: string[], flags: { stack: string }) => {
      result.exitCode = deploy({ stack: flags.stack, upArgs: pulumiArgs, env: process.env, run });
    });
}
