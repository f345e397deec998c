/**
 * Generates `components/outputs-args.generated.ts`: the typed `outputs` argument of the component,
 * one interface per falcosidekick output, from the outputs catalog (`src/outputs/catalog.ts`).
 *
 *   npx tsx scripts/gen-outputs-args.ts      (npm run gen:outputs-args)
 *
 * `test/outputs/outputs-args.test.ts` regenerates the file in memory and fails when the committed one differs.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import {
  ACKNOWLEDGE_PLAINTEXT_KEY,
  AWS_PASSTHROUGH_BLOCKS,
  DEFAULT_PRIORITY,
  OUTPUT_NAMES,
  OUTPUTS,
  PASSTHROUGH_KEY,
  PRIORITIES,
  type KeySpec,
  type OutputName,
  type ValueKind,
} from "../src/outputs/catalog.ts";

const root = path.resolve(__dirname, "..");
export const TARGET = path.join(root, "components", "outputs-args.generated.ts");

export const SENSITIVE_NOTE = "Sensitive: kept in a Kubernetes Secret, never in chart values.";

/** Interface-name stems where capitalising the output name reads badly. */
const STEMS: Partial<Record<OutputName, string>> = { googlechat: "GoogleChat" };

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const stem = (name: OutputName): string => STEMS[name] ?? capitalise(name);
const input = (type: string): string => `pulumi.Input<${type}>`;

/**
 * Choice lists as named `as const` objects with a type of the same name: the component analyzer
 * (`pulumi package add`) refuses literal unions but turns these into schema enums, and TypeScript
 * callers still write the plain string. Declared before the interfaces that use them.
 */
const enums = new Map<string, readonly string[]>();

function memberName(value: string): string {
  const words = value.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((word) => capitalise(word.toLowerCase())).join("");
  return name === "" ? "None" : /^\d/.test(name) ? `V${name}` : name;
}

function enumType(typeName: string, values: readonly string[]): string {
  enums.set(typeName, values);
  return typeName;
}

function enumDeclarations(): string[] {
  return [...enums].map(([typeName, values]) => {
    const members = values.map((value) => `${memberName(value)}: ${JSON.stringify(value)},`).join("\n");
    return `export const ${typeName} = {\n${members}\n} as const;\nexport type ${typeName} = (typeof ${typeName})[keyof typeof ${typeName}];`;
  });
}

/** The TypeScript type a user writes for a leaf of this kind (`enumName` names its choice list). */
function leafType(kind: ValueKind, enumName: string): string {
  switch (kind.type) {
    case "string":
    case "httpUrl":
    case "natsUrl":
    case "mqttBroker":
    case "hostPort":
    case "hostPortList":
    case "email":
    case "emailList":
    case "duration":
    case "awsRegion":
    case "s3Bucket":
    case "arn":
      return input("string");
    case "enum":
      return input(enumType(enumName, kind.values));
    case "boolean":
      return input("boolean");
    // The planner also takes digit strings; one type keeps the component schema free of unions.
    case "integer":
    case "integerString":
      return input("number");
    case "priority":
      return input(enumType("Priority", PRIORITIES));
    // The planner also takes `Key:value,Key:value` text; a map only, to avoid a string | map union.
    case "headers":
      return `{ readonly [name: string]: ${input("string")} }`;
  }
}

/** The default a catalog entry states, as a TSDoc `@default` value, or undefined when it states none. */
function defaultOf(spec: KeySpec, where: string): string | undefined {
  const { kind, doc } = spec;
  if (kind.type === "priority") return JSON.stringify(DEFAULT_PRIORITY);
  // "(default 3)", "(chart default true)", "(default debug: everything)"; not "(default: the webhook's)".
  // "all (default), text or fields", "Go duration, e.g. 1s (default)".
  const raw =
    /\((?:chart )?default ([^\s;)]+)/.exec(doc)?.[1]?.replace(/[:,]$/, "") ??
    /(\S+) \(default\)/.exec(doc)?.[1];
  if (raw === undefined) return undefined;
  const fail = (): never => {
    throw new Error(`catalog: ${where}: stated default "${raw}" does not fit its kind ${kind.type}`);
  };
  switch (kind.type) {
    case "boolean":
      return raw === "true" || raw === "false" ? raw : fail();
    case "integer":
    case "integerString":
      return /^\d+$/.test(raw) ? raw : fail();
    case "enum": {
      const found = kind.values.find((value) => value.toLowerCase() === raw.toLowerCase());
      return found === undefined ? fail() : JSON.stringify(found);
    }
    case "headers":
      return fail();
    default:
      return JSON.stringify(raw);
  }
}

function jsdoc(lines: readonly string[]): string {
  const body = lines.map((line) => ` * ${line.replace(/\*\//g, "*\\/")}`.trimEnd()).join("\n");
  return `/**\n${body}\n */`;
}

/** A catalog doc line, verbatim (it often starts with a URL scheme or a value), ended with a full stop. */
const sentence = (doc: string): string => (/[.!?]$/.test(doc.trim()) ? doc.trim() : `${doc.trim()}.`);

/** `a`, `a and b`, `a, b and c`. */
function list(items: readonly string[]): string {
  const quoted = items.map((item) => `\`${item}\``);
  return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}

function keyDoc(spec: KeySpec, where: string): string {
  const lines = [sentence(spec.doc)];
  if (spec.kind.type === "headers") lines.push("Given here as a map of header names to values.");
  if (spec.sensitive !== undefined) lines.push("", SENSITIVE_NOTE);
  const fallback = defaultOf(spec, where);
  if (fallback !== undefined) lines.push(`@default ${fallback}`);
  return jsdoc(lines);
}

interface Tree {
  [key: string]: Tree | KeySpec;
}

const isSpec = (node: Tree | KeySpec): node is KeySpec => "kind" in node && "doc" in node;

/** Dotted catalog paths as nested objects, in catalog order. */
function treeOf(name: OutputName): Tree {
  const tree: Tree = {};
  for (const [keyPath, spec] of Object.entries(OUTPUTS[name].keys)) {
    const parts = keyPath.split(".");
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      const next = (node[part] ??= {});
      if (isSpec(next)) throw new Error(`catalog: ${name}.${keyPath} nests under a leaf`);
      node = next;
    }
    const last = parts.at(-1);
    if (last !== undefined) node[last] = spec;
  }
  return tree;
}

const propertyName = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));

/** One interface per block of an output; nested blocks become their own interfaces, emitted after it. */
function interfaces(name: OutputName): string[] {
  const spec = OUTPUTS[name];
  const emitted: string[] = [];
  const emit = (typeName: string, tree: Tree, at: readonly string[]): void => {
    const members: string[] = [];
    const nested: [string, Tree, string[]][] = [];
    for (const [key, node] of Object.entries(tree)) {
      const keyPath = [...at, key];
      const where = [name, ...keyPath].join(".");
      if (isSpec(node)) {
        const enumName = `${stem(name)}${keyPath.map(capitalise).join("")}`;
        members.push(
          `${keyDoc(node, where)}\nreadonly ${propertyName(key)}?: ${leafType(node.kind, enumName)};`,
        );
        continue;
      }
      const childName = `${stem(name)}${keyPath.map(capitalise).join("")}OutputArgs`;
      members.push(
        `${jsdoc([`The chart's \`config.${where}\` block.`])}\nreadonly ${propertyName(key)}?: ${childName};`,
      );
      nested.push([childName, node, keyPath]);
    }
    if (at.length === 0) {
      members.push(
        `${jsdoc([
          "Silences the plain-text warning for this output's sensitive settings; changes nothing else",
          "(our own key, not a chart key: the values still go to the Secret).",
          "@default false",
        ])}\nreadonly ${ACKNOWLEDGE_PLAINTEXT_KEY}?: ${input("boolean")};`,
      );
    }
    const title =
      at.length === 0
        ? [
            `${spec.title} output settings, the chart's \`config.${name}\` block.`,
            `On when given; it needs ${list(spec.essential)}.`,
          ]
        : [`${spec.title}: the chart's \`config.${[name, ...at].join(".")}\` block.`];
    emitted.push(`${jsdoc(title)}\nexport interface ${typeName} {\n${members.join("\n\n")}\n}`);
    for (const [childName, child, keyPath] of nested) emit(childName, child, keyPath);
  };
  emit(`${stem(name)}OutputArgs`, treeOf(name), []);
  return emitted;
}

function outputsArgs(): string {
  const members = OUTPUT_NAMES.map(
    (name) => `${jsdoc([`${OUTPUTS[name].title}.`])}\nreadonly ${name}?: ${stem(name)}OutputArgs;`,
  );
  members.push(
    `${jsdoc([
      "Other falcosidekick chart outputs (e.g. teams, pagerduty), keyed and spelled as in the chart's",
      "`config:` block and passed through unvalidated; under `aws`, only the other AWS outputs:",
      `${AWS_PASSTHROUGH_BLOCKS.join(", ")}.`,
      "Keys that look like credentials or addresses go to the Secret instead of chart values.",
    ])}\n// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form chart settings: the component analyzer maps only \`any\` to a schema's Any\nreadonly ${PASSTHROUGH_KEY}?: { readonly [output: string]: { readonly [key: string]: any } };`,
    `${jsdoc([
      "Name of a Secret you manage (External Secrets, sealed-secrets) holding the outputs' sensitive settings",
      "under falcosidekick's env names (see docs/outputs.md); when set, no outputs Secret is created and",
      "sensitive settings must not be given here.",
    ])}\nreadonly existingSecret?: ${input("string")};`,
  );
  return `${jsdoc([
    "The falcosidekick outputs: an output is on when its block is given. Keys mirror the falcosidekick chart's",
    "`config:` block (see docs/outputs.md).",
  ])}\nexport interface OutputsArgs {\n${members.join("\n\n")}\n}`;
}

/** The generated file's text, formatted as `npm run lint` expects. */
export async function generateOutputsArgs(): Promise<string> {
  enums.clear();
  const body = [outputsArgs(), ...OUTPUT_NAMES.flatMap(interfaces)];
  const declarations = [...enumDeclarations(), ...body];
  const text = [
    "// Generated by scripts/gen-outputs-args.ts from src/outputs/catalog.ts. Do not edit by hand:\n" +
      "// change the catalog and run `npm run gen:outputs-args`.",
    'import * as pulumi from "@pulumi/pulumi";',
    ...declarations,
  ].join("\n\n");
  return format(text, { ...(await resolveConfig(TARGET)), filepath: TARGET });
}

async function main(): Promise<void> {
  writeFileSync(TARGET, await generateOutputsArgs());
  console.log(`wrote ${path.relative(root, TARGET)}: ${OUTPUT_NAMES.length} outputs`);
}

if (require.main === module) void main();
