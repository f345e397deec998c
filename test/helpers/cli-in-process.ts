import { Command, CommanderError } from "commander";
import { FalcoStackError } from "../../src/errors.ts";
import type { CliIo } from "../../src/cli/io.ts";
import type { CommandResult } from "../../src/cli/main.ts";
import { redactUrlsIn } from "../../src/redact.ts";

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessCli {
  /** Resolves once stderr has printed a match (e.g. the "following ..." notice). */
  stderrMatches(pattern: RegExp): Promise<void>;
  done: Promise<CliOutcome>;
}

type Register = (program: Command, result: CommandResult, io: CliIo) => void;

/**
 * Runs one command module in-process with captured output, mapping errors to exit codes the way
 * `src/cli/main.ts` does (usage errors 2, UserError its own code, its message alone on stderr).
 */
export function runCommand(register: Register, args: readonly string[]): InProcessCli {
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    // As src/cli/main.ts does (redactingIo): nothing on stderr shows a credential from a URL.
    stderr: (raw) => {
      const text = redactUrlsIn(raw);
      stderr += text;
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(stderr))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
  };
  const result: CommandResult = { exitCode: 0 };
  const program = new Command("falco-stack").exitOverride().configureOutput({
    writeOut: (text) => io.stdout(text),
    writeErr: (text) => io.stderr(text),
  });
  register(program, result, io);
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  }
  const done = (async (): Promise<CliOutcome> => {
    try {
      await program.parseAsync(["node", "falco-stack", ...args]);
      return { code: result.exitCode, stdout, stderr };
    } catch (error) {
      if (error instanceof CommanderError)
        return { code: error.code === "commander.helpDisplayed" ? 0 : 2, stdout, stderr };
      if (error instanceof FalcoStackError) {
        io.stderr(`falco-stack: ${error.message}\n`);
        return { code: error.exitCode, stdout, stderr };
      }
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      io.stderr(`falco-stack: unexpected error: ${message}\n`);
      return { code: 2, stdout, stderr };
    }
  })();
  return {
    done,
    stderrMatches(pattern) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void done.then((outcome) =>
          reject(new Error(`command ended (${outcome.code}) before printing ${pattern}: ${outcome.stderr}`)),
        );
      });
    },
  };
}

/** No stack trace may reach the user. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}
