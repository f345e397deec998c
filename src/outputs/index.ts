/** The falcosidekick outputs layer: catalog, validation and the values/Secret split. No Pulumi import. */
export {
  ACKNOWLEDGE_PLAINTEXT_KEY,
  CHART_OUTPUT_KEYS,
  DEFAULT_PRIORITY,
  OUTPUT_NAMES,
  OUTPUTS,
  PASSTHROUGH_KEY,
  PRIORITIES,
  RENDER_ENV_PREFIX,
  SECRET_REQUIRED,
  envName,
  type KeySpec,
  type OutputName,
  type OutputSpec,
  type Priority,
  type Sensitivity,
  type ValueKind,
} from "./catalog.ts";
export { parsePriority } from "./schema.ts";
export { closest } from "../config/suggest.ts";
export {
  PLACEHOLDER_MARKER,
  isSecretPlaceholder,
  placeholderText,
  planOutputs,
  secretCommand,
  secretEnvForRender,
  type OutputsPlan,
  type PlanOptions,
  type SecretPlaceholder,
} from "./planner.ts";
