import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EventParseError,
  eventFromJson,
  eventWorkload,
  isAtLeast,
  parsePriority,
  parseSidekickPayload,
} from "../../src/events/model.ts";
import {
  CLUSTER_SUBJECT_TEMPLATE,
  clusterSubscription,
  natsSubject,
  prioritySubjectPattern,
  ruleSlug,
  subjectProblem,
} from "../../src/events/subject.ts";
import { clusterNameProblem, eventCluster } from "../../src/events/cluster.ts";
import { formatEventJson, formatEventLine } from "../../src/events/format.ts";
import { clusterSubjectTemplate } from "../../src/builders/platform-values.ts";
import { clusterPayload, payloadLike, seedPayload } from "../helpers/falco-events.ts";

describe("falcosidekick payload", () => {
  it("parses the real NATS payload from the tutorial", () => {
    const event = parseSidekickPayload(JSON.stringify(seedPayload()));
    assert.equal(event.rule, "Terminal shell in container");
    assert.equal(event.priority, "Notice");
    assert.equal(event.uuid, "77b977fd-a4dd-4119-bcfb-4cfc0abec457");
    assert.equal(event.time.toISOString(), "2025-01-06T14:23:43.127Z");
    assert.equal(event.hostname, "pool-6594f-lkgfv");
    assert.deepEqual(event.tags, ["T1059", "container", "maturity_stable", "mitre_execution", "shell"]);
    assert.deepEqual(eventWorkload(event), {
      namespace: "default",
      pod: "www",
      container: "www",
      containerId: "85510af8dfe0",
    });
  });

  it("accepts Falco's own json_output line (no uuid)", () => {
    const { uuid: _uuid, ...falcoLine } = seedPayload();
    const event = eventFromJson(falcoLine);
    assert.equal(event.uuid, undefined);
    assert.equal(event.rule, "Terminal shell in container");
  });

  it("rejects text that is not JSON, saying so", () => {
    assert.throws(
      () => parseSidekickPayload("hello {"),
      (error: unknown) => {
        assert.ok(error instanceof EventParseError);
        assert.match(error.message, /payload is not JSON/);
        assert.match(error.message, /hello \{/);
        return true;
      },
    );
  });

  it("names each missing or wrong field", () => {
    const { rule: _rule, ...withoutRule } = seedPayload();
    assert.throws(
      () => eventFromJson({ ...withoutRule, priority: "Loud", time: "yesterday" }),
      (error: unknown) => {
        assert.ok(error instanceof EventParseError);
        assert.match(error.message, /rule: /);
        assert.match(
          error.message,
          /unknown priority "Loud" \(allowed: Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug\)/,
        );
        assert.match(error.message, /"yesterday" is not an RFC 3339 time/);
        return true;
      },
    );
    assert.throws(() => eventFromJson([1, 2]), /not a Falco event: payload: /);
  });

  it("reads priorities in any case and Falco's aliases, ordered by severity", () => {
    assert.equal(parsePriority("info"), "Informational");
    assert.equal(parsePriority("WARNING"), "Warning");
    assert.equal(parsePriority("notice"), "Notice");
    assert.equal(parsePriority("loud"), undefined);
    assert.equal(isAtLeast("Warning", "Notice"), true);
    assert.equal(isAtLeast("Notice", "Warning"), false);
    assert.equal(isAtLeast("Notice", "Notice"), true);
  });
});

describe("NATS subjects as falcosidekick names them", () => {
  it("matches the examples of falcosidekick's nats output", () => {
    assert.equal(
      natsSubject("Notice", "Terminal shell in container"),
      "falco.notice.terminal_shell_in_container",
    );
    assert.equal(
      natsSubject("Warning", "Read sensitive file untrusted"),
      "falco.warning.read_sensitive_file_untrusted",
    );
    assert.equal(natsSubject("Debug", "Test rule"), "falco.debug.test_rule");
    assert.equal(natsSubject("Informational", "x"), "falco.informational.x");
  });

  it("collapses runs of other characters and trims underscores", () => {
    assert.equal(ruleSlug("  Write inside nginx html folder!! "), "write_inside_nginx_html_folder");
    assert.equal(ruleSlug("Falco internal: syscall event drop"), "falco_internal_syscall_event_drop");
    assert.equal(
      ruleSlug("Redirect STDOUT/STDIN to Network Connection in Container"),
      "redirect_stdout_stdin_to_network_connection_in_container",
    );
    assert.equal(ruleSlug("Café déjà vu"), "caf_d_j_vu");
  });

  it("applies a custom subject template", () => {
    assert.equal(natsSubject("Critical", "A b", "alerts.<rule>.<priority>"), "alerts.a_b.critical");
  });

  it("knows the stack's cluster template falco.<cluster>.<priority>.<rule>", () => {
    assert.equal(CLUSTER_SUBJECT_TEMPLATE, "falco.<cluster>.<priority>.<rule>");
    assert.equal(
      natsSubject("Warning", "Write inside nginx html folder", { cluster: "prod" }),
      "falco.prod.warning.write_inside_nginx_html_folder",
    );
    // Exactly what falcosidekick makes of the template the stack gives it.
    const deployed = clusterSubjectTemplate("eu-west-1");
    assert.equal(
      natsSubject("Notice", "Terminal shell in container", { cluster: "eu-west-1" }),
      natsSubject("Notice", "Terminal shell in container", deployed),
    );
    assert.equal(
      natsSubject("Notice", "Terminal shell in container", { cluster: "eu-west-1" }),
      "falco.eu-west-1.notice.terminal_shell_in_container",
      "the stack writes the name into the template as is: falcosidekick never slugs it",
    );
    assert.equal(
      natsSubject("Critical", "A b", { template: "alerts.<cluster>.<rule>", cluster: "edge-7" }),
      "alerts.edge-7.a_b",
    );
    assert.equal(clusterSubscription("prod"), "falco.prod.>");
    assert.equal(prioritySubjectPattern("Warning", "prod"), "falco.prod.warning.*");
    assert.equal(prioritySubjectPattern("Notice"), "falco.notice.*");
  });

  it("refuses a cluster name that is no DNS label, naming it", () => {
    assert.equal(clusterNameProblem("eu-west-1"), undefined);
    for (const bad of ["Prod", "prod.eu", "-prod", "prod_1", "", "a".repeat(64), "falco.>"]) {
      assert.match(
        clusterNameProblem(bad) ?? "",
        /is not a DNS label \(lower-case letters, digits and '-'/,
        bad,
      );
    }
    assert.throws(() => clusterSubscription("prod.eu"), /cluster name "prod\.eu" is not a DNS label/);
    assert.throws(() => natsSubject("Notice", "x", "falco.<cluster>.<rule>"), /needs a cluster name/);
  });

  it("explains bad subscription subjects", () => {
    assert.equal(subjectProblem("falco.>"), undefined);
    assert.equal(subjectProblem("falco.*.terminal_shell_in_container"), undefined);
    assert.match(subjectProblem("falco..x") ?? "", /empty token/);
    assert.match(subjectProblem("falco.>.x") ?? "", /only allowed as the last token/);
    assert.match(subjectProblem("falco x") ?? "", /white space/);
  });
});

describe("the cluster an event names", () => {
  it("reads output_fields.cluster, else the cluster= suffix of the output", () => {
    assert.equal(eventCluster(eventFromJson(clusterPayload("prod"))), "prod");
    assert.equal(eventCluster(eventFromJson(payloadLike({ extraFields: { cluster: "dev" } }))), "dev");
    const suffixOnly = { ...payloadLike({}), output: `${String(seedPayload().output)} cluster=edge-7` };
    assert.equal(eventCluster(eventFromJson(suffixOnly)), "edge-7");
    assert.equal(eventCluster(eventFromJson(seedPayload())), undefined);
    assert.equal(eventCluster(eventFromJson(payloadLike({ extraFields: { cluster: "<NA>" } }))), undefined);
  });

  it("prints it last on the readable line; --json stays as sent", () => {
    const payload = clusterPayload("prod");
    const event = eventFromJson(payload);
    assert.match(formatEventLine(event), / {2}node=pool-6594f-lkgfv {2}cluster=prod$/);
    assert.equal(formatEventJson(event), JSON.stringify(payload));
    assert.doesNotMatch(formatEventLine(eventFromJson(seedPayload())), /cluster=/);
  });
});

describe("event lines", () => {
  it("shows time, priority, rule and the key fields on one line", () => {
    const line = formatEventLine(parseSidekickPayload(JSON.stringify(seedPayload())));
    assert.match(line, /^2025-01-06T14:23:43\.127Z {2}Notice +Terminal shell in container {2}/);
    for (const part of [
      "pod=default/www",
      "container=www",
      "user=root",
      "cmd=bash",
      "node=pool-6594f-lkgfv",
    ]) {
      assert.ok(line.includes(part), `${part} in ${line}`);
    }
    assert.ok(!line.includes("\n"));
  });

  it("prints the event as falcosidekick sent it for --json", () => {
    const seed = seedPayload();
    const printed = formatEventJson(parseSidekickPayload(JSON.stringify(seed)));
    assert.ok(!printed.includes("\n"));
    assert.deepEqual(JSON.parse(printed), seed);
  });
});
