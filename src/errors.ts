import { ConfigError } from "./config/errors.ts";
import { StackFileError } from "./config/stack-file.ts";
import { RulesValidationError } from "./falco-rules/validate.ts";

/** Errors whose message is all the user needs: no stack trace. */
export function isUserFacingError(error: unknown): error is Error {
  return (
    error instanceof ConfigError || error instanceof StackFileError || error instanceof RulesValidationError
  );
}
