import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countDefinedTests, shortfalls } from "../../scripts/count-tests.ts";

describe("scripts/count-tests.ts (CI fails when the runner reports fewer tests than are defined)", () => {
  it("counts it/test calls, once per element of the array literal a for...of loops over", () => {
    const text = `
      import { describe, it, test } from "node:test";
      const cases = [["a", 1], ["b", 2], ["c", 3]] as const;
      describe("x", () => {
        it("one", () => {});
        test.skip("two", () => {});
        for (const stack of ["dev", "staging"]) it(stack, () => {});
        for (const [name] of cases) { it(name, () => {}); }
        for (const item of imported) it(String(item), () => {});
        describe("nested", () => { it.only("three", () => {}); });
        const it2 = () => "not a test";
        it2();
      });`;
    assert.equal(countDefinedTests(text), 1 + 1 + 2 + 3 + 1 + 1);
  });

  it("names each file whose reported count is below what it defines", () => {
    const defined = new Map([
      ["/p/test/a.test.ts", 13],
      ["/p/test/b.test.ts", 2],
      ["/p/test/c.test.ts", 1],
    ]);
    const lines = shortfalls(defined, { "/p/test/a.test.ts": 2, "/p/test/b.test.ts": 5 });
    assert.equal(lines.length, 2);
    assert.match(lines[0], /a\.test\.ts: 2 reported, 13 defined$/);
    assert.match(lines[1], /c\.test\.ts: 0 reported, 1 defined$/);
  });
});
