import * as pulumi from "@pulumi/pulumi";
import { FalcoSecurityStack } from "../components/falco-security-stack.ts";
import { readPulumiConfig } from "./config/pulumi-config.ts";
import { parseStackConfig } from "./config/schema.ts";
import { PROJECT_ROOT } from "./config/stack-file.ts";
import { isUserFacingError } from "./errors.ts";
import { prepareStack } from "./stack-plan.ts";

/**
 * The program behind `index.ts`: reads the stack config once, checks rules and outputs, then builds
 * the stack and returns the stack outputs. Bad config or a broken rule stops here, before any
 * resource is registered.
 */
export function runProgram() {
  let stack: FalcoSecurityStack;
  try {
    const { raw, outputsAreSecret } = readPulumiConfig();
    const config = parseStackConfig(raw);
    const prepared = prepareStack(config, {
      projectRoot: PROJECT_ROOT,
      missingSecret: "error",
      allSecret: outputsAreSecret,
      stack: pulumi.getStack(),
    });
    for (const warning of prepared.warnings) void pulumi.log.warn(warning);
    stack = new FalcoSecurityStack("falco-stack", prepared);
  } catch (error) {
    // A clean message, instead of the source text and stack trace Pulumi prints for unhandled errors.
    if (isUserFacingError(error)) throw new pulumi.RunError(error.message);
    throw error;
  }
  return {
    ...stack.summary,
    uiUser: stack.sidekick.uiUser,
    uiPassword: stack.sidekick.uiPassword,
  };
}
