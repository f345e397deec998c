/**
 * The rules toolkit as it ships: the built package (`npm run bench` builds it first). Through
 * tsx's transform our side of every ratio would also pay for its helpers (a `__name` call per
 * closure created), which the `yaml` library's side never does.
 */
export * from "../dist/src/falco-rules/index.js";
export { runRulesTest } from "../dist/src/cli/rules-test.js";
export { withPlainProcessEnv } from "../dist/src/falco-rules/load/yaml-env.js";
