import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, as the engine would see it. */
export interface Registered {
  type: string;
  name: string;
  /** Inputs with secret wrappers removed (see `secretInputs` for which were secret). */
  inputs: Record<string, unknown>;
  /** Top-level input names that reached the engine as secrets. */
  secretInputs: string[];
  /** `type::name` of the parent, or undefined for the stack itself. */
  parent?: string;
  /** `type::name` of each explicit dependsOn. */
  dependsOn: string[];
  /** The provider reference the engine got for a custom resource (`urn::id`), when not the default. */
  provider?: string;
}

export interface ProgramRun {
  resources: Registered[];
  outputs: Record<string, unknown>;
  /** Output names whose values are secret. */
  secretOutputs: string[];
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecret(value: unknown): { value: unknown; secret: boolean } {
  if (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  ) {
    return { value: (value as Record<string, unknown>).value, secret: true };
  }
  return { value, secret: false };
}

export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => {
    pulumi.output(output).apply((value) => {
      resolve(value as T);
      return value;
    });
  });
}

function typeAndName(urn: string): string {
  // urn:pulumi:<stack>::<project>::<parent types $ separated>$<type>::<name>
  const [, , qualifiedType = "", ...name] = urn.split("::");
  return `${qualifiedType.split("$").pop()}::${name.join("::")}`;
}

/**
 * Runs `program` under `pulumi.runtime.setMocks` with the given stack config, the way the engine
 * would, and returns every registered resource with its inputs, parent and explicit dependencies.
 */
export async function runUnderMocks(
  program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
  config: Record<string, string>,
  options: { stack?: string; secretKeys?: string[] } = {},
): Promise<ProgramRun> {
  const recorded: { type: string; name: string; inputs: Record<string, unknown>; provider?: string }[] = [];
  const links: { type: string; name: string; parent?: pulumi.Resource; dependsOn: pulumi.Resource[] }[] = [];
  pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          provider: args.provider,
        });
        const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
        if (args.type === "random:index/randomPassword:RandomPassword")
          state.result = `mock-password-${args.name}`;
        if (args.type === "random:index/randomString:RandomString") state.result = "mockuser";
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    "falco-stack",
    options.stack ?? "test",
    false,
  );
  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const dependsOn = args.opts.dependsOn;
      const list = Array.isArray(dependsOn) ? dependsOn : dependsOn ? [dependsOn] : [];
      links.push({
        type: args.type,
        name: args.name,
        parent: args.opts.parent,
        dependsOn: list.filter((item): item is pulumi.Resource => pulumi.Resource.isInstance(item)),
      });
      return undefined;
    });
    // The engine drops undefined stack outputs; so does this helper.
    outputs = Object.fromEntries(Object.entries(await program()).filter(([, value]) => value !== undefined));
    return outputs;
  });
  // Like the engine at the end of a run: wait until every registration has reached the mocks.
  await pulumi.runtime.disconnect();
  const resources: Registered[] = [];
  for (const record of recorded) {
    const link = links.find((candidate) => candidate.type === record.type && candidate.name === record.name);
    const inputs: Record<string, unknown> = {};
    const secretInputs: string[] = [];
    for (const [key, raw] of Object.entries(record.inputs)) {
      const { value, secret } = unwrapSecret(raw);
      inputs[key] = value;
      if (secret) secretInputs.push(key);
    }
    resources.push({
      type: record.type,
      name: record.name,
      inputs,
      secretInputs,
      parent: link?.parent ? typeAndName(await valueOf(link.parent.urn)) : undefined,
      dependsOn: await Promise.all(
        (link?.dependsOn ?? []).map(async (r) => typeAndName(await valueOf(r.urn))),
      ),
      ...(record.provider ? { provider: record.provider } : {}),
    });
  }
  const resolved: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(outputs)) {
    resolved[key] = await valueOf(value);
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
  }
  return { resources, outputs: resolved, secretOutputs };
}

/**
 * Runs a program that must fail before it registers anything: returns its error and how many
 * resources reached the mocks (the engine would have deployed them).
 */
export async function failureUnderMocks(
  program: () => unknown,
  config: Record<string, string>,
  options: { stack?: string; secretKeys?: string[] } = {},
): Promise<{ error: unknown; registered: number; types: string[] }> {
  const types: string[] = [];
  pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        types.push(args.type);
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    "falco-stack",
    options.stack ?? "test",
    false,
  );
  try {
    program();
  } catch (error) {
    // Registrations are asynchronous: let the ones already started reach the mocks.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { error, registered: types.length, types };
  }
  throw new Error("the program did not fail");
}

/** The config map `pulumi up` would hand the program for a stack file's `falco-stack:*` values. */
export function pulumiConfigFrom(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [
      `falco-stack:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}
