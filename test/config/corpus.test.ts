import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { it } from "node:test";
import { Worker } from "node:worker_threads";
import { CORPUS_SECRET, CORPUS_SECRET_NUMBER, corpusCases, writeCorpusProject } from "./corpus-cases.ts";
import type { WorkerCase, WorkerInput, WorkerMessage } from "./corpus-worker.ts";

/** A case taking longer than this is stopped and counted as a hang. */
const HANG_MS = 10_000;

interface Result {
  outcome: "accepted" | "refused" | "crashed" | "hung";
  message: string;
}

/** Runs every case in a worker; a case that does not finish in HANG_MS is stopped and the rest go on. */
async function runCases(cases: WorkerCase[], projectRoot: string): Promise<Result[]> {
  const results: Result[] = [];
  let start = 0;
  const worker = path.join(__dirname, "corpus-worker.ts");
  while (start < cases.length) {
    start = await new Promise<number>((resolve, reject) => {
      const input: WorkerInput = { cases, start, projectRoot };
      const thread = new Worker(`require("tsx/cjs"); require(${JSON.stringify(worker)});`, {
        eval: true,
        workerData: input,
      });
      let current = start;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          results[current] = { outcome: "hung", message: `no answer in ${HANG_MS} ms` };
          void thread.terminate().then(() => resolve(current + 1));
        }, HANG_MS);
      };
      thread.on("message", (message: WorkerMessage) => {
        current = message.index;
        if (message.type === "start") arm();
        else results[message.index] = { outcome: message.outcome, message: message.message };
      });
      thread.on("error", reject);
      thread.on("exit", () => {
        clearTimeout(timer);
        resolve(cases.length);
      });
    });
  }
  return results;
}

it(
  "a corpus of broken stack files: every one refused cleanly, no secret in any message (issue 13)",
  { timeout: 120_000 },
  async (t) => {
    const projectRoot = fs.mkdtempSync(path.join(os.tmpdir(), "falco-stack-corpus-"));
    const repoRoot = path.resolve(__dirname, "..", "..");
    writeCorpusProject(projectRoot, repoRoot);
    const cases = corpusCases(repoRoot);
    const files = cases.map((item, index): WorkerCase => {
      const file = path.join(projectRoot, `Pulumi.case${index}.yaml`);
      fs.writeFileSync(file, item.content);
      return { file, env: item.env ?? {} };
    });
    const results = await runCases(files, projectRoot);

    const problems: string[] = [];
    const figures = {
      refusedCleanly: 0,
      wronglyAccepted: 0,
      unclean: 0,
      misleading: 0,
      hangs: 0,
      leaks: 0,
      goodAccepted: 0,
      goodRefused: 0,
    };
    cases.forEach((item, index) => {
      const result = results[index] ?? { outcome: "hung", message: "no result" };
      const file = files[index]?.file ?? "";
      const leak = [CORPUS_SECRET, String(CORPUS_SECRET_NUMBER)].some((secret) =>
        result.message.includes(secret),
      );
      if (leak) {
        figures.leaks++;
        problems.push(`${item.name}: a secret in the message`);
      }
      if (result.outcome === "hung") {
        figures.hangs++;
        problems.push(`${item.name}: hung`);
        return;
      }
      if (item.expect === "accept") {
        if (result.outcome === "accepted") figures.goodAccepted++;
        else {
          figures.goodRefused++;
          problems.push(`${item.name}: a good file was refused: ${result.message}`);
        }
        return;
      }
      if (result.outcome === "accepted") {
        figures.wronglyAccepted++;
        problems.push(`${item.name}: accepted`);
        return;
      }
      const names = result.message.includes("falco-stack:") || result.message.includes(file);
      const clean =
        result.outcome === "refused" &&
        names &&
        !/\n\s+at /.test(result.message) &&
        !/unexpected error/i.test(result.message);
      if (clean && item.mentions !== undefined && !item.mentions.test(result.message)) {
        figures.misleading++;
        problems.push(
          `${item.name}: refused, but not saying ${String(item.mentions)}: ${result.message.slice(0, 300)}`,
        );
      } else if (clean) figures.refusedCleanly++;
      else {
        figures.unclean++;
        problems.push(`${item.name}: not a clean refusal: ${result.message.slice(0, 300)}`);
      }
    });
    const bad = cases.filter((item) => item.expect === "refuse").length;
    t.diagnostic(
      `corpus: ${bad} broken stack files: ${figures.refusedCleanly} refused cleanly, ${figures.wronglyAccepted} wrongly accepted, ` +
        `${figures.unclean} refused uncleanly, ${figures.misleading} with a misleading message, ${figures.hangs} hangs, ${figures.leaks} leaks; ` +
        `${figures.goodAccepted} of ${cases.length - bad} good files accepted`,
    );
    assert.ok(bad >= 300, `only ${bad} broken files`);
    assert.deepEqual(problems, []);
  },
);
