import { Command, CommanderError } from "commander";
import { ExitCode, UserError } from "./errors.ts";
import { registerDeployCommand } from "./deploy.ts";
import { registerRenderCommand } from "./render.ts";
import { registerRulesCommands } from "./rules.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerEventsCommand } from "./events.ts";

/** Each command's action resolves to its exit code; main stores it so `bin/` can exit with it. */
export type CommandResult = { exitCode: number };

export function buildProgram(result: CommandResult): Command {
  const program = new Command("falco-stack")
    .description("Falco runtime security on Kubernetes: render, rules, demo and events")
    .showHelpAfterError()
    .exitOverride();
  registerRenderCommand(program, result);
  registerDeployCommand(program, result);
  registerRulesCommands(program, result);
  registerDemoCommand(program, result);
  registerEventsCommand(program, result);
  return program;
}

/** Runs the CLI; returns the process exit code instead of exiting so tests can call it in-process. */
export async function main(argv: readonly string[]): Promise<number> {
  const result: CommandResult = { exitCode: ExitCode.ok };
  const program = buildProgram(result);
  try {
    await program.parseAsync([...argv]);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; everything else commander reports is a usage error.
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    if (error instanceof UserError) {
      process.stderr.write(`falco-stack: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`falco-stack: unexpected error: ${message}\n`);
    return ExitCode.usage;
  }
}
