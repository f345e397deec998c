import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { analyzeComponents } from "../helpers/analyzer.ts";
import { DRIVER_KINDS } from "../../src/stack/settings.ts";
import { projectRoot } from "../helpers/shared.ts";

/**
 * The rules the SDK's component analyzer applies to a component's Args and public properties,
 * on test/fixtures/analyzer-probe: what `pulumi package add` turns into a schema, and what stops
 * it. FalcoSecurityStackArgs must keep to the accepted forms for Python, Go, .NET and YAML.
 */
const PROBE = path.join(projectRoot, "test", "fixtures", "analyzer-probe");

describe("the component analyzer (pulumi package add's schema inference)", () => {
  it("infers types, optionality, plain values, Inputs, nested interfaces, arrays, maps, enums and resource references", async () => {
    const schema = await analyzeComponents({ dir: PROBE, components: ["Accepted"] });
    assert.equal(schema.name, "probe");
    assert.equal(schema.version, "1.0.0");
    assert.deepEqual(Object.keys(schema.resources), ["probe:index:Accepted"]);
    const accepted = schema.resources["probe:index:Accepted"]!;
    assert.equal(accepted.isComponent, true);
    assert.deepEqual(accepted.inputProperties, {
      namespace: {
        type: "string",
        optional: true,
        plain: true,
        description: "Plain values: the consumer cannot pass an Output.",
      },
      replicas: { type: "number", optional: true, plain: true },
      tty: { type: "boolean", optional: true, plain: true },
      ui: {
        $ref: "#/types/probe:index:UiSettings",
        optional: true,
        plain: true,
        description: "A nested interface: its own type in the schema.",
      },
      slack: { $ref: "#/types/probe:index:SlackOutput", optional: true },
      files: { type: "array", items: { type: "string", plain: true }, optional: true, plain: true },
      rulesets: { type: "array", items: { type: "string" }, optional: true },
      labels: { type: "object", additionalProperties: { type: "string" }, optional: true, plain: true },
      values: {
        type: "object",
        additionalProperties: { $ref: "pulumi.json#/Any" },
        optional: true,
        plain: true,
      },
      driver: { $ref: "#/types/probe:index:Driver", optional: true, plain: true },
      password: {
        $ref: "/random/v4.21.2/schema.json#/resources/random:index%2FrandomPassword:RandomPassword",
        optional: true,
        plain: true,
      },
    });
    assert.deepEqual(accepted.requiredInputs, []);
    // Public and private properties are outputs; getters and methods are not.
    assert.deepEqual(accepted.properties, {
      namespace: { type: "string" },
      chartVersion: { type: "string" },
      password: {
        $ref: "/random/v4.21.2/schema.json#/resources/random:index%2FrandomPassword:RandomPassword",
        optional: true,
      },
    });
    assert.deepEqual(accepted.required, ["chartVersion", "namespace"]);
    assert.deepEqual(schema.types, {
      "probe:index:UiSettings": {
        type: "object",
        properties: {
          enabled: { type: "boolean", optional: true, plain: true },
          storageClass: { type: "string", optional: true },
          storageSize: { type: "string", optional: true, plain: true },
        },
        required: [],
      },
      "probe:index:SlackOutput": {
        type: "object",
        properties: {
          webhookurl: { type: "string", description: "The webhook URL; pass a secret." },
          minimumpriority: { $ref: "#/types/probe:index:Priority", optional: true, plain: true },
        },
        required: ["webhookurl"],
      },
      "probe:index:Priority": {
        type: "string",
        enum: [
          { name: "Debug", value: "debug" },
          { name: "Warning", value: "warning" },
        ],
      },
      "probe:index:Driver": {
        type: "string",
        enum: [
          { name: "ModernEbpf", value: "modern_ebpf" },
          { name: "Kmod", value: "kmod" },
        ],
      },
    });
    assert.deepEqual(schema.dependencies, [{ name: "random", version: "4.21.2" }]);
  });

  const refused: [component: string, error: RegExp][] = [
    ["AliasUnion", /Union types are not supported .* 'AliasUnionArgs\.minimumpriority': type 'PriorityName'/],
    ["InlineUnion", /Union types are not supported .* 'InlineUnionArgs\.mode': type 'string \| number'/],
    ["ReadonlyFiles", /Unsupported type .* 'ReadonlyFilesArgs\.files': type 'readonly string\[\]'/],
    ["ObjectTypeAlias", /Unsupported type .* 'ObjectTypeAliasArgs\.settings': type 'InferredSettings'/],
    ["UnknownValues", /Unsupported type .* 'UnknownValuesArgs\.values values': type 'unknown'/],
    ["DiscriminatedUnionOutput", /Union types are not supported .* output 'ui'/],
    [
      "OwnComponentOutput",
      /Could not determine __pulumiType for resource class 'Accepted' .* output 'child'/,
    ],
    ["PrivateField", /Unsupported type .* output 'cache': type 'Map<string, string>'/],
    ["TypeAliasArgsComponent", /constructor 'args' parameter must be an interface/],
    [
      "TypeBeforeConst",
      /Union types are not supported .* 'TypeBeforeConstArgs\.mode': type 'Mode \| undefined'/,
    ],
  ];
  for (const [component, error] of refused) {
    it(`refuses ${component} with a message naming the property`, async () => {
      await assert.rejects(analyzeComponents({ dir: PROBE, components: [component] }), error);
    });
  }

  it("infers this package's FalcoSecurityStack: every section, Inputs where users hold Outputs, enums, flat outputs", async () => {
    const schema = await analyzeComponents();
    assert.deepEqual(Object.keys(schema.resources), ["falco-stack:index:FalcoSecurityStack"]);
    const stack = schema.resources["falco-stack:index:FalcoSecurityStack"]!;
    assert.deepEqual(Object.keys(stack.inputProperties).sort(), [
      "canary",
      "clusterName",
      "demo",
      "falco",
      "namespace",
      "observability",
      "outputs",
      "rules",
      "sidekick",
      "ui",
    ]);
    assert.equal(stack.inputProperties.namespace?.type, "string");
    assert.equal(stack.inputProperties.namespace?.plain, undefined, "namespace takes an Output");
    assert.deepEqual(stack.requiredInputs, []);
    const property = (type: string, name: string) =>
      schema.types[`falco-stack:index:${type}`]?.properties?.[name];
    assert.equal(property("UiArgs", "storageClass")?.plain, undefined, "ui.storageClass takes an Output");
    assert.equal(property("UiArgs", "enabled")?.plain, true, "ui.enabled decides which resources exist");
    assert.equal(
      property("SlackOutputArgs", "webhookurl")?.plain,
      undefined,
      "a webhook can be a secret Output",
    );
    assert.equal(property("SlackOutputArgs", "minimumpriority")?.$ref, "#/types/falco-stack:index:Priority");
    assert.deepEqual(
      schema.types["falco-stack:index:Priority"]?.enum?.map((member) => member.value),
      ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"],
    );
    assert.deepEqual(property("FalcoArgs", "values")?.additionalProperties, { $ref: "pulumi.json#/Any" });
    assert.deepEqual(
      schema.types["falco-stack:index:RuleMatching"]?.enum?.map((member) => member.value),
      ["first", "all"],
    );
    // The settings schema's list, so a driver the stack refuses is never offered to other languages.
    assert.deepEqual(
      schema.types["falco-stack:index:FalcoDriver"]?.enum?.map((member) => member.value),
      [...DRIVER_KINDS],
    );
    assert.deepEqual(Object.keys(stack.properties).sort(), [
      "namespace",
      "rulesChecksum",
      "sidekickUrl",
      "uiPassword",
      "uiUser",
    ]);
  });
});
