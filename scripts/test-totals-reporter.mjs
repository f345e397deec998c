/**
 * A `node --test` reporter that writes, as JSON, how many tests (not suites) each test file
 * reported, e.g. `{"/abs/test/render.test.ts": 13}`. `.ci/run` adds it next to the spec reporter and
 * `scripts/count-tests.ts` compares the numbers with the tests each file defines. Plain JavaScript:
 * the runner loads reporters before `--import tsx` applies.
 *
 * @param {AsyncIterable<{ type: string, data: { file?: string, details?: { type?: string } } }>} source
 */
export default async function* testTotals(source) {
  /** @type {Record<string, number>} */
  const totals = {};
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    if (event.data.details?.type === "suite") continue;
    const file = event.data.file ?? "(unknown file)";
    totals[file] = (totals[file] ?? 0) + 1;
  }
  yield `${JSON.stringify(totals, null, 2)}\n`;
}
