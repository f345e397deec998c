import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { PROJECT_ROOT, readStackConfig } from "../config/stack-file.ts";
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

/** What tsconfig.build.json compiles into dist/; Pulumi.yaml runs dist/index.js. */
const PROGRAM_SOURCES = ["library.ts", "index.ts", "provider.ts", "components", "src"];
const BUILT_PROGRAM = path.join("dist", "index.js");

function newestSource(file: string): { file: string; mtimeMs: number } | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return file.endsWith(".ts") ? { file, mtimeMs: stat.mtimeMs } : undefined;
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const entry of fs.readdirSync(file)) {
    const candidate = newestSource(path.join(file, entry));
    if (candidate && (!newest || candidate.mtimeMs > newest.mtimeMs)) newest = candidate;
  }
  return newest;
}

/**
 * Why `pulumi up` would run a missing or outdated program, or undefined when dist/ is current.
 * Pulumi runs the compiled dist/index.js and builds nothing itself.
 */
export function buildProblem(root: string = PROJECT_ROOT): string | undefined {
  const howTo = "run `npm run build` (`npm run deploy` builds first)";
  let built: fs.Stats;
  try {
    built = fs.statSync(path.join(root, BUILT_PROGRAM));
  } catch {
    return `the compiled program ${BUILT_PROGRAM} is missing: ${howTo}`;
  }
  for (const source of PROGRAM_SOURCES) {
    const newest = newestSource(path.join(root, source));
    if (newest && newest.mtimeMs > built.mtimeMs) {
      return `the compiled program in dist/ is older than ${path.relative(root, newest.file)}: ${howTo}`;
    }
  }
  return undefined;
}

/**
 * `pulumi up` for a stack: the local file backend (project `.pulumi/`) unless PULUMI_BACKEND_URL
 * is set, and the stack is created on first use. The config and the build are checked offline first.
 */
export function deploy(options: DeployOptions): number {
  const run = options.run ?? runPulumiAttached;
  readStackConfig({ stack: options.stack });
  const stale = buildProblem();
  if (stale) throw new UserError(stale);
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
