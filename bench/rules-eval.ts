import path from "node:path";
import { readStackConfig } from "../src/config/stack-file.ts";
import {
  loadCases,
  RuleEvaluator,
  type EventFields,
  loadRuleset,
  UPSTREAM_RULESETS,
  resolveStackRulesFiles,
  walkExpr,
  type Expr,
  type Ruleset,
} from "./shipped.ts";
import { projectRoot, sharedPath } from "../test/helpers/shared.ts";
import type { Bench } from "./types.ts";
import { timeAlternated } from "./rules-timing.ts";

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
  const lookups = fieldLookups(ruleset);
  const firedPerPass = stream.reduce((sum, event) => sum + evaluator.evaluate(event).length, 0);
  let found = 0;
  const evaluate = (): void => {
    for (const event of stream) evaluator.evaluate(event);
  };
  // The floor: the same events, looking up once every field each enabled rule's condition names.
  const bareLoop = (): void => {
    for (const event of stream) {
      for (const fields of lookups) {
        for (const field of fields) if (event[field] !== undefined) found++;
      }
    }
  };
  const runs = 15;
  const warmup = 3;
  const [evaluateMs, bareMs] = timeAlternated(
    [repeat(evaluate, 200), repeat(bareLoop, 200)],
    runs,
    warmup,
  ) as [number, number];
  const events = stream.length * 200;
  const perSecond = (events / evaluateMs) * 1000;
  const ratio = evaluateMs / bareMs;
  const rules = ruleset.rules.filter((rule) => rule.enabled).length;
  return [
    {
      name: `events/s, dev ruleset (${rules} enabled rules, ${stream.length}-event mixed stream)`,
      value: perSecond,
      unit: "events/s",
      goal: ">= 300000 events/s",
      met: perSecond >= 300_000,
    },
    {
      name: "evaluator / bare loop over the same field lookups",
      value: ratio,
      unit: "x",
      goal: "<= 2x",
      met: ratio <= 2,
    },
    { name: "load + compile the dev ruleset", value: loadMs, unit: "ms" },
    { name: "rules fired per 1000 events", value: (firedPerPass / stream.length) * 1000, unit: "alerts" },
    // Printed so the bare loop's work is used and cannot be optimised away.
    {
      name: "field values found per event (bare loop)",
      value: found / ((runs + warmup) * events),
      unit: "lookups",
    },
  ];
};

function repeat(work: () => void, times: number): () => void {
  return () => {
    for (let i = 0; i < times; i++) work();
  };
}

/** For each enabled syscall rule, the distinct field keys its condition names, macros followed. */
function fieldLookups(ruleset: Ruleset): string[][] {
  const fieldsOf = (expr: Expr, into: Set<string>, seen: Set<string>): void =>
    walkExpr(expr, (node) => {
      if (node.kind === "macro") {
        const macro = ruleset.macrosByName.get(node.name);
        if (macro?.condition && !seen.has(node.name)) {
          seen.add(node.name);
          fieldsOf(macro.condition, into, seen);
        }
      } else if (node.kind === "unary" || node.kind === "binary") {
        if (node.left.kind === "field") {
          into.add(node.left.arg === undefined ? node.left.name : `${node.left.name}[${node.left.arg}]`);
        }
      }
    });
  return ruleset.rules
    .filter((rule) => rule.enabled && !rule.skipped && rule.source === "syscall" && rule.condition)
    .map((rule) => {
      const fields = new Set<string>();
      fieldsOf(rule.condition as Expr, fields, new Set());
      return [...fields];
    });
}

export function mixedStream(): EventFields[] {
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
