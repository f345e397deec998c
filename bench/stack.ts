import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { readStackConfig } from "../src/config/stack-file.ts";
import { runProgram } from "../components/program.ts";
import { pulumiConfigFrom, runUnderMocks } from "../test/helpers/pulumi-mocks.ts";
import type { Bench } from "./types.ts";

const ROOT = path.resolve(__dirname, "..");

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** `render --stack prod` as a fresh process, and the program's evaluation under mocks. */
export const run: Bench = async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-bench-"));
  const renderSamples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    execFileSync(
      process.execPath,
      [path.join(ROOT, "bin", "falco-stack.cjs"), "render", "--stack", "prod", "--out", out],
      {
        env: {
          ...process.env,
          FALCO_STACK_SLACK_WEBHOOKURL: "https://hooks.slack.com/services/bench",
          FALCO_STACK_ELASTICSEARCH_USERNAME: "falco",
          FALCO_STACK_ELASTICSEARCH_PASSWORD: "bench",
        },
        stdio: "ignore",
      },
    );
    renderSamples.push(performance.now() - start);
  }

  const raw = readStackConfig({ stack: "dev" }).raw;
  const programSamples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await runUnderMocks(runProgram, pulumiConfigFrom(raw), { stack: "dev" });
    programSamples.push(performance.now() - start);
  }
  const renderMedian = median(renderSamples);
  return [
    {
      name: "render --stack prod, fresh process (median of 5)",
      value: renderMedian,
      unit: "ms",
      goal: "< 2000 ms",
      met: renderMedian < 2000,
    },
    {
      name: "render --stack prod, fresh process (fastest of 5)",
      value: Math.min(...renderSamples),
      unit: "ms",
    },
    {
      name: "program evaluation under mocks, dev stack (median of 10)",
      value: median(programSamples),
      unit: "ms",
    },
  ];
};
