/**
 * The falco-stack library: Pulumi components and the pure functions behind them.
 * Importing this module registers no resources; the Pulumi program is `index.ts`.
 */
export { ConfigError, type ConfigIssue } from "./src/config/errors.ts";
