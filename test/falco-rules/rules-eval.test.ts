import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  evaluateEvent,
  RuleEvaluator,
  type EventFields,
  formatFinding,
  loadRuleset,
  type Ruleset,
} from "../../src/falco-rules/index.ts";
import { sharedPath } from "../helpers/shared.ts";

/** Loads rules files given as text, in order, and fails the test on any load error. */
function load(...texts: string[]): Ruleset {
  const files = texts.map((text, index) => ({ path: `inline-${index}.yaml`, text }));
  const { ruleset, findings } = loadRuleset(files, { upstreamRulesets: [] });
  const errors = findings.filter((finding) => finding.severity === "error").map(formatFinding);
  assert.deepEqual(errors, []);
  return ruleset;
}

/** One rule named R with this condition. */
function rule(condition: string, extra = ""): Ruleset {
  return load(`- rule: R
  desc: test rule
  condition: ${JSON.stringify(condition)}
  output: test
  priority: NOTICE
${extra}`);
}

function fires(condition: string, event: EventFields): boolean {
  return evaluateEvent(rule(condition), event).includes("R");
}

const exec = { "evt.type": "execve" } as const;

describe("evaluator: fields the event does not give", () => {
  it("makes every comparison false, including != and negative operators", () => {
    assert.equal(fires("evt.type = execve and proc.name != bash", exec), false);
    assert.equal(fires("evt.type = execve and proc.name = bash", exec), false);
    assert.equal(fires("evt.type = execve and proc.tty > 0", exec), false);
    assert.equal(fires("evt.type = execve and proc.name in (bash, sh)", exec), false);
  });

  it("makes exists false, so `not exists` is true", () => {
    assert.equal(fires("evt.type = execve and proc.pname exists", exec), false);
    assert.equal(fires("evt.type = execve and not proc.pname exists", exec), true);
    assert.equal(
      fires("evt.type = execve and not proc.pname exists", { ...exec, "proc.pname": "runc" }),
      false,
    );
  });

  it("makes `not <comparison>` true, as Falco does for a missing value", () => {
    assert.equal(fires("evt.type = execve and not container.id = host", exec), true);
  });
});

describe("evaluator: string operators", () => {
  const event = { ...exec, "proc.cmdline": "Bash -c Echo", "fd.name": "/usr/share/nginx/html/index.html" };

  it("compares case-sensitively except icontains", () => {
    assert.equal(fires("evt.type = execve and proc.cmdline contains bash", event), false);
    assert.equal(fires("evt.type = execve and proc.cmdline icontains bash", event), true);
    assert.equal(fires("evt.type = execve and proc.cmdline startswith Bash", event), true);
    assert.equal(fires("evt.type = execve and proc.cmdline startswith bash", event), false);
    assert.equal(fires("evt.type = execve and proc.cmdline endswith Echo", event), true);
    assert.equal(fires('evt.type = execve and proc.cmdline = "Bash -c Echo"', event), true);
    assert.equal(fires('evt.type = execve and proc.cmdline == "bash -c echo"', event), false);
  });

  it("matches globs like fnmatch: * crosses slashes, [] classes, iglob ignores case", () => {
    assert.equal(fires("evt.type = execve and fd.name glob /usr/*/index.html", event), true);
    assert.equal(fires("evt.type = execve and fd.name glob /usr/share/nginx/html/index.htm?", event), true);
    assert.equal(fires("evt.type = execve and fd.name glob '/usr/share/nginx/html/[h-j]*'", event), true);
    assert.equal(fires("evt.type = execve and fd.name glob '/usr/share/nginx/html/[!a-z]*'", event), false);
    assert.equal(fires("evt.type = execve and fd.name glob /USR/*", event), false);
    assert.equal(fires("evt.type = execve and fd.name iglob /USR/*", event), true);
  });

  it("anchors regex to the whole value", () => {
    assert.equal(fires("evt.type = execve and fd.name regex '/usr/.*/html/[a-z]+[.]html'", event), true);
    assert.equal(fires("evt.type = execve and fd.name regex 'nginx'", event), false);
    assert.equal(fires("evt.type = execve and fd.name regex '.*nginx.*'", event), true);
  });

  it("matches pmatch by whole path components", () => {
    assert.equal(fires("evt.type = execve and fd.name pmatch (/usr/share/nginx, /tmp)", event), true);
    assert.equal(fires("evt.type = execve and fd.name pmatch (/usr/share/ngi)", event), false);
    assert.equal(
      fires("evt.type = execve and fd.name pmatch (/usr/share/nginx/html/index.html)", event),
      true,
    );
  });

  it("compares bytes in hex with bcontains and bstartswith", () => {
    const buffer = { ...exec, "evt.buffer": "GET /x HTTP/1.1" };
    assert.equal(fires("evt.type = execve and evt.buffer bcontains 2f78", buffer), true); // "/x"
    assert.equal(fires("evt.type = execve and evt.buffer bstartswith 474554", buffer), true); // "GET"
    assert.equal(fires("evt.type = execve and evt.buffer bstartswith 2f78", buffer), false);
  });

  it("applies oneof, anyof and allof modifiers", () => {
    const x = { ...exec, "proc.name": "x" };
    assert.equal(fires("evt.type = execve and proc.name != oneof (x, x, y)", x), true);
    assert.equal(fires("evt.type = execve and proc.name = oneof (x, x, y)", x), false);
    assert.equal(fires("evt.type = execve and proc.name startswith anyof (a, x)", x), true);
    assert.equal(fires("evt.type = execve and proc.name != allof (a, b)", x), true);
    assert.equal(fires("evt.type = execve and proc.name != allof (a, x)", x), false);
  });
});

describe("evaluator: numbers, booleans, addresses", () => {
  it("compares numeric fields as numbers, not text", () => {
    const event = { ...exec, "proc.tty": "34816", "user.uid": "0" };
    assert.equal(fires("evt.type = execve and proc.tty > 9", event), true);
    assert.equal(fires("evt.type = execve and proc.tty < 100000", event), true);
    assert.equal(fires("evt.type = execve and user.uid = 00", event), true);
    assert.equal(fires("evt.type = execve and proc.tty in (1, 34816)", event), true);
    assert.equal(fires("evt.type = execve and proc.tty != 0", { ...exec, "proc.tty": "0" }), false);
    const big = { ...exec, "evt.rawtime": "1736173423127229440" };
    assert.equal(fires("evt.type = execve and evt.rawtime > 1736173423127229439", big), true);
  });

  it("compares booleans", () => {
    assert.equal(
      fires("evt.type = execve and container.privileged = true", { ...exec, "container.privileged": "true" }),
      true,
    );
    assert.equal(
      fires("evt.type = execve and container.privileged = true", {
        ...exec,
        "container.privileged": "false",
      }),
      false,
    );
  });

  it("matches IP addresses and networks, fd.ip on either side of the connection", () => {
    const connect = {
      "evt.type": "connect",
      "fd.cip": "10.0.0.5",
      "fd.sip": "93.184.216.34",
      "fd.sport": "443",
    };
    const check = (condition: string) => fires(`evt.type = connect and ${condition}`, connect);
    assert.equal(check('fd.sip = "93.184.216.34"'), true);
    assert.equal(check('fd.ip = "10.0.0.5"'), true);
    assert.equal(check('fd.ip = "10.0.0.6"'), false);
    assert.equal(check('fd.snet in ("10.0.0.0/8", "172.16.0.0/12")'), false);
    assert.equal(check('fd.cnet = "10.0.0.0/8"'), true);
    assert.equal(check('fd.net = "93.184.0.0/16"'), true);
    assert.equal(check("fd.port = 443"), true);
    assert.equal(check('fd.sip = "::ffff:1"'), false);
  });
});

describe("evaluator: transformers and val()", () => {
  const event = {
    ...exec,
    "proc.name": "Bash",
    "proc.exepath": "/usr/bin/bash",
    "proc.pname": "bash",
    "proc.cmdline": "echo aGVsbG8=",
    "proc.args": "-n -t 5 file",
  };

  it("applies tolower, toupper, basename, len and b64", () => {
    assert.equal(fires("evt.type = execve and tolower(proc.name) = bash", event), true);
    assert.equal(fires("evt.type = execve and toupper(proc.name) = BASH", event), true);
    assert.equal(fires("evt.type = execve and basename(proc.exepath) = bash", event), true);
    assert.equal(fires("evt.type = execve and len(proc.exepath) = 13", event), true);
    assert.equal(fires("evt.type = execve and len(proc.exepath) > 13", event), false);
    assert.equal(
      fires('evt.type = execve and b64(proc.args) = "hello"', { ...exec, "proc.args": "aGVsbG8=" }),
      true,
    );
    assert.equal(
      fires("evt.type = execve and b64(proc.args) exists", { ...exec, "proc.args": "not base64!" }),
      false,
    );
  });

  it("nests transformers and joins or concatenates values", () => {
    assert.equal(fires("evt.type = execve and toupper(basename(proc.exepath)) = BASH", event), true);
    assert.equal(fires('evt.type = execve and concat(proc.pname, "-", proc.name) = bash-Bash', event), true);
    assert.equal(
      fires('evt.type = execve and join(",", (proc.pname, proc.name)) = "bash,Bash"', event),
      true,
    );
  });

  it("parses options with getopt", () => {
    assert.equal(fires('evt.type = execve and getopt(proc.args, "nt:")[t] = 5', event), true);
    assert.equal(fires('evt.type = execve and getopt(proc.args, "nt:")[n] exists', event), true);
    assert.equal(fires('evt.type = execve and getopt(proc.args, "nt:")[x] exists', event), false);
  });

  it("compares two fields of the event with val()", () => {
    assert.equal(fires("evt.type = execve and proc.pname = val(proc.name)", event), false);
    assert.equal(fires("evt.type = execve and proc.pname = tolower(proc.name)", event), true);
    assert.equal(fires("evt.type = execve and proc.pname = val(proc.exe)", event), false);
  });
});

describe("evaluator: ancestors", () => {
  const event = { ...exec, "proc.name": "sh", "proc.aname": ["bash", "sshd", "systemd"] };

  it("reads proc.aname[N] from the ancestor list and proc.pname from its first element", () => {
    assert.equal(fires("evt.type = execve and proc.aname[2] = sshd", event), true);
    assert.equal(fires("evt.type = execve and proc.aname[1] = bash and proc.pname = bash", event), true);
    assert.equal(fires("evt.type = execve and proc.aname[0] = sh", event), true);
    assert.equal(fires("evt.type = execve and proc.aname[4] exists", event), false);
  });

  it("matches proc.aname without index when any ancestor matches", () => {
    assert.equal(fires("evt.type = execve and proc.aname in (sshd)", event), true);
    assert.equal(fires("evt.type = execve and proc.aname = sh", event), false);
    assert.equal(fires("evt.type = execve and proc.aname = bash", { ...exec, "proc.pname": "bash" }), true);
  });
});

describe("evaluator: lists, macros, exceptions, enabled, load order", () => {
  it("substitutes lists (lists of lists too) and inlines macros", () => {
    const ruleset = load(`
- list: shells
  items: [bash, sh]
- list: interactive
  items: [shells, zsh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- macro: interactive_shell
  condition: spawned and proc.name in (interactive)
- rule: R
  desc: d
  condition: interactive_shell and not proc.pname = sshd
  output: o
  priority: NOTICE
`);
    assert.deepEqual(evaluateEvent(ruleset, { ...exec, "proc.name": "zsh", "proc.pname": "runc" }), ["R"]);
    assert.deepEqual(evaluateEvent(ruleset, { ...exec, "proc.name": "sh", "proc.pname": "sshd" }), []);
    assert.deepEqual(evaluateEvent(ruleset, { "evt.type": "open", "proc.name": "bash" }), []);
  });

  it("does not fire a rule when an exception item matches", () => {
    const ruleset = rule(
      "evt.type = execve and proc.name = bash",
      `  exceptions:
    - name: toolbox
      fields: [k8s.ns.name, container.image.repository]
      comps: [=, startswith]
      values:
        - [debug, docker.io/nicolaka/]
    - name: parents
      fields: proc.pname
      values: [tmux, screen]
`,
    );
    const bash = { ...exec, "proc.name": "bash", "k8s.ns.name": "debug" };
    assert.deepEqual(
      evaluateEvent(ruleset, { ...bash, "container.image.repository": "docker.io/nicolaka/netshoot" }),
      [],
    );
    assert.deepEqual(
      evaluateEvent(ruleset, { ...bash, "container.image.repository": "docker.io/library/ubuntu" }),
      ["R"],
    );
    assert.deepEqual(evaluateEvent(ruleset, { ...bash, "proc.pname": "tmux" }), []);
  });

  it("skips disabled rules and honours a later enable override", () => {
    const disabled = rule("evt.type = execve", "  enabled: false\n");
    assert.deepEqual(evaluateEvent(disabled, exec), []);
    const reenabled = load(
      "- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n  enabled: false\n",
      "- rule: R\n  enabled: true\n  override:\n    enabled: replace\n",
    );
    assert.deepEqual(evaluateEvent(reenabled, exec), ["R"]);
  });

  it("uses the last definition of a macro redefined by a later file", () => {
    const first = `
- macro: allowed
  condition: (evt.num = 0)
- rule: R
  desc: d
  condition: evt.type = execve and not allowed
  output: o
  priority: INFO
`;
    const second = "- macro: allowed\n  condition: proc.name = make\n";
    const ruleset = load(first, second);
    assert.deepEqual(evaluateEvent(ruleset, { ...exec, "proc.name": "make" }), []);
    assert.deepEqual(evaluateEvent(ruleset, { ...exec, "proc.name": "gcc" }), ["R"]);
  });

  it("reports fired rules in load order and only rules whose event types match", () => {
    const ruleset = load(`
- rule: B
  desc: d
  condition: evt.type in (execve, open) and proc.name = x
  output: o
  priority: INFO
- rule: A
  desc: d
  condition: proc.name = x
  output: o
  priority: INFO
  warn_evttypes: false
- rule: C
  desc: d
  condition: not evt.type != execve and proc.name = x
  output: o
  priority: INFO
`);
    assert.deepEqual(evaluateEvent(ruleset, { ...exec, "proc.name": "x" }), ["B", "A", "C"]);
    assert.deepEqual(evaluateEvent(ruleset, { "evt.type": "open", "proc.name": "x" }), ["B", "A"]);
    assert.deepEqual(evaluateEvent(ruleset, { "proc.name": "x" }), ["A"]);
  });
});

describe("evaluator on the upstream rulesets", () => {
  const upstream = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"].map(
    (name) => ({
      path: name,
      text: readFileSync(sharedPath("data", "falco", "rules", name), "utf8"),
    }),
  );
  const { ruleset } = loadRuleset(upstream, { upstreamRulesets: [] });
  const evaluator = new RuleEvaluator(ruleset);

  // The tutorial's event as falcosidekick delivered it (seed/terminal-shell-event.json), as field values.
  const seed = JSON.parse(readFileSync(sharedPath("data", "seed", "terminal-shell-event.json"), "utf8")) as {
    rule: string;
    output_fields: Record<string, string | number>;
  };
  const tutorialEvent = Object.fromEntries(
    Object.entries(seed.output_fields).map(([field, value]) => [field, String(value)]),
  );

  it("compiles every rule of the three rulesets", () => {
    assert.deepEqual(evaluator.problems, []);
    assert.ok(ruleset.rules.length > 90);
  });

  it("fires the tutorial's rule on the tutorial's event, and nothing else", () => {
    assert.deepEqual(evaluator.evaluate(tutorialEvent), [seed.rule]);
    assert.deepEqual(evaluator.evaluate({ ...tutorialEvent, "proc.tty": "0" }), []);
    assert.deepEqual(evaluator.evaluate({ ...tutorialEvent, "container.id": "host" }), []);
  });

  it("shows why the sandbox ruleset stays off: its sensitive-mount rule fires on any container start", () => {
    const start = { ...exec, "proc.vpid": "1", "proc.name": "nginx", "container.id": "85510af8dfe0" };
    assert.ok(evaluator.evaluate(start).includes("Launch Sensitive Mount Container"));
  });
});
