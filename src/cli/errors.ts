/** Exit codes shared by every command: see the CLI contract in the README. */
export const ExitCode = {
  ok: 0,
  /** The check or scenario ran and failed. */
  failed: 1,
  /** Bad usage, bad input file, unreachable server. */
  usage: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: printed as its message alone, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = "UserError";
  }
}
