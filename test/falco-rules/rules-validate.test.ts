import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { check, errors, rule, upstreamFile, warnings } from "../helpers/rules-files.ts";
import { validateRules, loadRuleset, UPSTREAM_INDEX, type Finding } from "../../src/falco-rules/index.ts";

/** The single error of a check, with its code. */
function onlyError(findings: Finding[]): Finding {
  const found = errors(findings);
  assert.equal(found.length, 1, `expected one error, got: ${JSON.stringify(findings, null, 1)}`);
  return found[0] as Finding;
}

function codes(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.severity}:${finding.code}`);
}

describe("validateRules: YAML and item shape", () => {
  const cases: [string, string, string, RegExp][] = [
    ["a YAML syntax error", "- rule: [unclosed\n", "LOAD_ERR_YAML_PARSE", /./],
    ["a document that is a map", "rule: r1\n", "LOAD_ERR_YAML_VALIDATE", /not yaml array of objects/],
    ["an item that is a scalar", "- just text\n", "LOAD_ERR_YAML_VALIDATE", /associative array/],
    [
      "a missing required key",
      "- rule: r1\n  desc: d\n  condition: evt.type=open\n  priority: INFO\n",
      "LOAD_ERR_YAML_VALIDATE",
      /no mapping for key 'output'/,
    ],
    [
      "an empty required key",
      rule("evt.type=open", "~"),
      "LOAD_ERR_YAML_VALIDATE",
      /Mapping for key 'output' is empty/,
    ],
    ["an empty string", rule("evt.type=open", '""'), "LOAD_ERR_YAML_VALIDATE", /Value must be non-empty/],
    ["a non-scalar value", rule("[evt.type=open]"), "LOAD_ERR_YAML_VALIDATE", /not a scalar/],
    [
      "a bad priority",
      "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: CRIT\n",
      "LOAD_ERR_YAML_VALIDATE",
      /Invalid priority 'CRIT'/,
    ],
    [
      "a boolean written 0",
      rule("evt.type=open", "o", "  enabled: 0\n"),
      "LOAD_ERR_YAML_VALIDATE",
      /Can't decode YAML scalar value/,
    ],
    [
      "list items that are not a sequence",
      "- list: l\n  items: a\n",
      "LOAD_ERR_YAML_VALIDATE",
      /not a sequence/,
    ],
    ["a list item that is a map", "- list: l\n  items: [{a: b}]\n", "LOAD_ERR_YAML_VALIDATE", /not scalar/],
    [
      "tags that are not a sequence",
      rule("evt.type=open", "o", "  tags: one\n"),
      "LOAD_ERR_YAML_VALIDATE",
      /not a sequence/,
    ],
    [
      "a capture_duration that is not a number",
      rule("evt.type=open", "o", "  capture_duration: soon\n"),
      "LOAD_ERR_YAML_VALIDATE",
      /unsigned/,
    ],
    [
      "exceptions that are not a sequence",
      rule("evt.type=open", "o", "  exceptions: {name: x}\n"),
      "LOAD_ERR_YAML_VALIDATE",
      /must be a sequence/,
    ],
    [
      "an exception without a name",
      rule("evt.type=open", "o", "  exceptions:\n    - fields: proc.name\n      values: [a]\n"),
      "LOAD_ERR_YAML_VALIDATE",
      /no mapping for key 'name'/,
    ],
  ];
  for (const [what, text, code, message] of cases) {
    it(`reports ${what} as ${code}`, () => {
      const error = onlyError(check(text));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.equal(error.file, "custom.yaml");
    });
  }

  it("reads YAML booleans as yaml-cpp does, and scalars as their text", () => {
    const text = `${rule("evt.type=open", "o", "  enabled: Off\n  warn_evttypes: YES\n")}- list: ports\n  items: [0755, 1e3, yes]\n- macro: m\n  condition: fd.name in (ports)\n`;
    const { ruleset, findings } = loadRuleset([{ path: "custom.yaml", text }]);
    assert.deepEqual(errors(findings), []);
    assert.equal(ruleset.rulesByName.get("r1")?.enabled, false);
    assert.deepEqual(ruleset.listsByName.get("ports")?.items, ["0755", "1e3", "yes"]);
  });

  it("reports a broken item once, not again where it is used or overridden", () => {
    const text = `- macro: m\n  condition:\n${rule("evt.type=open and m")}- rule: r2\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARN\n- rule: r2\n  enabled: false\n  override: {enabled: replace}\n`;
    assert.deepEqual(
      errors(check(text)).map((finding) => [finding.line, finding.code]),
      [
        [2, "LOAD_ERR_YAML_VALIDATE"],
        [12, "LOAD_ERR_YAML_VALIDATE"],
      ],
    );
  });

  it("skips null documents and null items", () => {
    assert.deepEqual(check(`---\n---\n- ~\n${rule("evt.type=open")}`), []);
  });

  it("accepts priorities in any case and the info alias", () => {
    for (const priority of ["WARNING", "warning", "Warning", "INFO", "Info", "informational", "debug"]) {
      const text = `- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: ${priority}\n`;
      assert.deepEqual(errors(check(text)), [], priority);
    }
    const { ruleset } = loadRuleset([{ path: "c.yaml", text: rule("evt.type=open") }]);
    assert.equal(ruleset.rulesByName.get("r1")?.priority, "Informational");
  });

  it("warns, as Falco's schema check does, on priorities that are not upper case", () => {
    const text = "- rule: r1\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: Warning\n";
    const findings = check(text);
    assert.deepEqual(codes(findings), ["warning:LOAD_SCHEMA_VALIDATION"]);
    assert.deepEqual([findings[0]?.line, findings[0]?.col], [5, 13]);
  });
});

describe("validateRules: override and append", () => {
  it("appends a condition as text, with no parentheses, and applies replace", () => {
    const text = `${rule("evt.type = open and proc.name = a")}- rule: r1\n  condition: or proc.name = b\n  override: {condition: append}\n- rule: r1\n  priority: error\n  enabled: false\n  override: {priority: replace, enabled: replace}\n`;
    const { ruleset, findings } = loadRuleset([{ path: "c.yaml", text }]);
    assert.deepEqual(errors(findings), []);
    const loaded = ruleset.rulesByName.get("r1");
    assert.equal(loaded?.rawCondition, "evt.type = open and proc.name = a or proc.name = b");
    assert.equal(loaded?.condition?.kind, "or");
    assert.equal(loaded?.priority, "Error");
    assert.equal(loaded?.enabled, false);
  });

  it("unions tags and appends exception values by name", () => {
    const base = rule(
      "evt.type = open",
      "o",
      "  tags: [b, a]\n  exceptions:\n    - name: procs\n      fields: proc.name\n      values: [x]\n",
    );
    const text = `${base}- rule: r1\n  tags: [c, a]\n  exceptions:\n    - name: procs\n      values: [y]\n  override: {tags: append, exceptions: append}\n`;
    const { ruleset, findings } = loadRuleset([{ path: "c.yaml", text }]);
    assert.deepEqual(errors(findings), []);
    const loaded = ruleset.rulesByName.get("r1");
    assert.deepEqual(loaded?.tags, ["a", "b", "c"]);
    assert.deepEqual(loaded?.exceptions, [
      { name: "procs", fields: "proc.name", comps: "in", values: ["x", "y"] },
    ]);
    assert.match(
      loaded?.conditionText.text ?? "",
      /^\(evt\.type = open\) and not \(proc\.name in \(x, y\)\)/,
    );
  });

  const cases: [string, string, string, RegExp][] = [
    [
      "an override key that is not listed",
      `${rule("evt.type=open")}- rule: r1\n  desc: x\n  output: y\n  override: {desc: replace}\n`,
      "LOAD_ERR_YAML_VALIDATE",
      /Unexpected key 'output'/,
    ],
    [
      "an override entry whose key is missing",
      `${rule("evt.type=open")}- rule: r1\n  desc: x\n  override: {desc: replace, output: append}\n`,
      "LOAD_ERR_YAML_VALIDATE",
      /'output' is not defined/,
    ],
    [
      "an unknown override operation",
      `${rule("evt.type=open")}- rule: r1\n  desc: x\n  override: {desc: merge}\n`,
      "LOAD_ERR_YAML_VALIDATE",
      /Invalid override operation/,
    ],
    [
      "appending to a replace-only key",
      `${rule("evt.type=open")}- rule: r1\n  enabled: false\n  override: {enabled: append}\n`,
      "LOAD_ERR_YAML_VALIDATE",
      /cannot be appended to/,
    ],
    [
      "override together with append: true",
      `${rule("evt.type=open")}- rule: r1\n  condition: and proc.name=a\n  append: true\n  override: {condition: append}\n`,
      "LOAD_ERR_YAML_VALIDATE",
      /cannot be used together/,
    ],
    [
      "appending to an undefined rule",
      "- rule: nope\n  condition: and proc.name=a\n  override: {condition: append}\n",
      "LOAD_ERR_VALIDATE",
      /no rule by that name already exists/,
    ],
    [
      "replacing in an undefined rule",
      "- rule: nope\n  priority: info\n  override: {priority: replace}\n",
      "LOAD_ERR_VALIDATE",
      /no rule by that name already exists/,
    ],
    [
      "appending to an undefined list",
      "- list: nope\n  items: [a]\n  append: true\n",
      "LOAD_ERR_VALIDATE",
      /no list by that name/,
    ],
    [
      "appending to an undefined macro",
      "- macro: nope\n  condition: and a.b = c\n  override: {condition: append}\n",
      "LOAD_ERR_VALIDATE",
      /no macro by that name/,
    ],
    [
      "a standalone enabled for an undefined rule",
      "- rule: nope\n  enabled: false\n",
      "LOAD_ERR_VALIDATE",
      /'enabled' key but no rule/,
    ],
    [
      "a redefinition with another source",
      `${rule("evt.type=open")}- rule: r1\n  desc: d\n  condition: ka.verb=get\n  output: o\n  priority: INFO\n  source: k8s_audit\n`,
      "LOAD_ERR_VALIDATE",
      /different source/,
    ],
    [
      "an appended condition that breaks the whole",
      `${rule("evt.type=open")}- rule: r1\n  condition: proc.name = a\n  override: {condition: append}\n`,
      "LOAD_ERR_COMPILE_CONDITION",
      /unexpected token/,
    ],
    [
      "an appended exception without fields",
      `${rule("evt.type=open")}- rule: r1\n  exceptions:\n    - name: new\n      values: [a]\n  override: {exceptions: append}\n`,
      "LOAD_ERR_VALIDATE",
      /must have fields/,
    ],
    [
      "fields given for an existing exception",
      `${rule("evt.type=open", "o", "  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n")}- rule: r1\n  exceptions:\n    - name: e\n      fields: proc.name\n      values: [b]\n  override: {exceptions: append}\n`,
      "LOAD_ERR_VALIDATE",
      /Can not append exception fields/,
    ],
  ];
  for (const [what, text, code, message] of cases) {
    it(`reports ${what} as ${code}`, () => {
      const error = onlyError(check(text, { upstreamRulesets: [] }));
      assert.equal(error.code, code);
      assert.match(error.message, message);
    });
  }

  it("warns on the deprecated append and standalone enabled, and applies them", () => {
    const text = `${rule("evt.type=open")}- rule: r1\n  condition: and proc.name = a\n  append: true\n- rule: r1\n  enabled: false\n- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n- macro: m\n  condition: evt.type = open and proc.name in (l)\n- rule: r2\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n`;
    const { ruleset, findings } = loadRuleset([{ path: "c.yaml", text }], { upstreamRulesets: [] });
    assert.deepEqual(errors(findings), []);
    assert.deepEqual(codes(warnings(findings)), [
      "warning:LOAD_DEPRECATED_ITEM",
      "warning:LOAD_DEPRECATED_ITEM",
      "warning:LOAD_DEPRECATED_ITEM",
    ]);
    assert.equal(ruleset.rulesByName.get("r1")?.rawCondition, "evt.type=open and proc.name = a");
    assert.equal(ruleset.rulesByName.get("r1")?.enabled, false);
    assert.deepEqual(ruleset.listsByName.get("l")?.items, ["a", "b"]);
  });
});

describe("validateRules: ordering and substitution", () => {
  it("lets macros see only earlier macros, and rules see all", () => {
    const later = "- macro: m1\n  condition: m2\n- macro: m2\n  condition: evt.type = open\n";
    const error = onlyError(check(`${later}${rule("m1")}`));
    assert.equal(error.code, "LOAD_ERR_VALIDATE");
    assert.equal(error.message, "Undefined macro 'm2' used in filter.");
    assert.deepEqual([error.line, error.col], [2, 14]);
    assert.deepEqual(errors(check(`${rule("m3")}- macro: m3\n  condition: evt.type = open\n`)), []);
  });

  it("reports a macro reference loop", () => {
    const text = `- macro: a\n  condition: evt.type = open\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n${rule("a")}`;
    const found = errors(check(text));
    assert.ok(
      found.some((f) => f.code === "LOAD_ERR_VALIDATE" && /reference loop|Undefined macro/.test(f.message)),
      JSON.stringify(found),
    );
  });

  it("expands lists of lists only from earlier lists", () => {
    const text =
      "- list: a\n  items: [x, y]\n- list: b\n  items: [a, c_list, z]\n- list: c_list\n  items: [q]\n";
    const { ruleset } = loadRuleset(
      [{ path: "c.yaml", text: `${text}${rule("evt.type=open and proc.name in (b)")}` }],
      { upstreamRulesets: [] },
    );
    assert.deepEqual(ruleset.listsByName.get("b")?.items, ["x", "y", "c_list", "z"]);
  });

  it("substitutes list names as text, quoting items with spaces, even inside quoted strings", () => {
    const lists = `- list: tools\n  items: [a, "b c"]\n- list: words\n  items: [x, y]\n`;
    const text = `${lists}${rule(`'evt.type=open and (proc.name in (tools) or fd.name = " words ")'`)}`;
    const { ruleset, findings } = loadRuleset([{ path: "c.yaml", text }], { upstreamRulesets: [] });
    assert.deepEqual(errors(findings), []);
    const expanded = ruleset.rulesByName.get("r1")?.conditionText.text ?? "";
    assert.match(expanded, /proc\.name in \( a, "b c" \)/);
    assert.match(expanded, /fd\.name = " x, y "/);
  });

  it("treats an undefined list name as a literal, and breaks `in list` without parentheses", () => {
    assert.deepEqual(errors(check(rule("evt.type=open and proc.name in (no_such_list)"))), []);
    const text = `- list: tools\n  items: [a, b]\n${rule("evt.type=open and proc.name in tools")}`;
    const error = onlyError(check(text));
    assert.equal(error.code, "LOAD_ERR_COMPILE_CONDITION");
    assert.equal(error.line, 5);
  });

  it("accepts an empty list", () => {
    const text = `- list: none\n  items: []\n${rule("evt.type=open and proc.name in (none)")}`;
    assert.deepEqual(errors(check(text)), []);
  });
});

describe("validateRules: fields, operators and values", () => {
  const cases: [string, string, RegExp][] = [
    ["an unknown field", "evt.type=open and proc.nme = x", /nonexistent field proc\.nme/],
    [
      "an argument on a field that takes none",
      "evt.type=open and proc.name[1] = x",
      /nonexistent field proc\.name\[1\]/,
    ],
    ["a non-numeric index argument", "evt.type=open and proc.aname[x] = bash", /must be a number/],
    ["a missing required argument", "evt.type=open and container.label = x", /requires an argument/],
    [
      "the dot form on a plugin label field",
      "evt.type=open and k8s.pod.label.app = x",
      /nonexistent field|requires an argument/,
    ],
    ["an unknown event parameter", "evt.type=open and evt.arg.nosuchparam = x", /not an event parameter/],
    [
      "an operator not allowed for the type",
      "evt.type=open and proc.pid contains 1",
      /'contains' operator not supported for numeric filters/,
    ],
    ["bcontains on a string field", "evt.type=open and proc.name bcontains 6162", /not supported/],
    ["a hex number on an integer field", "evt.type=open and fd.num > 0x10", /^0x10 is not a valid number/],
    ["a float on an integer field", "evt.type=open and proc.pid > 1.5", /not a valid number/],
    ["a word on an integer field", "evt.type=open and proc.pid = abc", /not a valid number/],
    ["a bad boolean", "evt.type=open and evt.is_open_write = yes", /unrecognized boolean value yes/],
    [
      "a bad IP address",
      "evt.type=connect and fd.sip = 10.0.0.300",
      /unrecognized IPv4 address 10\.0\.0\.300/,
    ],
    ["an IPv6 form with a dot", "evt.type=connect and fd.sip = ::ffff:1.2.3.4", /unrecognized IPv4 address/],
    ["an IP network without a prefix", "evt.type=connect and fd.snet = 10.0.0.0", /unrecognized IP network/],
    ["a bad IP network", "evt.type=connect and fd.snet = 10.0.0.0/33", /invalid netmask 33/],
    ["an unknown event type", "evt.type in (open, opne)", /unknown event type opne/],
    ["val() with pmatch", "evt.type=open and fd.name pmatch val(fd.directory)", /right-hand side/],
    ["val() of a no-rhs field", "evt.type=open and proc.name = val(proc.aname)", /right-hand side field/],
    ["tolower on a number", "evt.type=open and tolower(proc.pid) = 1", /not supported on type/],
    [
      "a transformer on a field that refuses them",
      "evt.type=open and tolower(proc.aname) = x",
      /does not support transformers/,
    ],
    [
      "a one-argument transformer with an index",
      "evt.type=open and tolower(proc.name)[1] = x",
      /does not support field arguments/,
    ],
    ["join on a non-list", `'evt.type=open and join(",", proc.args) = x'`, /must be a list/],
    ["a bad regex", 'evt.type=open and proc.name regex "(a"', /invalid regex/],
    [
      "a Perl class in a regex (RE2 runs in POSIX mode)",
      String.raw`evt.type=open and proc.name regex "\\d+"`,
      /not POSIX syntax/,
    ],
  ];
  for (const [what, condition, message] of cases) {
    it(`rejects ${what}`, () => {
      const error = onlyError(check(rule(condition)));
      assert.equal(error.code, "LOAD_ERR_COMPILE_CONDITION");
      assert.match(error.message, message);
    });
  }

  it("accepts what the libs compiler accepts", () => {
    const accepted = [
      "evt.type=open and proc.aname[2] = bash and proc.env[HOME] startswith /root",
      `evt.type=open and evt.arg["1"] exists and evt.arg[0] = 3 and evt.arg.flags contains O_CREAT`,
      "evt.type.is.open = 1 and thread.cgroup.cpuacct = x",
      "evt.type=connect and fd.sip = 10.0.0.1 and fd.snet = 10.0.0.0/8 and fd.sip != ::1 and fd.sport in (80, https)",
      "evt.type=open and k8s.pod.label[app.kubernetes.io/name] = web and container.mount[/usr/*] exists",
      "evt.type=open and len(proc.args) > 2 and b64(proc.name) = x and proc.pname = val(proc.name)",
      `evt.type=open and join("-", (proc.name, fd.types)) = a and concat(proc.name, "x") = y`,
      "evt.type in (container, container_removed, execve, _llseek)",
      "evt.type=open and proc.name startswith oneof (ba, zs) and fd.types intersects (ipv4)",
      "evt.type=open and fd.name pmatch (/etc, /usr) and fd.num >= -1",
    ];
    for (const condition of accepted) {
      assert.deepEqual(errors(check(rule(`'${condition}'`))), [], condition);
    }
  });

  it("skips a rule with skip-if-unknown-filter, with a warning instead of an error", () => {
    const findings = check(rule("evt.type=open and proc.nme = x", "o", "  skip-if-unknown-filter: true\n"));
    assert.deepEqual(codes(findings), ["warning:LOAD_UNKNOWN_FILTER"]);
  });

  it("still fails a skip-if-unknown-filter rule on other errors", () => {
    const error = onlyError(
      check(rule("evt.type=open and proc.pid = abc", "o", "  skip-if-unknown-filter: true\n")),
    );
    assert.equal(error.code, "LOAD_ERR_COMPILE_CONDITION");
  });

  it("checks disabled rules, and field errors inside used macros at the macro", () => {
    const text = `- macro: m\n  condition: proc.nme = x\n${rule("evt.type=open and m", "o", "  enabled: false\n")}`;
    const error = onlyError(check(text));
    assert.deepEqual([error.line, error.col, error.code], [2, 14, "LOAD_ERR_COMPILE_CONDITION"]);
  });

  it("rejects a macro that does not parse even when unused", () => {
    const error = onlyError(check("- macro: m\n  condition: proc.name = \n"));
    assert.equal(error.code, "LOAD_ERR_COMPILE_CONDITION");
  });
});

describe("validateRules: exceptions", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "fields and comps of different lengths",
      "      fields: [proc.name, fd.name]\n      comps: [=]\n      values: [[a, b]]\n",
      "LOAD_ERR_VALIDATE",
      /equal length/,
    ],
    [
      "a tuple of the wrong length",
      "      fields: [proc.name, fd.name]\n      values: [[a]]\n",
      "LOAD_ERR_VALIDATE",
      /Fields and values lists must have equal length/,
    ],
    [
      "an unknown comparison operator",
      "      fields: [proc.name]\n      comps: [like]\n      values: [[a]]\n",
      "LOAD_ERR_VALIDATE",
      /'like' is not a supported comparison operator/,
    ],
    [
      "a single field with a non-list comp",
      "      fields: proc.name\n      comps: =\n      values: [a]\n",
      "LOAD_ERR_VALIDATE",
      /comps must be one of/,
    ],
    [
      "an unknown exception field",
      "      fields: [proc.nme]\n      values: [[a]]\n",
      "LOAD_ERR_VALIDATE",
      /'proc.nme' is not a supported filter field/,
    ],
    [
      "a list value for a single field",
      "      fields: proc.name\n      values: [[a, b]]\n",
      "LOAD_ERR_VALIDATE",
      /Expected values array to contain a list of strings/,
    ],
  ];
  for (const [what, body, code, message] of cases) {
    it(`reports ${what}`, () => {
      const error = onlyError(check(rule("evt.type=open", "o", `  exceptions:\n    - name: e\n${body}`)));
      assert.equal(error.code, code);
      assert.match(error.message, message);
    });
  }

  it("builds the condition Falco builds from tuple and single-field exceptions", () => {
    const extra =
      "  exceptions:\n    - name: t\n      fields: [proc.name, fd.name]\n      comps: [=, in]\n      values:\n        - [nginx, /var/log]\n        - [my tool, [a, b]]\n    - name: s\n      fields: proc.name\n      comps: startswith oneof\n      values: [x]\n";
    const { ruleset, findings } = loadRuleset([{ path: "c.yaml", text: rule("evt.type=open", "o", extra) }], {
      upstreamRulesets: [],
    });
    assert.deepEqual(errors(findings), []);
    assert.equal(
      ruleset.rulesByName.get("r1")?.conditionText.text,
      '(evt.type=open) and not (( proc.name = nginx and  fd.name in (/var/log)) or ( proc.name = "my tool" and  fd.name in (a, b))) and not (proc.name startswith oneof (x))',
    );
  });

  it("warns on duplicate exception names", () => {
    const extra =
      "  exceptions:\n    - name: e\n      fields: proc.name\n      values: [a]\n    - name: e\n      fields: proc.name\n      values: [b]\n";
    assert.deepEqual(codes(check(rule("evt.type=open", "o", extra))), [
      "warning:LOAD_EXCEPTION_NAME_NOT_UNIQUE",
    ]);
  });
});

describe("validateRules: outputs", () => {
  const bad: [string, string, RegExp][] = [
    ["a literal percent", "100% sure %proc.name", /unknown filter/],
    ["a trailing percent", "'50%'", /cannot end with a %/],
    ["an unknown field", "'%proc.nme'", /unknown filter: .*nonexistent field proc\.nme/],
    ["join of a non-list", `'%join(",", proc.args)'`, /unknown filter/],
  ];
  for (const [what, output, message] of bad) {
    it(`rejects ${what}`, () => {
      const error = onlyError(check(rule("evt.type=open", output)));
      assert.equal(error.code, "LOAD_ERR_COMPILE_OUTPUT");
      assert.match(error.message, message);
    });
  }

  it("accepts pad widths, arguments, transformers and the longest valid prefix", () => {
    const output = `'%20proc.name (%proc.name) %proc.name.foo %proc.aname[2] %evt.arg.flags %k8s.pod.label[app] %tolower(proc.name) %join("->", (proc.name, proc.pname))'`;
    assert.deepEqual(check(rule("evt.type=open", output)), []);
  });

  it("warns on %container.info at its position, drops it from the output, and warns on deprecated fields", () => {
    const text = rule("evt.type=open", "'x %container.info %evt.dir'");
    const findings = check(text);
    assert.deepEqual(codes(findings), ["warning:LOAD_DEPRECATED_ITEM", "warning:LOAD_DEPRECATED_ITEM"]);
    assert.deepEqual([findings[0]?.line, findings[0]?.col], [4, 14]);
    const { ruleset } = loadRuleset([{ path: "c.yaml", text }]);
    assert.equal(ruleset.rulesByName.get("r1")?.output, "x  %evt.dir");
  });
});

describe("validateRules: warnings", () => {
  it("warns on unknown keys, unknown items and invalid names", () => {
    const text = `${rule("evt.type=open and m and proc.name in (l)", "o", "  tag: [typo]\n")}- whatever: 1\n- list: "bad name"\n  items: [a]\n- macro: 1bad\n  condition: evt.type=open\n- list: l\n  items: [a]\n- macro: m\n  condition: evt.type=open\n`;
    const found = warnings(check(text, { upstreamRulesets: [] }));
    const seen = new Set(found.map((f) => f.code));
    for (const code of [
      "LOAD_UNKNOWN_KEY",
      "LOAD_UNKNOWN_ITEM",
      "LOAD_INVALID_LIST_NAME",
      "LOAD_INVALID_MACRO_NAME",
    ]) {
      assert.ok(seen.has(code as Finding["code"] & string), `${code} in ${JSON.stringify(found)}`);
    }
  });

  it("warns on unused macros and lists", () => {
    const text = `- list: l\n  items: [a]\n- macro: m\n  condition: evt.type=open\n${rule("evt.type=open")}`;
    assert.deepEqual(codes(check(text)), ["warning:LOAD_UNUSED_LIST", "warning:LOAD_UNUSED_MACRO"]);
  });

  it("warns on rules of an unknown source and skips them", () => {
    const text =
      "- rule: r1\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n  source: k8s_audit\n";
    assert.deepEqual(codes(check(text)), ["warning:LOAD_UNKNOWN_SOURCE"]);
  });

  it("gives the compiler's hints", () => {
    assert.deepEqual(codes(check(rule("evt.type=open and proc.name = proc.pname"))), [
      "warning:LOAD_COMPILE_CONDITION",
    ]);
    assert.deepEqual(codes(check(rule("evt.type=open and proc.name regex bash"))), [
      "warning:LOAD_COMPILE_CONDITION",
    ]);
    assert.deepEqual(codes(check(rule("evt.type=open and evt.dir = <"))), ["warning:LOAD_DEPRECATED_ITEM"]);
  });

  it("warns when a syscall rule has no event-type restriction, unless told not to", () => {
    assert.deepEqual(codes(check(rule("proc.name = bash"))), ["warning:LOAD_NO_EVTTYPE"]);
    assert.deepEqual(codes(check(rule("not evt.type = open"))), ["warning:LOAD_NO_EVTTYPE"]);
    assert.deepEqual(check(rule("proc.name = bash", "o", "  warn_evttypes: false\n")), []);
    assert.deepEqual(check(rule("not (evt.type != open)")), []);
  });
});

describe("validateRules: several files", () => {
  it("rejects a rule using a macro that only a later file defines", () => {
    const first = { path: "a.yaml", text: rule("evt.type = open and later_macro") };
    const second = { path: "b.yaml", text: "- macro: later_macro\n  condition: proc.name = x\n" };
    const findings = validateRules([first, second]);
    const error = onlyError(findings);
    assert.deepEqual([error.file, error.line, error.code], ["a.yaml", 3, "LOAD_ERR_VALIDATE"]);
    assert.match(error.message, /Undefined macro 'later_macro'.*b\.yaml/);
    assert.deepEqual(errors(validateRules([second, first])), []);
  });
});

describe("validateRules: engine and plugin requirements", () => {
  it("accepts older engine versions in both forms and rejects newer ones", () => {
    assert.deepEqual(check("- required_engine_version: 13\n- required_engine_version: 0.57.0-rc1\n"), []);
    const error = onlyError(check("- required_engine_version: 0.63.0\n"));
    assert.equal(error.code, "LOAD_ERR_VALIDATE");
    assert.match(error.message, /engine version/);
  });

  it("checks plugin requirements against the bundled container plugin", () => {
    assert.deepEqual(check("- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n"), []);
    const error = onlyError(
      check("- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n"),
    );
    assert.match(error.message, /Plugin requirement not satisfied/);
  });
});

describe("validateRules: positions", () => {
  it("points at the offending token inside a folded block scalar", () => {
    const text =
      "- rule: r1\n  desc: d\n  condition: >\n    evt.type = open\n    and proc.name = bash\n    and fd.nme = x\n  output: o\n  priority: INFO\n";
    const error = onlyError(check(text));
    assert.deepEqual([error.line, error.col], [6, 9]);
  });

  it("points at the offending token inside a literal block scalar and a quoted string", () => {
    const literal =
      "- rule: r1\n  desc: d\n  condition: |\n    evt.type = open\n      and proc.pid > abc\n  output: o\n  priority: INFO\n";
    assert.deepEqual([onlyError(check(literal)).line, onlyError(check(literal)).col], [5, 22]);
    const quoted = `- rule: r1\n  desc: d\n  condition: "evt.type = open and proc.name = \\"a\\\\qb\\""\n  output: o\n  priority: INFO\n`;
    const error = onlyError(check(quoted));
    assert.equal(error.line, 3);
    assert.equal(error.col, 48);
  });

  it("points at a list name whose substitution breaks the condition", () => {
    const text =
      "- list: tools\n  items: [a, b]\n- rule: r1\n  desc: d\n  condition: >\n    evt.type = open\n    and proc.name in tools\n  output: o\n  priority: INFO\n";
    const error = onlyError(check(text));
    assert.deepEqual([error.line, error.col], [7, 22]);
  });
});

describe("validateRules: positions in quoted scalars with escapes", () => {
  /** 1-based line and column of the first `token` in `text`, counted in the source. */
  function sourcePosition(text: string, token: string): [number, number] {
    const index = text.indexOf(token);
    assert.ok(index >= 0, `${token} not in the source`);
    const before = text.slice(0, index);
    return [before.split("\n").length, index - before.lastIndexOf("\n")];
  }

  function errorPosition(text: string): [number, number] {
    const error = onlyError(check(text));
    assert.match(error.message, /nonexistent field fd\.nme/);
    return [error.line ?? 0, error.col ?? 0];
  }

  it("counts an escape before the token on the same line as all of its source characters", () => {
    const text = rule(String.raw`"evt.type = open and\tfd.nme = x"`);
    assert.deepEqual(errorPosition(text), [3, 36]);
  });

  it("does not drift after several escapes of different lengths", () => {
    const text = rule(
      String.raw`"evt.type\t=\topen\tand\tproc.name in (\x41, \"b\/c\", \\x)\tand\tfd.nme = x"`,
    );
    assert.deepEqual(errorPosition(text), sourcePosition(text, "fd.nme"));
  });

  it("counts \\x, \\u and \\U escapes (one or two UTF-16 units) as their source characters", () => {
    const text = rule(String.raw`"proc.name in ('\u00e9t\u00e9', 'caf\xe9', '\U0001F600x') and fd.nme = x"`);
    assert.deepEqual(errorPosition(text), sourcePosition(text, "fd.nme"));
  });

  it("follows an escaped line break onto the next line", () => {
    const text = rule(['"evt.type\\t= open and\\', '    \\tfd.nme = x"'].join("\n"));
    assert.deepEqual(errorPosition(text), [4, 7]);
  });

  it("follows folded lines and empty lines inside double quotes", () => {
    const text = rule(
      String.raw`"evt.type\t= open\t` +
        "\n\n" +
        String.raw`    and\u0020proc.name = a` +
        "\n" +
        '     and fd.nme = x"',
    );
    assert.deepEqual(errorPosition(text), [6, 10]);
  });

  it("counts '' in a single-quoted scalar as two source characters", () => {
    const text = rule("'proc.name in (''a'', ''b c'') and fd.nme = x'");
    assert.deepEqual(errorPosition(text), [3, 49]);
  });
});

describe("validateRules: upstream context", () => {
  it("resolves upstream macros, lists and rules with no flag", () => {
    const text = `${rule("spawned_process and proc.name in (shell_binaries) and fd.sport in (ssh_port)")}- rule: Terminal shell in container\n  condition: and not proc.pname = my_tool\n  override: {condition: append}\n- rule: Terminal shell in container\n  exceptions:\n    - name: my_tools\n      fields: proc.name\n      values: [my_tool]\n  override: {exceptions: append}\n`;
    assert.deepEqual(check(text), []);
  });

  it("checks changes to upstream macros and lists, which upstream rules use", () => {
    const tuned =
      "- macro: user_known_read_sensitive_files_activities\n  condition: (proc.name = my_tool)\n- list: shell_binaries\n  items: [my_sh]\n  override: {items: append}\n";
    assert.deepEqual(check(tuned), []);
    const broken = "- macro: open_write\n  condition: or proc.nme = x\n  override: {condition: append}\n";
    const error = onlyError(check(broken));
    assert.deepEqual([error.line, error.col, error.code], [2, 17, "LOAD_ERR_COMPILE_CONDITION"]);
  });

  it("still catches `in list` without parentheses on an upstream list", () => {
    assert.equal(
      onlyError(check(rule("spawned_process and proc.name in shell_binaries"))).code,
      "LOAD_ERR_COMPILE_CONDITION",
    );
  });

  it("resolves names of the rulesets the stack enables", () => {
    const core = UPSTREAM_INDEX.find((entry) => entry.ruleset === "falco-rules");
    const sandbox = UPSTREAM_INDEX.find((entry) => entry.ruleset === "falco-sandbox-rules");
    const onlySandbox = sandbox?.macros.find((name) => !core?.macros.includes(name));
    assert.ok(onlySandbox);
    const text = rule(`evt.type = open and ${onlySandbox}`);
    assert.equal(onlyError(check(text)).code, "LOAD_ERR_VALIDATE");
    assert.deepEqual(errors(check(text, { upstreamRulesets: ["falco-rules", "falco-sandbox-rules"] })), []);
  });

  it("loads --with files first, and reports their findings too", () => {
    const text = rule("spawned_process and proc.name in (shell_binaries)");
    assert.deepEqual(check(text, { contextFiles: [upstreamFile("falco_rules.yaml")] }), []);
    assert.equal(onlyError(check(text, { upstreamRulesets: [] })).code, "LOAD_ERR_VALIDATE");
  });
});
