import * as pulumi from "@pulumi/pulumi";
import { FalcoSecurityStack } from "../components/falco-security-stack.ts";
import { readPulumiConfig } from "./config/pulumi-config.ts";
import { parseStackConfig } from "./config/schema.ts";
import { outputSecretPaths, PROJECT_ROOT, readStackFile } from "./config/stack-file.ts";
import { isUserFacingError } from "./errors.ts";
import { prepareStack } from "./stack-plan.ts";

/** The encrypted paths of the stack file, or undefined when it cannot be read (config from elsewhere). */
function securePathsOf(stack: string, projectRoot: string): Set<string> | undefined {
  try {
    return readStackFile({ stack, projectRoot }).securePaths;
  } catch {
    return undefined;
  }
}

/**
 * The program behind `index.ts`: reads the stack config once, checks rules and outputs, then builds
 * the stack and returns the stack outputs. Bad config or a broken rule stops here, before any
 * resource is registered. `projectRoot`: where `Pulumi.<stack>.yaml` and relative rule files are.
 */
export function runProgram(projectRoot: string = PROJECT_ROOT) {
  let stack: FalcoSecurityStack;
  try {
    const { raw, outputsAreSecret } = readPulumiConfig();
    const config = parseStackConfig(raw);
    const stackName = pulumi.getStack();
    // The engine says only that falco-stack:outputs holds a secret somewhere; the stack file says which leaf.
    const securePaths = securePathsOf(stackName, projectRoot);
    const prepared = prepareStack(config, {
      projectRoot,
      missingSecret: "error",
      ...(securePaths ? { secretPaths: outputSecretPaths(securePaths) } : { allSecret: outputsAreSecret }),
      stack: stackName,
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
