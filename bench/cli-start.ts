import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Bench } from "./types.ts";

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin", "falco-stack.cjs");
const SAMPLES = 7;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time of a fresh `node <args>` process, in ms. */
function timeNode(args: readonly string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    execFileSync(process.execPath, [...args], { cwd: ROOT, stdio: "ignore" });
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/**
 * CLI cold start: what a user waits for before the CLI does anything, as a ratio to a bare
 * `node -e 0` so machines of different speed compare.
 */
export const run: Bench = async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-bench-start-"));
  const baseline = timeNode(["-e", "0"]);
  const commands: [string, string[]][] = [
    ["--help", ["--help"]],
    ["rules check rules/", ["rules", "check", "rules/"]],
    ["render --stack dev", ["render", "--stack", "dev", "--out", out]],
  ];
  const figures = [{ name: `node -e 0 (median of ${SAMPLES})`, value: baseline, unit: "ms" }];
  for (const [label, args] of commands) {
    const ms = timeNode([BIN, ...args]);
    figures.push({ name: `${label}, cold start (median of ${SAMPLES})`, value: ms, unit: "ms" });
    figures.push({ name: `${label}, cold start / node -e 0`, value: ms / baseline, unit: "x" });
  }
  fs.rmSync(out, { recursive: true, force: true });
  return figures;
};
