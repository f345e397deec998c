import { Command, CommanderError } from "commander";
import { ExitCode, FalcoStackError } from "../errors.ts";
import { processIo, type CliIo } from "./io.ts";
import { redactUrlsIn } from "../redact.ts";

/** Each command's action sets its exit code here; main returns it so `bin/` can exit with it. */
export type CommandResult = { exitCode: number };

/** Registers a command; it writes through `io` (never to process.stdout directly). */
type Register = (program: Command, result: CommandResult, io: CliIo) => void;

/**
 * Command modules, loaded on demand: `render` should not pay for the Kubernetes and NATS clients
 * that `demo` and `events` load.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  render: async () => (await import("./render.ts")).registerRenderCommand,
  deploy: async () => {
    const { registerDeployCommand } = await import("./deploy.ts");
    // pulumi up writes to the terminal itself; deploy prints nothing of its own.
    return (program, result) => registerDeployCommand(program, result);
  },
  rules: async () => (await import("./rules.ts")).registerRulesCommands,
  demo: async () => (await import("./demo.ts")).registerDemoCommand,
  events: async () => (await import("./events.ts")).registerEventsCommand,
};

/** Builds the CLI with the named commands (all of them by default, e.g. for the top-level help). */
export async function buildProgram(
  result: CommandResult,
  commands: readonly string[] = Object.keys(COMMANDS),
  io: CliIo = processIo,
): Promise<Command> {
  const output = { writeOut: (text: string) => io.stdout(text), writeErr: (text: string) => io.stderr(text) };
  const program = new Command("falco-stack")
    .description("Falco runtime security on Kubernetes: render, deploy, rules, demo and events")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput(output);
  for (const name of commands) {
    const load = COMMANDS[name];
    if (load) (await load())(program, result, io);
  }
  const configure = (command: Command): void => {
    for (const sub of command.commands) {
      sub.configureOutput(output);
      configure(sub);
    }
  };
  configure(program);
  return program;
}

/**
 * What a command says on stderr (errors, progress, notices, warnings) never shows a credential
 * from a URL. Stdout is left as is: `events --json` prints events exactly as they were sent.
 */
export function redactingIo(io: CliIo): CliIo {
  return { stdout: (text) => io.stdout(text), stderr: (text) => io.stderr(redactUrlsIn(text)) };
}

/** Runs the CLI; returns the process exit code instead of exiting so tests can call it in-process. */
export async function main(argv: readonly string[], terminal: CliIo = processIo): Promise<number> {
  const io = redactingIo(terminal);
  const result: CommandResult = { exitCode: ExitCode.ok };
  const requested = argv[2];
  const program = await buildProgram(
    result,
    requested && requested in COMMANDS ? [requested] : undefined,
    io,
  );
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
    if (error instanceof FalcoStackError) {
      io.stderr(`falco-stack: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`falco-stack: unexpected error: ${message}\n`);
    return ExitCode.usage;
  }
}
