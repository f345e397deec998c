import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, Parser } from "yaml";
import {
  loadRuleset,
  sortFindings,
  UPSTREAM_RULESETS,
  validateRules,
  type Finding,
  type RulesFile,
} from "../../src/falco-rules/index.ts";
import { lineCounterOf } from "../../src/falco-rules/load/located-text.ts";
import { projectRoot, sharedPath } from "../helpers/shared.ts";

// Reading splits a plain rules file at its top-level items and parses each alone. A document end
// marker at the end keeps every position and makes the reader parse the whole file at once.
function asWholeFile(file: RulesFile): RulesFile {
  return { path: file.path, text: `${file.text}${file.text.endsWith("\n") ? "" : "\n"}...\n` };
}

function loaded(file: RulesFile) {
  const { ruleset, findings } = loadRuleset([file], { upstreamRulesets: [] });
  // Everything a caller sees of the ruleset; functions (position lookups) are compared below.
  const seen = JSON.stringify({ lists: ruleset.lists, macros: ruleset.macros, rules: ruleset.rules });
  return { ruleset, seen, findings: sortFindings(findings, [file.path]) };
}

function assertReadsAsWholeFile(file: RulesFile): Finding[] {
  const byItem = loaded(file);
  const whole = loaded(asWholeFile(file));
  assert.deepEqual(byItem.findings, whole.findings, `${file.path}: findings`);
  assert.equal(byItem.seen, whole.seen, `${file.path}: ruleset`);
  for (const [index, rule] of byItem.ruleset.rules.entries()) {
    const other = whole.ruleset.rules[index];
    for (const offset of [0, Math.floor(rule.conditionText.text.length / 2)]) {
      assert.deepEqual(rule.conditionText.locate(offset), other?.conditionText.locate(offset), rule.name);
    }
  }
  return byItem.findings;
}

const RICH = `# Rules with something to say about most items.
- list: never_used
  items: [a, b]

- list: pids
  items: [1, not_a_pid]

- macro: simple_regex
  condition: proc.name regex "bash"

- just a string, not an item

- rule: Uses pids
  desc: d
  condition: >
    evt.type = execve and simple_regex
    and proc.pid in (pids)
  output: "%proc.name"
  priority: WARNING
  colour: blue

- rule: Undefined macro
  desc: d
  condition: evt.type = open and no_such_macro
  output: o
  priority: INFO

-

- rule: Quoted
  desc: "a description
    over two lines"
  condition: "evt.type = openat and fd.name startswith /etc and proc.name regex \\"sh\\""
  output: o
  priority: INFO
`;

describe("reading rules files item by item", () => {
  it("reads the upstream rulesets and the project's rules exactly as one parse of the whole file", () => {
    const files = [
      ...UPSTREAM_RULESETS.map((ruleset) => sharedPath("data", "falco", "rules", ruleset.fileName)),
      ...["falco-stack-detections.yaml", "falco-stack-canary.yaml", "nginx-html-write.yaml"].map((name) =>
        path.join(projectRoot, "rules", name),
      ),
    ];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      assertReadsAsWholeFile({ path: file, text });
      assertReadsAsWholeFile({ path: `${file} (CRLF)`, text: text.replace(/\n/g, "\r\n") });
    }
  });

  it("places every finding of a file with something wrong in many items as the whole-file parse does", () => {
    const findings = assertReadsAsWholeFile({ path: "rich.yaml", text: RICH });
    const line = (text: string): number => RICH.split("\n").findIndex((l) => l.includes(text)) + 1;
    const at = (code: string, message: RegExp) =>
      findings
        .filter((f) => f.code === code && message.test(f.message))
        .map((f) => f.line)
        .sort((a, b) => a - b);
    assert.deepEqual(at("LOAD_ERR_YAML_VALIDATE", /Unexpected element type/), [line("- just a string")]);
    assert.deepEqual(at("LOAD_ERR_VALIDATE", /no_such_macro/), [line("no_such_macro")]);
    assert.deepEqual(at("LOAD_ERR_COMPILE_CONDITION", /not_a_pid/), [line("proc.pid in (pids)")]);
    assert.deepEqual(at("LOAD_UNKNOWN_KEY", /colour/), [line("colour: blue")]);
    assert.deepEqual(at("LOAD_COMPILE_CONDITION", /regex check with 'bash'/), [line('regex "bash"')]);
  });

  it("resolves an alias to an anchor in an earlier item, as YAML says", () => {
    const text = [
      "- list: shells",
      "  items: &shell_names [bash, sh]",
      "- list: login_shells",
      "  items: *shell_names",
      "- macro: spawned_shell",
      "  condition: proc.name in (shells) or proc.name in (login_shells)",
      "- rule: Shell",
      "  desc: d",
      "  condition: evt.type = execve and spawned_shell",
      "  output: o",
      "  priority: INFO",
      "",
    ].join("\n");
    const { ruleset, findings } = loadRuleset([{ path: "alias.yaml", text }], { upstreamRulesets: [] });
    assert.deepEqual(findings, []);
    assert.deepEqual(ruleset.listsByName.get("login_shells")?.items, ["bash", "sh"]);
  });

  it("applies no item of a file whose later item is not YAML", () => {
    const text = ["- list: fine", "  items: [a]", "- rule: broken", "  condition: [unclosed", ""].join("\n");
    const { ruleset, findings } = loadRuleset([{ path: "late-error.yaml", text }], { upstreamRulesets: [] });
    assert.deepEqual(
      findings.map((f) => f.code),
      ["LOAD_ERR_YAML_PARSE"],
    );
    assert.ok((findings[0]?.line ?? 0) >= 4, "the error is at or after the broken item");
    assert.equal(ruleset.listsByName.has("fine"), false);
  });

  it("validates to the findings loading reports, without building the ruleset", () => {
    for (const file of [{ path: "rich.yaml", text: RICH }]) {
      const { findings } = loadRuleset([file], { upstreamRulesets: [] });
      assert.deepEqual(validateRules([file], { upstreamRulesets: [] }), sortFindings(findings, [file.path]));
    }
  });

  it("counts lines as the yaml parser does, whatever the line breaks and scalars", () => {
    const texts = [
      RICH,
      RICH.replace(/\n/g, "\r\n"),
      'a: "one\n  two"\nb: |\n  x\n\n  y\nc: >-\n  z\r\n',
      "no newline at the end",
      "a: 1\rb: 2\r",
      "",
    ];
    for (const text of texts) {
      const parsed = new LineCounter();
      for (const token of new Parser(parsed.addNewLine).parse(text)) void token;
      assert.deepEqual(lineCounterOf(text).lineStarts, parsed.lineStarts, JSON.stringify(text.slice(0, 20)));
    }
  });
});
