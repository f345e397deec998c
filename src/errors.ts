import { ConfigError } from "./config/errors.ts";
import { StackFileError } from "./config/stack-file.ts";
import { RulesValidationError } from "./falco-rules/validate.ts";

/** A file or directory we were asked to write cannot be written; the message names it and says why. */
export class OutputPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputPathError";
  }
}

/** Errors whose message is all the user needs: no stack trace. */
export function isUserFacingError(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof StackFileError ||
    error instanceof RulesValidationError ||
    error instanceof OutputPathError
  );
}
