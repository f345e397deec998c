import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
// The gRPC client and messages the Pulumi engine uses to talk to a provider (deps of @pulumi/pulumi).
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { projectRoot } from "./shared.ts";

/** A property as the Pulumi package schema writes it. */
export interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  optional?: boolean;
  /** Plain: the generated SDKs take a value, not an Output. */
  plain?: boolean;
  description?: string;
}

export interface SchemaResource {
  isComponent: boolean;
  description?: string;
  inputProperties: Record<string, SchemaProperty>;
  requiredInputs: string[];
  properties: Record<string, SchemaProperty>;
  required: string[];
}

export interface SchemaType {
  type: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  enum?: { name: string; value: string | number; description?: string }[];
}

export interface PackageSchema {
  name: string;
  version: string;
  namespace?: string;
  resources: Record<string, SchemaResource>;
  types: Record<string, SchemaType>;
  dependencies: { name: string; version?: string }[];
}

/** The module the plugin host loads: `require(<plugin dir>)`, that is package.json `main`. */
function loadEntry(dir: string): unknown {
  return createRequire(__filename)(dir);
}

/** The provider name and namespace the Node SDK's plugin host derives from package.json `name`. */
export function providerIdentity(packageName: string): { name: string; namespace?: string } {
  // As @pulumi/pulumi cmd/run-plugin: `@scope/pkg` is namespace `scope`, name `pkg`.
  const match = /^(@(.*?)\/)?(.+)$/.exec(packageName);
  const name = (match?.[3] ?? packageName).replace(/[^-a-zA-Z0-9_]/g, "-");
  return match?.[2] ? { name, namespace: match[2] } : { name };
}

/**
 * The schema `pulumi package add` would get for the package in `dir` (default: this one): the
 * components the plugin host finds in the exports of package.json `main`, analysed by the SDK's
 * component analyzer against the package's tsconfig.json. `components` narrows it to some of them.
 * Throws what the analyzer throws, e.g. "Union types are not supported for component ...".
 */
export async function analyzeComponents(
  options: { dir?: string; components?: readonly string[] } = {},
): Promise<PackageSchema> {
  const dir = path.resolve(options.dir ?? projectRoot);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string };
  const entry = loadEntry(dir);
  const found = getPulumiComponents(entry);
  const components = options.components
    ? found.filter((component) => options.components?.includes(component.name))
    : found;
  const provider = new ComponentProvider({ ...providerIdentity(manifest.name), dirname: dir, components });
  return JSON.parse(await provider.getSchema()) as PackageSchema;
}

export interface PluginHost {
  /** The version the provider reports (GetPluginInfo). */
  pluginInfo(): Promise<string>;
  /** The schema the provider serves (GetSchema), as `pulumi package add` asks for it. */
  schema(): Promise<PackageSchema>;
  stop(): void;
}

/**
 * Starts the package the way pulumi-language-nodejs runs a source-based plugin:
 * `node @pulumi/pulumi/cmd/run-plugin <plugin dir>`, which prints the port of its gRPC provider.
 */
export async function startPluginHost(dir: string = projectRoot): Promise<PluginHost> {
  const child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-plugin"), dir], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const port = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) =>
      reject(new Error(`the plugin host exited (${code}) before serving: ${stderr}`)),
    );
  });
  const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    pluginInfo: () =>
      new Promise((resolve, reject) =>
        client.getPluginInfo(new Empty(), (error, info) =>
          error ? reject(error) : resolve(info.getVersion()),
        ),
      ),
    schema: () =>
      new Promise((resolve, reject) =>
        client.getSchema(new GetSchemaRequest(), (error, response) =>
          error ? reject(error) : resolve(JSON.parse(response.getSchema()) as PackageSchema),
        ),
      ),
    stop: () => {
      client.close();
      child.kill();
    },
  };
}
