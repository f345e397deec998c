import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { loadCases, parseCases, cachedRulesetPath, upstreamRuleset } from "../../src/falco-rules/index.ts";
import {
  OVERLAPPING_RULES,
  rulesTestBadInput,
  runRulesTestCapturing,
  scratchFolder,
} from "../helpers/rules-test-run.ts";
import { projectRoot, sharedPath } from "../helpers/shared.ts";

const upstreamFile = (name: string) => sharedPath("data", "falco", "rules", name);
const FALCO_RULES = upstreamFile("falco_rules.yaml");
const INCUBATING_RULES = upstreamFile("falco-incubating_rules.yaml");
const caseDir = path.join(projectRoot, "test", "rules");
const ownRules = ["falco-stack-canary.yaml", "falco-stack-detections.yaml", "nginx-html-write.yaml"].map(
  (name) => path.join(projectRoot, "rules", name),
);

const run = runRulesTestCapturing;
const badInput = rulesTestBadInput;
const scratch = scratchFolder("falco-stack-rules-test-");
const scratchFile = scratch.file;

describe("rules test: the shipped cases (six behaviours, nginx rule)", () => {
  const withFiles = [FALCO_RULES, INCUBATING_RULES, ...ownRules];

  it("pass against falco-rules + falco-incubating-rules + our rules/", () => {
    const { code, lines } = run({ cases: [caseDir], withFiles });
    assert.equal(lines.filter((line) => line.startsWith("FAIL")).join("\n"), "");
    assert.equal(code, 0);
    assert.match(lines.at(-1) ?? "", /^\d+ cases: \d+ passed, 0 failed$/);
  });

  it("prove each behaviour with a detection and with a near miss that must not fire", () => {
    const behaviours: Record<string, string> = {
      "shell-in-container.yaml": "Terminal shell in container",
      "host-mount.yaml": "Container started with host path mount",
      "package-install.yaml": "Launch Package Management Process in Container",
      "new-process.yaml": "Process launched in container by exec",
      "port-opened.yaml": "Port opened in running container",
      "privileged-container.yaml": "Launch Privileged Container",
      "nginx-html-write.yaml": "Write inside nginx html folder",
    };
    for (const [file, ruleName] of Object.entries(behaviours)) {
      const { cases, issues } = loadCases([path.join(caseDir, file)]);
      assert.deepEqual(issues, []);
      assert.ok(
        cases.some((testCase) => testCase.expect.includes(ruleName)),
        `${file}: no case fires ${ruleName}`,
      );
      assert.ok(
        cases.some(
          (testCase) => !testCase.expect.includes(ruleName) && testCase.name.startsWith("near miss"),
        ),
        `${file}: no near miss`,
      );
    }
  });

  it("pass with the dev stack's rules (its rulesets from the shared pinned copies)", () => {
    const { code, lines } = run({
      cases: [caseDir],
      stack: "dev",
      withFiles: [FALCO_RULES, INCUBATING_RULES],
      projectRoot,
    });
    assert.equal(lines.filter((line) => line.startsWith("FAIL")).join("\n"), "");
    assert.equal(code, 0);
  });

  it("need falco-incubating-rules for the package and privileged-container behaviours", () => {
    const message = badInput({ cases: [caseDir], withFiles: [FALCO_RULES, ...ownRules] });
    assert.match(
      message,
      /package-install\.yaml:\d+:\d+: case .* expects rule "Launch Package Management Process in Container", which no loaded rules file defines/,
    );
    assert.match(message, /privileged-container\.yaml:\d+:\d+: .*"Launch Privileged Container"/);
  });

  it("the upstream-modification example changes what fires, and only with the override loaded", () => {
    const overrideDir = path.join(caseDir, "upstream-override");
    const cases = [path.join(overrideDir, "cases.yaml")];
    const tuned = run({
      cases,
      withFiles: [FALCO_RULES, path.join(overrideDir, "terminal-shell-tuned.rules.yaml")],
    });
    assert.equal(tuned.code, 0);
    const plain = run({ cases, withFiles: [FALCO_RULES] });
    assert.equal(plain.code, 1);
    assert.deepEqual(
      plain.lines.filter((line) => line.startsWith("FAIL")),
      [
        "FAIL  a shell in the netshoot toolbox in the debug namespace no longer alerts  (" +
          cases[0] +
          ":15)",
      ],
    );
  });
});

describe("rules test: results and exit codes", () => {
  const rulesFile = () => scratchFile("r.yaml", OVERLAPPING_RULES);

  it("prints each case with PASS or FAIL and the rules that fired; exit 1 on a failure", () => {
    const cases = scratchFile(
      "cases/a.yaml",
      `- name: bash fires both
  event: {evt.type: execve, proc.name: bash}
  expect: [Shell, Any exec]
- name: wrong expectation
  event: {evt.type: execve, proc.name: sh}
  expect: [Shell]
- name: nothing for open
  event: {evt.type: open, proc.name: bash}
  expect: []
`,
    );
    const { code, lines } = run({ cases: [cases], withFiles: [rulesFile()], ruleMatching: "all" });
    assert.equal(code, 1);
    assert.deepEqual(lines.slice(1), [
      "rule_matching: all",
      `PASS  bash fires both  (${cases}:1)`,
      "      fired: Shell, Any exec",
      `FAIL  wrong expectation  (${cases}:4)`,
      "      fired: Any exec",
      "      expected but did not fire: Shell",
      "      fired but not expected: Any exec",
      `PASS  nothing for open  (${cases}:7)`,
      "      fired: (none)",
      "3 cases: 2 passed, 1 failed",
    ]);
  });

  it("says when an expected rule cannot fire because it is disabled", () => {
    const disabled = scratchFile(
      "disabled.yaml",
      "- rule: Shell\n  enabled: false\n  override:\n    enabled: replace\n",
    );
    const cases = scratchFile(
      "cases/d.yaml",
      "- name: x\n  event: {evt.type: execve, proc.name: bash}\n  expect: [Shell, Any exec]\n",
    );
    const { code, lines } = run({ cases: [cases], withFiles: [rulesFile(), disabled] });
    assert.equal(code, 1);
    assert.ok(lines.includes("      expected but did not fire: Shell (disabled)"));
  });

  it("rejects bad case files with file:line:col and what is allowed (exit 2)", () => {
    const cases = scratchFile(
      "bad/cases.yaml",
      `- name: typo in a field
  event:
    proc.nmae: bash
  expect: []
- name: expect is not a list
  event: {evt.type: execve}
  expect: Shell
- name: stray key
  event: {evt.type: execve}
  expect: []
  expected: []
- event: {evt.type: execve}
  expect: []
- name: typo in the event type
  event: {evt.type: exceve}
  expect: []
`,
    );
    const message = badInput({ cases: [cases], withFiles: [rulesFile()] });
    assert.match(message, new RegExp(`${cases}:3:5: proc\\.nmae: .*nonexistent field proc\\.nmae`));
    assert.match(message, new RegExp(`${cases}:7:11: expect must be a list of rule names`));
    assert.match(
      message,
      new RegExp(`${cases}:11:3: unknown key "expected" in a case; allowed: name, event, expect`),
    );
    assert.match(message, new RegExp(`${cases}:12:3: case has no "name"`));
    assert.match(message, new RegExp(`${cases}:15:21: evt\\.type: unknown event type "exceve"`));
  });

  it("rejects YAML errors, unknown expected rules, missing files and a run without rules (exit 2)", () => {
    const broken = scratchFile("bad/broken.yaml", "- name: x\n  event: {evt.type: execve\n  expect: []\n");
    assert.match(badInput({ cases: [broken], withFiles: [rulesFile()] }), /broken\.yaml:\d+:\d+: YAML: /);
    const unknown = scratchFile(
      "bad/unknown.yaml",
      "- name: x\n  event: {evt.type: execve}\n  expect: [Shel]\n",
    );
    assert.match(
      badInput({ cases: [unknown], withFiles: [rulesFile()] }),
      /unknown\.yaml:3:12: case "x" expects rule "Shel", which no loaded rules file defines/,
    );
    assert.match(
      badInput({ cases: [path.join(scratch.dir(), "nope.yaml")], withFiles: [rulesFile()] }),
      /nope\.yaml: no such file or folder/,
    );
    assert.match(
      badInput({ cases: [unknown], withFiles: [path.join(scratch.dir(), "missing.yaml")] }),
      /cannot read rules file .*missing\.yaml/,
    );
    assert.match(
      badInput({ cases: [unknown], withFiles: [] }),
      /no rules to test: pass --stack NAME, or --with FILE/,
    );
  });

  it("refuses rules Falco would refuse, naming file:line:col", () => {
    const bad = scratchFile(
      "broken-rule.yaml",
      "- rule: X\n  desc: d\n  condition: evt.type = execve and\n  output: o\n  priority: NOTICE\n",
    );
    const cases = scratchFile("cases/b.yaml", "- name: x\n  event: {evt.type: execve}\n  expect: []\n");
    assert.match(
      badInput({ cases: [cases], withFiles: [bad] }),
      /the rules do not load[^]*broken-rule\.yaml:3:\d+: error: /,
    );
  });
});

describe("rules test --stack", () => {
  let root: string;
  let cacheDir: string;
  const cases = () =>
    scratchFile(
      "stack-cases/c.yaml",
      `- name: tuned shell rule
  event: {evt.type: execve, proc.name: bash, proc.pname: runc, proc.tty: 34816, container.id: abc, k8s.ns.name: ops}
  expect: [Terminal shell in container]
- name: our rule
  event: {evt.type: execve, proc.name: nc, container.id: abc}
  expect: [Netcat in container]
`,
    );

  before(() => {
    root = path.join(scratch.dir(), "project");
    cacheDir = path.join(scratch.dir(), "cache");
    mkdirSync(path.join(root, "rules"), { recursive: true });
    writeFileSync(
      path.join(root, "Pulumi.t.yaml"),
      "config:\n  falco-stack:ui:\n    storageClass: standard\n  falco-stack:rules:\n    files: [rules, extra/z-netcat.yaml]\n    rulesets: [falco-rules]\n",
    );
    // b.yaml changes what a.yaml defines: only Falco's order (sorted by file name) loads.
    writeFileSync(
      path.join(root, "rules", "b.yaml"),
      "- macro: ops_namespace\n  condition: k8s.ns.name = never\n  override:\n    condition: replace\n",
    );
    writeFileSync(
      path.join(root, "rules", "a.yaml"),
      "- macro: ops_namespace\n  condition: k8s.ns.name = ops\n- rule: Terminal shell in container\n  condition: and not ops_namespace\n  override:\n    condition: append\n",
    );
    mkdirSync(path.join(root, "extra"));
    writeFileSync(
      path.join(root, "extra", "z-netcat.yaml"),
      "- rule: Netcat in container\n  desc: d\n  condition: evt.type = execve and proc.name = nc and container.id != host\n  output: o\n  priority: WARNING\n",
    );
  });

  it("fails with a hint when a ruleset is neither cached nor given with --with", () => {
    const message = badInput({ cases: [cases()], stack: "t", withFiles: [], projectRoot: root, cacheDir });
    assert.match(
      message,
      /upstream ruleset falco-rules 5\.1\.0 is not in the cache .*run "npx falco-stack rules fetch" or pass --with path\/to\/falco_rules\.yaml/,
    );
  });

  it("loads the cached ruleset, then the stack's files sorted by name", () => {
    const cached = cachedRulesetPath(upstreamRuleset("falco-rules"), cacheDir);
    mkdirSync(path.dirname(cached), { recursive: true });
    copyFileSync(FALCO_RULES, cached);
    const { code, lines } = run({ cases: [cases()], stack: "t", withFiles: [], projectRoot: root, cacheDir });
    assert.equal(lines.filter((line) => line.startsWith("FAIL")).join("\n"), "");
    assert.equal(code, 0);
    assert.equal(
      lines[0],
      `rules: ${cached} [falco-rules 5.1.0 (cache)], rules/a.yaml [stack rules], rules/b.yaml [stack rules], extra/z-netcat.yaml [stack rules]`,
    );
  });

  it("takes a ruleset from --with instead of the cache, and refuses one the stack does not enable", () => {
    const { code, lines } = run({
      cases: [cases()],
      stack: "t",
      withFiles: [FALCO_RULES],
      projectRoot: root,
      cacheDir: path.join(scratch.dir(), "empty"),
    });
    assert.equal(code, 0);
    assert.match(lines[0] ?? "", new RegExp(`^rules: ${FALCO_RULES} \\[falco-rules from --with\\]`));
    const message = badInput({
      cases: [cases()],
      stack: "t",
      withFiles: [FALCO_RULES, INCUBATING_RULES],
      projectRoot: root,
      cacheDir,
    });
    assert.match(
      message,
      /falco-incubating_rules\.yaml: that is the file of upstream ruleset falco-incubating-rules, which the stack does not enable/,
    );
  });

  it("notes a --with ruleset file that is not the pinned content, and tests it as given", () => {
    const modified = scratchFile(
      "modified/falco_rules.yaml",
      `${readFileSync(FALCO_RULES, "utf8")}\n# local edit\n`,
    );
    const { code, errors } = run({
      cases: [cases()],
      stack: "t",
      withFiles: [modified],
      projectRoot: root,
      cacheDir,
    });
    assert.equal(code, 0);
    assert.deepEqual(errors, [`note: ${modified} is not the pinned falco-rules file; testing it as given`]);
  });

  it("names an unknown stack", () => {
    assert.match(
      badInput({ cases: [cases()], stack: "nope", withFiles: [], projectRoot: root, cacheDir }),
      /cannot read stack file .*Pulumi\.nope\.yaml; stacks here: t/,
    );
  });
});

describe("rules test --stack with Kubernetes metadata", () => {
  it("rules and cases may use k8smeta.* fields exactly when the stack loads the k8smeta plugin", () => {
    const root = path.join(scratch.dir(), "k8smeta-project");
    mkdirSync(path.join(root, "rules"), { recursive: true });
    writeFileSync(
      path.join(root, "rules", "deploy.yaml"),
      "- rule: Shell in a payments deployment\n  desc: d\n  condition: evt.type = execve and proc.name = bash and k8smeta.deployment.name = payments\n  output: o %k8smeta.deployment.name\n  priority: WARNING\n",
    );
    const stackFile = (metadata: boolean) =>
      `config:\n  falco-stack:ui:\n    enabled: false\n  falco-stack:falco:\n    kubernetesMetadata: ${metadata}\n  falco-stack:rules:\n    files: [rules]\n    rulesets: [falco-rules]\n`;
    writeFileSync(path.join(root, "Pulumi.meta.yaml"), stackFile(true));
    writeFileSync(path.join(root, "Pulumi.plain.yaml"), stackFile(false));
    const caseFile = scratchFile(
      "k8smeta-cases/c.yaml",
      "- name: bash in payments\n  event: {evt.type: execve, proc.name: bash, k8smeta.deployment.name: payments}\n  expect: [Shell in a payments deployment]\n",
    );
    const options = {
      cases: [caseFile],
      withFiles: [FALCO_RULES],
      projectRoot: root,
      cacheDir: scratch.dir(),
    };
    const { code, lines } = run({ ...options, stack: "meta" });
    assert.equal(code, 0, lines.join("\n"));
    assert.ok(lines.some((line) => line.startsWith("PASS  bash in payments")));
    assert.match(badInput({ ...options, stack: "plain" }), /k8smeta\.deployment\.name/);
  });
});

describe("case files", () => {
  it("keep scalar source text and give lists as lists", () => {
    const { cases, issues } = parseCases(
      "- name: x\n  event:\n    fd.name: '/tmp/a b'\n    proc.tty: 0034816\n    proc.aname: [bash, runc]\n  expect: []\n",
      "x.yaml",
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(cases[0]?.event, {
      "fd.name": "/tmp/a b",
      "proc.tty": "0034816",
      "proc.aname": ["bash", "runc"],
    });
  });
});

describe("case files: typed values, unique names, aliases", () => {
  const messages = (text: string) =>
    parseCases(text, "c.yaml").issues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`);

  it("refuse a value the field's catalog type cannot hold, at its line and column", () => {
    assert.deepEqual(
      messages(
        "- name: wrong types\n  event:\n    evt.type: execve\n    proc.tty: bash\n    proc.vpid: minus-one\n    evt.rawres: true\n    fd.sport: 70000\n    fd.sip: 10.0.0.300\n    proc.aname: [bash, 12]\n  expect: []\n",
      ),
      [
        '4:15: proc.tty: "bash" cannot be its value: proc.tty is UINT32, a whole number from 0 to 4294967295',
        '5:16: proc.vpid: "minus-one" cannot be its value: proc.vpid is INT64, a whole number (64-bit signed), e.g. -1 or 42',
        '6:17: evt.rawres: "true" cannot be its value: evt.rawres is INT64, a whole number (64-bit signed), e.g. -1 or 42',
        '7:15: fd.sport: "70000" cannot be its value: fd.sport is PORT, a port number from 0 to 65535',
        '8:13: fd.sip: "10.0.0.300" cannot be its value: fd.sip is IPADDR: an event gives an IPv4 or IPv6 address, e.g. 10.0.0.1',
      ],
    );
  });

  it("accept values of the right type, and check indexed fields' arguments", () => {
    assert.deepEqual(
      messages(
        "- name: right types\n  event:\n    proc.tty: 34816\n    user.loginuid: -1\n    evt.is_open_write: true\n    fd.sip: '::1'\n    proc.aname[2]: runc\n    proc.aname[x]: runc\n  expect: []\n",
      ),
      ["8:5: proc.aname[x]: argument 'x' of 'proc.aname' must be a number"],
    );
  });

  it("refuse a wrongly typed tty instead of letting it make Terminal shell in container fire", () => {
    const cases = scratchFile(
      "typed/tty.yaml",
      "- name: tty is a number\n  event: {evt.type: execve, proc.name: bash, proc.tty: bash, container.id: abc}\n  expect: [Terminal shell in container]\n",
    );
    assert.match(
      badInput({ cases: [cases], withFiles: [FALCO_RULES] }),
      new RegExp(`${cases}:2:56: proc\\.tty: "bash" cannot be its value`),
    );
  });

  it("refuse a case name used twice, in one file or across files", () => {
    assert.deepEqual(
      messages(
        "- name: same\n  event: {evt.type: execve}\n  expect: []\n- name: same\n  event: {evt.type: open}\n  expect: []\n",
      ),
      ['4:3: case name "same" is already used at c.yaml:1:3; names must be unique'],
    );
    const first = scratchFile("dup/a.yaml", "- name: same\n  event: {evt.type: execve}\n  expect: []\n");
    scratchFile("dup/b.yaml", "- name: same\n  event: {evt.type: open}\n  expect: []\n");
    assert.deepEqual(
      loadCases([path.dirname(first)]).issues.map((issue) => issue.message),
      [`case name "same" is already used at ${first}:1:3; names must be unique`],
    );
  });

  it("resolve YAML aliases to the anchored value", () => {
    const { cases, issues } = parseCases(
      "- name: first\n  event: &exec {evt.type: execve, proc.name: &shell bash}\n  expect: &none []\n- name: second\n  event: *exec\n  expect: *none\n- name: third\n  event: {evt.type: execve, proc.pname: *shell}\n  expect: []\n",
      "c.yaml",
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(
      cases.map((testCase) => testCase.event),
      [
        { "evt.type": "execve", "proc.name": "bash" },
        { "evt.type": "execve", "proc.name": "bash" },
        { "evt.type": "execve", "proc.pname": "bash" },
      ],
    );
  });
});

describe("falco-stack rules test (the CLI)", () => {
  const exec = promisify(execFile);
  const cli = path.join(projectRoot, "bin", "falco-stack.cjs");

  it("exits 2 on bad input with the message alone, no stack trace", async () => {
    const failure = await exec(process.execPath, [
      cli,
      "rules",
      "test",
      "--with",
      FALCO_RULES,
      path.join(scratch.dir(), "absent.yaml"),
    ]).then(
      () => assert.fail("expected exit 2"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failure.code, 2);
    assert.match(
      failure.stderr,
      /^falco-stack: bad test cases:\n {2}.*absent\.yaml: no such file or folder\n$/,
    );
  });
});

describe("rules commands write through the CLI's streams", () => {
  it("rules test and rules check print to the io they are given, not to the process", async () => {
    const { registerRulesCommands } = await import("../../src/cli/rules.ts");
    const { runCommand } = await import("../helpers/cli-in-process.ts");
    const rules = path.join(projectRoot, "rules", "nginx-html-write.yaml");
    const cases = path.join(caseDir, "nginx-html-write.yaml");
    const register = registerRulesCommands;
    const tested = await runCommand(register, [
      "rules",
      "test",
      cases,
      "--with",
      FALCO_RULES,
      "--with",
      rules,
    ]).done;
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /^PASS /m);
    assert.match(tested.stdout, /cases: \d+ passed, 0 failed\n$/);
    const checked = await runCommand(register, ["rules", "check", rules]).done;
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout + checked.stderr, /0 error\(s\)/);
  });
});
