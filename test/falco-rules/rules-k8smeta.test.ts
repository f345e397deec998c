import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { check, errors, rule } from "../helpers/rules-files.ts";
import {
  formatFinding,
  loadRuleset,
  parseCases,
  runCases,
  type Finding,
  type LoadedPlugin,
  type Ruleset,
} from "../../src/falco-rules/index.ts";

/** What the stack's Falco loads with `falco.kubernetesMetadata: true` (see `loadedPluginsOf`). */
const WITH_K8SMETA: readonly LoadedPlugin[] = [
  { name: "container", version: "0.7.1" },
  { name: "k8smeta", version: "0.4.1" },
];
const k8smeta = { plugins: WITH_K8SMETA };

function errorMessages(findings: readonly Finding[]): string[] {
  return errors(findings).map((finding) => finding.message);
}

describe("k8smeta plugin fields", () => {
  const deploymentRule = rule(
    "evt.type = execve and k8smeta.deployment.name = web",
    '"shell in %k8smeta.deployment.name (pod %k8smeta.pod.name)"',
  );

  it("are refused, in conditions and outputs, when the k8smeta plugin is not loaded", () => {
    for (const options of [{}, { plugins: [{ name: "container", version: "0.7.1" }] }]) {
      assert.deepEqual(errorMessages(check(deploymentRule, options)), [
        "filter_check called with nonexistent field k8smeta.deployment.name",
        "invalid output format: unknown filter: filter_check called with nonexistent field k8smeta.deployment.name",
      ]);
      assert.deepEqual(errorMessages(check(rule("evt.type = execve", '"pod %k8smeta.pod.name"'), options)), [
        "invalid output format: unknown filter: filter_check called with nonexistent field k8smeta.pod.name",
      ]);
    }
  });

  it("make a rule with skip-if-unknown-filter skipped, not an error, without the plugin", () => {
    const text = rule(
      "evt.type = execve and k8smeta.ns.name = prod",
      "o",
      "  skip-if-unknown-filter: true\n",
    );
    const without = loadRuleset([{ path: "custom.yaml", text }]);
    assert.deepEqual(errors(without.findings), []);
    assert.equal(without.ruleset.rulesByName.get("r1")?.skipped, true);
    const withIt = loadRuleset([{ path: "custom.yaml", text }], k8smeta);
    assert.deepEqual(withIt.findings.map(formatFinding), []);
    assert.notEqual(withIt.ruleset.rulesByName.get("r1")?.skipped, true);
  });

  it("are accepted with it: every resource's name, uid, label[key] and labels, and pod.ip", () => {
    const fields = ["pod", "ns", "deployment", "svc", "rs", "rc"].flatMap((resource) => [
      `k8smeta.${resource}.name`,
      `k8smeta.${resource}.uid`,
      `k8smeta.${resource}.label[app]`,
      `k8smeta.${resource}.labels`,
    ]);
    fields.push("k8smeta.pod.ip");
    const condition = `evt.type = execve and (${fields.map((field) => `${field} exists`).join(" or ")})`;
    const output = JSON.stringify(fields.map((field) => `%${field}`).join(" "));
    assert.deepEqual(check(rule(condition, output), k8smeta).map(formatFinding), []);
    assert.deepEqual(check(deploymentRule, k8smeta).map(formatFinding), []);
  });

  it("are accepted as exception fields with it, refused without", () => {
    const extra =
      "  exceptions:\n    - name: system\n      fields: [k8smeta.ns.name, 'k8smeta.pod.label[app]']\n      values: [[kube-system, coredns]]\n";
    const text = rule("evt.type = execve and proc.name = bash", "o", extra);
    assert.deepEqual(check(text, k8smeta).map(formatFinding), []);
    assert.match(errorMessages(check(text)).join("\n"), /k8smeta\.ns\.name/);
  });

  it("refuse a label field without its [key] argument", () => {
    for (const field of ["k8smeta.pod.label", "k8smeta.ns.label", "k8smeta.svc.label"]) {
      assert.deepEqual(errorMessages(check(rule(`evt.type = execve and ${field} = web`), k8smeta)), [
        `filter error: field '${field}' requires an argument but none provided`,
      ]);
    }
  });

  it("refuse an unknown k8smeta field, or a name with an argument it does not take, with the plugin loaded", () => {
    for (const field of ["k8smeta.pod.nam", "k8smeta.node.name", "k8smeta.deployment.name.x"]) {
      assert.deepEqual(errorMessages(check(rule(`evt.type = execve and ${field} = web`), k8smeta)), [
        `filter_check called with nonexistent field ${field}`,
      ]);
    }
    assert.deepEqual(errorMessages(check(rule("evt.type = execve and k8smeta.pod.name[x] = web"), k8smeta)), [
      "filter_check called with nonexistent field k8smeta.pod.name[x]",
    ]);
  });

  it("are strings, and labels and every svc field are lists that only take list operators", () => {
    assert.deepEqual(
      errorMessages(check(rule("evt.type = execve and k8smeta.pod.name startswith web-"), k8smeta)),
      [],
    );
    for (const field of ["k8smeta.pod.labels", "k8smeta.svc.name", "k8smeta.svc.label[app]"]) {
      assert.deepEqual(errorMessages(check(rule(`evt.type = execve and ${field} in (web)`), k8smeta)), []);
      assert.deepEqual(errorMessages(check(rule(`evt.type = execve and ${field} = web`), k8smeta)), [
        `'=' operator not supported for list filters (field '${field.replace(/\[.*/, "")}' is a list)`,
      ]);
    }
  });
});

describe("required_plugin_versions naming k8smeta", () => {
  const requires = (version: string) =>
    `- required_plugin_versions:\n    - name: k8smeta\n      version: ${version}\n`;

  it("is met by k8smeta 0.4.1 for 0.4.0 and 0.4.1, not for 0.5.0 or 1.0.0", () => {
    assert.deepEqual(check(requires("0.4.0"), k8smeta), []);
    assert.deepEqual(check(requires("0.4.1"), k8smeta), []);
    for (const version of ["0.5.0", "1.0.0", "0.4.2"]) {
      assert.deepEqual(errorMessages(check(requires(version), k8smeta)), [
        `Plugin requirement not satisfied, must load one of: k8smeta (>= ${version}); Falco 0.44.1 loads container 0.7.1, k8smeta 0.4.1`,
      ]);
    }
  });

  it("is not met when k8smeta is not loaded", () => {
    assert.match(
      errorMessages(check(requires("0.4.0"))).join("\n"),
      /must load one of: k8smeta \(>= 0\.4\.0\)/,
    );
  });
});

describe("rules test cases with k8smeta fields", () => {
  function load(options: { plugins?: readonly LoadedPlugin[] }): Ruleset {
    const text = `- rule: Shell in web
  desc: d
  condition: evt.type = execve and proc.name = bash and k8smeta.deployment.name = web
  output: shell in %k8smeta.deployment.name
  priority: WARNING
- rule: Only frontend services
  desc: d
  condition: evt.type = execve and proc.name = sh and k8smeta.svc.name in (frontend, frontend-canary)
  output: o
  priority: WARNING
- rule: Labelled team
  desc: d
  condition: evt.type = execve and proc.name = zsh and k8smeta.pod.label[team] = payments
  output: o
  priority: WARNING
`;
    const { ruleset, findings } = loadRuleset([{ path: "k8s.yaml", text }], {
      upstreamRulesets: [],
      ...options,
    });
    assert.deepEqual(findings.filter((finding) => finding.severity === "error").map(formatFinding), []);
    return ruleset;
  }

  const CASES = `- name: shell in web
  event: {evt.type: execve, proc.name: bash, k8smeta.deployment.name: web}
  expect: [Shell in web]
- name: shell in another deployment
  event: {evt.type: execve, proc.name: bash, k8smeta.deployment.name: api}
  expect: []
- name: every service is a frontend
  event: {evt.type: execve, proc.name: sh, k8smeta.svc.name: [frontend, frontend-canary]}
  expect: [Only frontend services]
- name: one service is not
  event: {evt.type: execve, proc.name: sh, k8smeta.svc.name: [frontend, billing]}
  expect: []
- name: a label by key
  event: {evt.type: execve, proc.name: zsh, "k8smeta.pod.label[team]": payments, k8smeta.pod.uid: "8080"}
  expect: [Labelled team]
`;

  it("run against rules loaded with k8smeta: a list field's `in` needs every element in the set", () => {
    const ruleset = load(k8smeta);
    assert.deepEqual(ruleset.plugins, WITH_K8SMETA);
    const { cases, issues } = parseCases(CASES, "cases.yaml", k8smeta);
    assert.deepEqual(issues, []);
    const run = runCases(ruleset, cases, { ruleMatching: "all" });
    assert.deepEqual(
      run.results.map((result) => [result.testCase.name, result.fired, result.passed]),
      [
        ["shell in web", ["Shell in web"], true],
        ["shell in another deployment", [], true],
        ["every service is a frontend", ["Only frontend services"], true],
        ["one service is not", [], true],
        ["a label by key", ["Labelled team"], true],
      ],
    );
  });

  it("refuse k8smeta event fields when the plugin is not loaded, and a label without its key", () => {
    assert.deepEqual(
      parseCases(CASES, "cases.yaml").issues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`),
      [
        "2:46: k8smeta.deployment.name: nonexistent field k8smeta.deployment.name",
        "5:46: k8smeta.deployment.name: nonexistent field k8smeta.deployment.name",
        "8:44: k8smeta.svc.name: nonexistent field k8smeta.svc.name",
        "11:44: k8smeta.svc.name: nonexistent field k8smeta.svc.name",
        "14:45: k8smeta.pod.label[team]: nonexistent field k8smeta.pod.label[team]",
        "14:82: k8smeta.pod.uid: nonexistent field k8smeta.pod.uid",
      ],
    );
    const noKey = "- name: no key\n  event: {evt.type: execve, k8smeta.pod.label: payments}\n  expect: []\n";
    assert.deepEqual(
      parseCases(noKey, "c.yaml", k8smeta).issues.map((issue) => issue.message),
      ["k8smeta.pod.label: field 'k8smeta.pod.label' requires an argument but none provided"],
    );
  });
});
