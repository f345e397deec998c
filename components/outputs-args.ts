export type { OutputsArgs } from "./outputs-args.generated.ts";
