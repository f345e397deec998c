import path from "node:path";
import { readStackConfig } from "../src/config/stack-file.ts";
import { loadCases } from "../src/falco-rules/index.ts";
import { RuleEvaluator, type EventFields } from "../src/falco-rules/index.ts";
import { loadRuleset } from "../src/falco-rules/index.ts";
import { UPSTREAM_RULESETS } from "../src/falco-rules/index.ts";
import { resolveStackRulesFiles } from "../src/falco-rules/index.ts";
import { projectRoot, sharedPath } from "../test/helpers/shared.ts";
import type { Bench } from "./types.ts";

/**
 * Offline evaluator throughput: the dev stack's full ruleset (its upstream rulesets, from the shared
 * pinned copies, then rules/) over a mixed stream: the events of test/rules/ (execve, openat, listen,
 * detections and near misses) plus everyday syscalls that no rule wants (reads, closes, connects).
 */
export const run: Bench = async () => {
  const settings = readStackConfig({ stack: "dev", projectRoot }).config.rules;
  const withFiles = UPSTREAM_RULESETS.filter((ruleset) => settings.rulesets.includes(ruleset.name)).map(
    (ruleset) => sharedPath("data", "falco", "rules", ruleset.fileName),
  );
  const files = resolveStackRulesFiles(settings, { projectRoot, withFiles });

  const loadStart = performance.now();
  const { ruleset } = loadRuleset(files, { upstreamRulesets: [] });
  const evaluator = new RuleEvaluator(ruleset);
  const loadMs = performance.now() - loadStart;

  const stream = mixedStream();
  let fired = 0;
  // Warm up the JIT before measuring.
  for (const event of stream) fired += evaluator.evaluate(event).length;
  const budgetMs = 1500;
  let events = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (const event of stream) fired += evaluator.evaluate(event).length;
    events += stream.length;
  }
  const elapsedMs = performance.now() - start;
  const rules = ruleset.rules.filter((rule) => rule.enabled).length;
  return [
    {
      name: `events/s, dev ruleset (${rules} enabled rules, ${stream.length}-event mixed stream)`,
      value: (events / elapsedMs) * 1000,
      unit: "events/s",
    },
    { name: "load + compile the dev ruleset", value: loadMs, unit: "ms" },
    { name: "rules fired per 1000 events", value: (fired / (events + stream.length)) * 1000, unit: "alerts" },
  ];
};

function mixedStream(): EventFields[] {
  const { cases } = loadCases([path.join(projectRoot, "test", "rules")]);
  const detections = cases.map((testCase) => testCase.event);
  const container = {
    "container.id": "85510af8dfe0",
    "container.image.repository": "docker.io/library/nginx",
    "k8s.ns.name": "default",
  };
  const background: EventFields[] = [
    {
      "evt.type": "read",
      "fd.typechar": "f",
      "fd.name": "/usr/share/nginx/html/index.html",
      "proc.name": "nginx",
      ...container,
    },
    { "evt.type": "close", "fd.num": "11", "proc.name": "nginx", ...container },
    {
      "evt.type": "openat",
      "evt.is_open_read": "true",
      "evt.is_open_write": "false",
      "fd.typechar": "f",
      "fd.num": "5",
      "fd.name": "/etc/ld.so.cache",
      "proc.name": "ls",
      "proc.pname": "bash",
      ...container,
    },
    {
      "evt.type": "connect",
      "fd.typechar": "4",
      "fd.cip": "10.244.0.12",
      "fd.sip": "10.96.0.10",
      "fd.sport": "53",
      "fd.l4proto": "udp",
      "evt.rawres": "0",
      "proc.name": "nginx",
      ...container,
    },
    {
      "evt.type": "accept4",
      "fd.typechar": "4",
      "fd.cip": "10.244.0.1",
      "fd.sip": "10.244.0.12",
      "fd.sport": "80",
      "evt.rawres": "12",
      "proc.name": "nginx",
      ...container,
    },
    {
      "evt.type": "execve",
      "proc.name": "sleep",
      "proc.pname": "bash",
      "proc.vpid": "40",
      "proc.tty": "0",
      "user.name": "root",
      "container.id": "host",
    },
  ];
  // Everyday syscalls outnumber the interesting ones, as on a real node.
  return [...detections, ...background, ...background, ...background];
}
