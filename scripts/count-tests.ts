/**
 * Counts the tests the suite defines, by parsing each test file with the TypeScript compiler API,
 * and compares the count with the total the test runner reported. CI fails when the runner reports
 * fewer tests than are defined: a test file that breaks the runner's reporting (e.g. by replacing
 * `process.stdout.write`, which carries the results of each file to the runner) hides tests.
 *
 *   npx tsx scripts/count-tests.ts [--reported-from LOG] [FILE...]
 *
 * A call `it(...)` or `test(...)` (also `.only`, `.todo`, `.skip`) is one test; inside
 * `for (... of X)` it counts once per element when X is an array literal, or a `const` in the same
 * file initialised with one; any other loop counts once. The count is a lower bound of what runs.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";

const TEST_FUNCTIONS = new Set(["it", "test"]);

/** The number of tests `text` (a test file's source) defines. */
export function countDefinedTests(text: string, fileName = "test.ts"): number {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const arrayLengths = new Map<string, number>();
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const length = arrayLiteralLength(node.initializer);
      if (length !== undefined && isConst(node)) arrayLengths.set(node.name.text, length);
    }
    ts.forEachChild(node, collect);
  };
  collect(source);

  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isTestCall(node.expression)) count += repetitions(node, arrayLengths);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return count;
}

function isTestCall(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return TEST_FUNCTIONS.has(callee.text);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    TEST_FUNCTIONS.has(callee.expression.text) &&
    ["only", "skip", "todo"].includes(callee.name.text)
  );
}

function isConst(declaration: ts.VariableDeclaration): boolean {
  const list = declaration.parent;
  return ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const) !== 0;
}

/** `[a, b]`, `[a, b] as const`, `<T[]>[a, b]`, `[a, b] satisfies T`: the element count. */
function arrayLiteralLength(expression: ts.Expression): number | undefined {
  let inner = expression;
  while (
    ts.isAsExpression(inner) ||
    ts.isTypeAssertionExpression(inner) ||
    ts.isSatisfiesExpression(inner) ||
    ts.isParenthesizedExpression(inner)
  ) {
    inner = inner.expression;
  }
  if (!ts.isArrayLiteralExpression(inner)) return undefined;
  if (inner.elements.some((element) => ts.isSpreadElement(element))) return undefined;
  return inner.elements.length;
}

/** How many times the enclosing `for...of` loops run the call (1 when unknown). */
function repetitions(call: ts.Node, arrayLengths: ReadonlyMap<string, number>): number {
  let times = 1;
  for (let node = call.parent; node !== undefined; node = node.parent) {
    if (!ts.isForOfStatement(node)) continue;
    const length =
      arrayLiteralLength(node.expression) ??
      (ts.isIdentifier(node.expression) ? arrayLengths.get(node.expression.text) : undefined);
    times *= length ?? 1;
  }
  return times;
}

/** Files whose runner-reported count (from scripts/test-totals-reporter.mjs) is below what they define. */
export function shortfalls(
  defined: ReadonlyMap<string, number>,
  reported: Readonly<Record<string, number>>,
): string[] {
  return [...defined].flatMap(([file, count]) => {
    const got = reported[file] ?? 0;
    return got < count ? [`${path.relative(process.cwd(), file)}: ${got} reported, ${count} defined`] : [];
  });
}

function main(args: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { "reported-from": { type: "string" } },
    allowPositionals: true,
  });
  const totalsFile = values["reported-from"];
  const testDir = path.resolve(__dirname, "..", "test");
  const files =
    positionals.length > 0
      ? positionals.map((file) => path.resolve(file))
      : readdirSync(testDir, { recursive: true, encoding: "utf8" })
          // The test command runs test/*/*.test.ts; fixtures are projects of their own.
          .filter((name) => name.endsWith(".test.ts") && name.split(path.sep).length === 2)
          .sort()
          .map((name) => path.join(testDir, name));
  const defined = new Map(files.map((file) => [file, countDefinedTests(readFileSync(file, "utf8"), file)]));
  const total = [...defined.values()].reduce((sum, count) => sum + count, 0);
  if (totalsFile === undefined) {
    for (const [file, count] of defined)
      process.stdout.write(`${count}\t${path.relative(process.cwd(), file)}\n`);
    process.stdout.write(`${total}\ttotal\n`);
    return 0;
  }
  let reported: Record<string, number>;
  try {
    reported = JSON.parse(readFileSync(totalsFile, "utf8")) as Record<string, number>;
  } catch (error) {
    process.stderr.write(
      `count-tests: no per-file totals in ${totalsFile} (did the test run end?): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  const missing = shortfalls(defined, reported);
  if (missing.length > 0) {
    process.stderr.write(
      `count-tests: the test runner reported fewer tests than these files define (does one write to process.stdout, which carries its results to the runner?):\n${missing.map((line) => `  ${line}\n`).join("")}`,
    );
    return 1;
  }
  const sum = Object.values(reported).reduce((all, count) => all + count, 0);
  process.stdout.write(`count-tests: ${sum} tests reported, at least ${total} defined, none hidden\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
