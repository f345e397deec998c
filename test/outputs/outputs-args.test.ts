import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import ts from "typescript";
import * as pulumi from "@pulumi/pulumi";
import type { OutputsArgs } from "../../components/outputs-args.generated.ts";
import { SENSITIVE_NOTE, TARGET, generateOutputsArgs } from "../../scripts/gen-outputs-args.ts";
import {
  ACKNOWLEDGE_PLAINTEXT_KEY,
  OUTPUT_NAMES,
  OUTPUTS,
  PASSTHROUGH_KEY,
  type OutputName,
} from "../../src/outputs/catalog.ts";

// Type-level check (`npm run lint` runs tsc on this file): plain values, Outputs and secrets all fit.
const sample: OutputsArgs = {
  slack: { webhookurl: pulumi.secret("https://hooks.slack.com/services/x"), minimumpriority: "warning" },
  nats: { hostport: pulumi.output("nats://nats.nats:4222"), checkcert: pulumi.output(false) },
  elasticsearch: {
    hostport: "https://es.logging:9200",
    password: pulumi.secret("pw"),
    customheaders: { Authorization: pulumi.secret("ApiKey x") },
    batching: { batchsize: 1048576, flushinterval: "1s" },
  },
  aws: { region: "eu-west-1", s3: { bucket: "falco-events", minimumpriority: "notice" } },
  webhook: { address: "http://demo.webhook", acknowledgePlaintext: true, method: "PUT" },
  extra: {
    teams: { webhookurl: pulumi.secret("https://x"), minimumpriority: "error" },
    aws: { sns: { rawjson: true } },
  },
  // @ts-expect-error an output that is not typed belongs under extra
  teams: {},
};
// @ts-expect-error priorities are spelled as the catalog spells them
const badPriority: OutputsArgs = { slack: { minimumpriority: "Warning" } };

const source = ts.createSourceFile(TARGET, readFileSync(TARGET, "utf8"), ts.ScriptTarget.Latest);
const declared = new Map<string, ts.InterfaceDeclaration>();
source.forEachChild((node) => {
  if (ts.isInterfaceDeclaration(node)) declared.set(node.name.text, node);
});

interface Property {
  path: string;
  node: ts.PropertySignature;
  /** The generated interface that types it, for a nested block (and for an output under OutputsArgs). */
  block?: string;
}

/** The properties of a generated interface as dotted paths; properties typed by another generated interface are expanded. */
function properties(name: string, prefix = ""): Property[] {
  const declaration = declared.get(name);
  assert.ok(declaration, `interface ${name} is generated`);
  return declaration.members.flatMap((member): Property[] => {
    assert.ok(ts.isPropertySignature(member) && member.type, `${name}: only typed properties`);
    const path = `${prefix}${member.name.getText(source)}`;
    const block = ts.isTypeReferenceNode(member.type) ? member.type.typeName.getText(source) : undefined;
    if (block !== undefined && declared.has(block)) {
      return [{ path, node: member, block }, ...properties(block, `${path}.`)];
    }
    return [{ path, node: member }];
  });
}

const leaves = (name: string): Property[] => properties(name).filter(({ block }) => block === undefined);

describe("generated outputs args", () => {
  it("is what scripts/gen-outputs-args.ts generates from the catalog now", async () => {
    assert.equal(readFileSync(TARGET, "utf8"), await generateOutputsArgs());
  });

  it("OutputsArgs has one property per output, extra and existingSecret", () => {
    assert.deepEqual(
      properties("OutputsArgs")
        .filter(({ path }) => !path.includes("."))
        .map(({ path }) => path),
      [...OUTPUT_NAMES, PASSTHROUGH_KEY, "existingSecret"],
    );
    assert.ok(
      Object.keys(sample).every((key) => key in OUTPUTS || key === PASSTHROUGH_KEY || key === "teams"),
    );
    assert.equal(badPriority.slack?.minimumpriority, "Warning");
  });

  it("every output interface has exactly the catalog's keys, readonly and optional, sensitive ones noted", () => {
    const outputs = properties("OutputsArgs").filter(({ path }) =>
      (OUTPUT_NAMES as readonly string[]).includes(path),
    );
    assert.equal(outputs.length, OUTPUT_NAMES.length);
    for (const { path, block } of outputs) {
      const name = path as OutputName;
      assert.ok(block, `${name} is typed by a generated interface`);
      const keys = leaves(block);
      assert.deepEqual(
        keys.map((key) => key.path).sort(),
        [...Object.keys(OUTPUTS[name].keys), ACKNOWLEDGE_PLAINTEXT_KEY].sort(),
        name,
      );
      for (const key of properties(block)) {
        const where = `${name}.${key.path}`;
        assert.ok(key.node.questionToken, `${where} is optional`);
        assert.ok(
          key.node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ReadonlyKeyword),
          `${where} is readonly`,
        );
      }
      for (const key of keys) {
        const sensitive = OUTPUTS[name].keys[key.path]?.sensitive !== undefined;
        assert.equal(key.node.getFullText(source).includes(SENSITIVE_NOTE), sensitive, `${name}.${key.path}`);
      }
    }
  });
});
