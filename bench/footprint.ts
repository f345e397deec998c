import { renderStack, type RenderedStack } from "../src/render/render.ts";
import type { StackCredentials } from "../src/stack/plan.ts";
import { chartDefaults } from "../test/helpers/chart-values.ts";
import type { Bench, BenchFigure } from "./types.ts";

/**
 * What the stack asks of a cluster: per node (the Falco DaemonSet) and per cluster (falcosidekick,
 * the UI, its Redis and the k8s-metacollector), from the rendered values of dev and prod, next to
 * what the charts request by default. Requests are what the scheduler reserves; limits what a pod
 * may reach before it is throttled (CPU) or OOM-killed (memory).
 */

const CREDENTIALS: StackCredentials = {
  uiUser: "bench",
  uiPassword: "bench",
  redisPassword: "bench",
  checksumKey: "bench",
};
const PROD_ENV = {
  FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/bench",
  FALCO_STACK_ELASTICSEARCH_USERNAME: "bench",
  FALCO_STACK_ELASTICSEARCH_PASSWORD: "bench",
};

type Values = Record<string, unknown>;
interface ResourceList {
  cpu?: string;
  memory?: string;
}
interface Resources {
  requests?: ResourceList;
  limits?: ResourceList;
}
/** CPU in millicores, memory in MiB. */
interface Amount {
  cpu: number;
  memory: number;
}

function at(object: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((value, key) => (value as Values | undefined)?.[key], object);
}

function millicores(cpu: string | undefined): number {
  if (cpu === undefined) return 0;
  return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
}

const MIB: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
function mebibytes(memory: string | undefined): number {
  if (memory === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)?$/.exec(memory);
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] ? (MIB[match[2]] ?? 1) : 1 / (1024 * 1024));
}

function amount(list: ResourceList | undefined, times: number): Amount {
  return { cpu: millicores(list?.cpu) * times, memory: mebibytes(list?.memory) * times };
}

function show(resources: Resources | undefined, times: number): string {
  if (times === 0) return "-";
  if (!resources?.requests && !resources?.limits) return "none (best effort)";
  const part = (list: ResourceList | undefined) => {
    const { cpu, memory } = amount(list, times);
    return list ? `${cpu}m/${Math.round(memory)}Mi` : "-";
  };
  return `requests ${part(resources.requests)}, limits ${part(resources.limits)}`;
}

interface Row {
  scope: "per node" | "per cluster";
  what: string;
  replicas: number;
  resources: Resources | undefined;
  chartDefault: string;
}

function rows(rendered: RenderedStack): Row[] {
  const falcoDefaults = chartDefaults("falco");
  const sidekickDefaults = chartDefaults("falcosidekick");
  const falco = rendered.falcoValues;
  const sidekick = rendered.sidekickValues;
  const list: Row[] = [
    {
      scope: "per node",
      what: "Falco",
      replicas: 1,
      resources: falco.resources as Resources,
      chartDefault: show(falcoDefaults.resources as Resources, 1),
    },
    {
      scope: "per cluster",
      what: "falcosidekick",
      replicas: Number(sidekick.replicaCount),
      resources: sidekick.resources as Resources | undefined,
      chartDefault: `${show(sidekickDefaults.resources as Resources, 1)} × ${String(sidekickDefaults.replicaCount)}`,
    },
  ];
  if (at(sidekick, "webui.enabled") === true) {
    list.push(
      {
        scope: "per cluster",
        what: "UI",
        replicas: Number(at(sidekick, "webui.replicaCount")),
        resources: at(sidekick, "webui.resources") as Resources | undefined,
        chartDefault: `${show(at(sidekickDefaults, "webui.resources") as Resources, 1)} × ${String(at(sidekickDefaults, "webui.replicaCount"))}`,
      },
      {
        scope: "per cluster",
        what: "UI Redis",
        replicas: 1,
        resources: at(sidekick, "webui.redis.resources") as Resources | undefined,
        chartDefault: show(at(sidekickDefaults, "webui.redis.resources") as Resources, 1),
      },
    );
  }
  const collectorOn = at(falco, "collectors.kubernetes.enabled") === true;
  list.push({
    scope: "per cluster",
    what: collectorOn ? "k8s-metacollector" : "k8s-metacollector (off)",
    replicas: collectorOn ? 1 : 0,
    resources: undefined,
    chartDefault: "the k8s-metacollector subchart's (its values are not among the pinned files)",
  });
  return list;
}

function line(stack: string, row: Row): string {
  const what = row.replicas <= 1 ? row.what : `${row.what} × ${row.replicas}`;
  return `footprint: ${stack.padEnd(4)} ${row.scope.padEnd(11)} ${what.padEnd(24)} ${show(row.resources, row.replicas).padEnd(44)} | chart default: ${row.chartDefault}`;
}

function total(list: readonly Row[], kind: "requests" | "limits"): Amount {
  return list.reduce<Amount>(
    (sum, row) => {
      const part = amount(row.resources?.[kind], row.replicas);
      return { cpu: sum.cpu + part.cpu, memory: sum.memory + part.memory };
    },
    { cpu: 0, memory: 0 },
  );
}

export const run: Bench = async () => {
  const figures: BenchFigure[] = [];
  for (const stack of ["dev", "prod"] as const) {
    const rendered = renderStack({ stack, env: stack === "prod" ? PROD_ENV : {}, credentials: CREDENTIALS });
    const list = rows(rendered);
    for (const row of list) console.log(line(stack, row));
    const perNode = list.filter((row) => row.scope === "per node");
    const perCluster = list.filter((row) => row.scope === "per cluster");
    for (const [scope, selected] of [
      ["per node", perNode],
      ["per cluster", perCluster],
    ] as const) {
      for (const kind of ["requests", "limits"] as const) {
        const sum = total(selected, kind);
        figures.push(
          { name: `${stack} ${scope} ${kind} CPU`, value: sum.cpu, unit: "m" },
          { name: `${stack} ${scope} ${kind} memory`, value: Math.round(sum.memory), unit: "Mi" },
        );
      }
    }
  }
  return figures;
};
