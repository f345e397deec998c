import fs from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { CONFIG_NAMESPACE, ConfigError, misspelledNamespaceIssues, type ConfigIssue } from "./errors.ts";
import { parseStackConfig, type StackConfig } from "./schema.ts";
import { FalcoStackError } from "../errors.ts";
import { PACKAGE_ROOT } from "../package-root.ts";

/**
 * The project root: where `Pulumi.yaml`, `rules/` and `values/` are. This repo's own program and CLI
 * use it; a program that imports the package passes its own root (its cwd) instead.
 */
export const PROJECT_ROOT = PACKAGE_ROOT;

export interface StackFileOptions {
  /** Stack name: reads `Pulumi.<stack>.yaml` in the project root. */
  stack?: string;
  /** Any Pulumi stack file; wins over `stack` for the location. */
  file?: string;
  /** Defaults to the project root. */
  projectRoot?: string;
}

export interface RawStackFile {
  /** The file read. */
  file: string;
  /** Stack name (from `stack`, or from the file name `Pulumi.<name>.yaml`). */
  stack: string;
  /** `falco-stack:*` values as written, without the namespace, secure leaves removed. */
  raw: Record<string, unknown>;
  /** Dot paths (e.g. `outputs.slack.webhookurl`) whose values are encrypted (`secure:`) and cannot be read offline. */
  securePaths: Set<string>;
}

export interface StackFile extends RawStackFile {
  config: StackConfig;
}

/** A problem in a stack file that is not about a config key: unreadable file or broken YAML. */
export class StackFileError extends FalcoStackError {}

function stackNameFromFile(file: string): string {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
  return match?.[1] ?? path.basename(file).replace(/\.ya?ml$/, "");
}

/** Copies a YAML node into plain data, dropping `{secure: ...}` leaves and recording where they were. */
function toPlain(node: Node | null | undefined, at: string[], securePaths: Set<string>): unknown {
  if (!node) return null;
  if (isMap(node)) {
    const pairs = node.items;
    const onlyKey = pairs.length === 1 ? pairs[0]?.key : undefined;
    if (isScalar(onlyKey) && onlyKey.value === "secure") {
      securePaths.add(at.join("."));
      return undefined;
    }
    const result: Record<string, unknown> = {};
    for (const pair of pairs) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = toPlain(pair.value as Node, [...at, key], securePaths);
      if (value !== undefined) result[key] = value;
    }
    return result;
  }
  if (isSeq(node))
    return node.items.map((item, index) => toPlain(item as Node, [...at, String(index)], securePaths));
  if (isScalar(node)) return node.value;
  return node.toJSON();
}

/** Reads a Pulumi stack file offline: the `falco-stack:*` values as written, not yet validated. */
export function readStackFile(options: StackFileOptions): RawStackFile {
  const root = options.projectRoot ?? PROJECT_ROOT;
  if (!options.file && !options.stack)
    throw new StackFileError("name a stack (--stack NAME) or a stack file (--config FILE)");
  const file = path.resolve(options.file ?? path.join(root, `Pulumi.${options.stack}.yaml`));
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    const known = listStacks(root);
    const hint = known.length > 0 ? `; stacks here: ${known.join(", ")}` : "";
    throw new StackFileError(`cannot read stack file ${file}${hint}`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const firstError = document.errors[0];
  if (firstError) {
    const { line, col } = lineCounter.linePos(firstError.pos[0]);
    throw new StackFileError(`${file}:${line}:${col}: ${firstError.message.split("\n")[0]}`);
  }
  const securePaths = new Set<string>();
  const raw: Record<string, unknown> = {};
  const configNode = isMap(document.contents) ? document.contents.get("config", true) : undefined;
  if (configNode !== undefined && configNode !== null && !isMap(configNode)) {
    throw new StackFileError(`${file}: "config" must be a map of keys such as ${CONFIG_NAMESPACE}:namespace`);
  }
  const keys: string[] = [];
  if (isMap(configNode)) {
    for (const pair of configNode.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      keys.push(key);
      if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
      const name = key.slice(CONFIG_NAMESPACE.length + 1);
      const value = toPlain(pair.value as Node, [name], securePaths);
      if (value !== undefined) raw[name] = value;
    }
  }
  const misspelled = misspelledNamespaceIssues(keys);
  if (misspelled.length > 0) throw new ConfigError(withFile(misspelled, file));
  return { file, stack: options.stack ?? stackNameFromFile(file), raw, securePaths };
}

/** Reads a Pulumi stack file offline, validates `falco-stack:*` and applies defaults. */
export function readStackConfig(options: StackFileOptions): StackFile {
  const stackFile = readStackFile(options);
  try {
    return { ...stackFile, config: parseStackConfig(stackFile.raw) };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(withFile(error.issues, stackFile.file));
    throw error;
  }
}

/** Says which file a config issue comes from. */
export function withFile(issues: readonly ConfigIssue[], file: string): ConfigIssue[] {
  return issues.map((issue) => ({ ...issue, message: `${issue.message} (in ${file})` }));
}

/** The secure paths under `outputs`, relative to it (`slack.webhookurl`), as `planOutputs` takes them. */
export function outputSecretPaths(securePaths: ReadonlySet<string>): Set<string> {
  const prefix = "outputs.";
  return new Set([...securePaths].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)));
}

/** Stack names with a `Pulumi.<name>.yaml` in the project root. */
export function listStacks(projectRoot: string = PROJECT_ROOT): string[] {
  try {
    return fs
      .readdirSync(projectRoot)
      .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort();
  } catch {
    return [];
  }
}
