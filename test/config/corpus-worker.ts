import { parentPort, workerData } from "node:worker_threads";
import { FalcoStackError } from "../../src/errors.ts";
import { renderStack } from "../../src/render/render.ts";

/** Runs corpus cases in a worker, so a case that hangs can be stopped from outside. */

export interface WorkerCase {
  file: string;
  env: Record<string, string>;
}

export interface WorkerInput {
  cases: WorkerCase[];
  start: number;
  projectRoot: string;
}

export type WorkerMessage =
  | { type: "start"; index: number }
  | { type: "done"; index: number; outcome: "accepted" | "refused" | "crashed"; message: string };

const input = workerData as WorkerInput;
for (let index = input.start; index < input.cases.length; index++) {
  const item = input.cases[index];
  if (item === undefined) continue;
  parentPort?.postMessage({ type: "start", index } satisfies WorkerMessage);
  let done: WorkerMessage;
  try {
    renderStack({
      file: item.file,
      env: item.env,
      projectRoot: input.projectRoot,
      randomString: (n) => "r".repeat(n),
    });
    done = { type: "done", index, outcome: "accepted", message: "" };
  } catch (error) {
    const refused = error instanceof FalcoStackError;
    const message =
      error instanceof Error ? `${error.message}${refused ? "" : `\n${error.stack ?? ""}`}` : String(error);
    done = { type: "done", index, outcome: refused ? "refused" : "crashed", message };
  }
  parentPort?.postMessage(done);
}
