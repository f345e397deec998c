import type { Bench, BenchFigure } from "./types.ts";

/** Each bench module, in the order they run. Add a module here to include it in `npm run bench`. */
const benches: Record<string, () => Promise<{ run: Bench }>> = {
  stack: () => import("./stack.ts"),
  "rules-eval": () => import("./rules-eval.ts"),
  "rules-validate": () => import("./rules-validate.ts"),
  "cli-start": () => import("./cli-start.ts"),
  footprint: () => import("./footprint.ts"),
  "rules-parse": () => import("./rules-parse.ts"),
  "rules-test": () => import("./rules-test.ts"),
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: (BenchFigure & { bench: string })[] = [];
  for (const [name, load] of Object.entries(benches)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const { run } = await load();
    for (const figure of await run()) {
      rows.push({ bench: name, ...figure });
      const verdict = figure.met === undefined ? "" : figure.met ? "  [goal met]" : "  [GOAL MISSED]";
      const goal = figure.goal ? `  (goal: ${figure.goal})` : "";
      console.log(
        `${name}: ${figure.name}: ${figure.value.toFixed(figure.value < 10 ? 2 : 0)} ${figure.unit}${goal}${verdict}`,
      );
    }
  }
  if (rows.length === 0) console.log("no bench selected");
}

void main();
