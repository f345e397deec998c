import { FalcoStackError } from "../errors.ts";

export { ExitCode, type ExitCodeValue } from "../errors.ts";

/** A usage mistake found by a command itself (a missing flag, flags that exclude each other). */
export class UserError extends FalcoStackError {}
