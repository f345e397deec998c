import { FalcoStackError } from "../errors.ts";
/** The cluster cannot be reached or refused a call; the message names what and why. */
export class KubeError extends FalcoStackError {}
