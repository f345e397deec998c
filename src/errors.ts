/** Exit codes shared by every command: see the CLI contract in the README. */
export const ExitCode = {
  ok: 0,
  /** The check or scenario ran and failed. */
  failed: 1,
  /** Bad usage, bad input file, unreachable server. */
  usage: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The base of every error meant for the user: its message is all they need (the CLI prints it
 * alone, never with a stack trace) and it carries the exit code the CLI ends with.
 */
export class FalcoStackError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A file or directory we were asked to write cannot be written; the message names it and says why. */
export class OutputPathError extends FalcoStackError {}

/** Errors whose message is all the user needs: no stack trace. */
export function isUserFacingError(error: unknown): error is FalcoStackError {
  return error instanceof FalcoStackError;
}
