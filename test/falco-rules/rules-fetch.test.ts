import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { runRulesFetch } from "../../src/cli/rules-test.ts";
import { FalcoStackError } from "../../src/errors.ts";
import {
  cachedRulesetPath,
  findCachedRuleset,
  rulesCacheDir,
  sha256Hex,
  fetchRulesets,
  RulesFetchError,
  UPSTREAM_RULESET_SHA256,
  UPSTREAM_RULESETS,
  upstreamRulesetUrl,
} from "../../src/falco-rules/index.ts";
import { sharedPath } from "../helpers/shared.ts";

/** A local stand-in for raw.githubusercontent.com/falcosecurity/rules: `/<name>-<version>/rules/<file>`. */
function serve(
  routes: Map<string, Buffer>,
): Promise<{ server: Server; baseUrl: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    const body = routes.get(request.url ?? "");
    if (!body) {
      response.writeHead(404, "Not Found").end("404: Not Found");
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}/`, requests });
    });
  });
}

const pinnedFiles = new Map(
  UPSTREAM_RULESETS.map((ruleset) => [
    `/${ruleset.name}-${ruleset.version}/rules/${ruleset.fileName}`,
    readFileSync(sharedPath("data", "falco", "rules", ruleset.fileName)),
  ]),
);

let scratch: string;
let good: Awaited<ReturnType<typeof serve>>;
let tampered: Awaited<ReturnType<typeof serve>>;

before(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "falco-stack-fetch-"));
  good = await serve(pinnedFiles);
  const altered = new Map(pinnedFiles);
  const key = "/falco-rules-5.1.0/rules/falco_rules.yaml";
  altered.set(key, Buffer.concat([pinnedFiles.get(key) ?? Buffer.alloc(0), Buffer.from("\n# extra\n")]));
  tampered = await serve(altered);
});

after(async () => {
  await new Promise((resolve) => good.server.close(resolve));
  await new Promise((resolve) => tampered.server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

describe("pinned rulesets", () => {
  it("pin the sha256 of the shared copies of the pinned versions", () => {
    for (const ruleset of UPSTREAM_RULESETS) {
      const content = readFileSync(sharedPath("data", "falco", "rules", ruleset.fileName));
      assert.equal(sha256Hex(content), UPSTREAM_RULESET_SHA256[ruleset.name], ruleset.name);
    }
  });

  it("download from the falcosecurity/rules release tags by default", () => {
    const [stable] = UPSTREAM_RULESETS;
    assert.equal(
      upstreamRulesetUrl(stable),
      "https://raw.githubusercontent.com/falcosecurity/rules/falco-rules-5.1.0/rules/falco_rules.yaml",
    );
  });

  it("cache under $FALCO_STACK_CACHE, else $XDG_CACHE_HOME/falco-stack, else ~/.cache/falco-stack", () => {
    assert.equal(rulesCacheDir({ FALCO_STACK_CACHE: "/c", XDG_CACHE_HOME: "/x" }), "/c");
    assert.equal(rulesCacheDir({ XDG_CACHE_HOME: "/x" }), "/x/falco-stack");
    assert.equal(rulesCacheDir({}), path.join(os.homedir(), ".cache", "falco-stack"));
  });
});

describe("rules fetch", () => {
  it("downloads every pinned ruleset into the cache, one file per version, and then reuses it", async () => {
    const cacheDir = path.join(scratch, "all");
    const first = await fetchRulesets({ baseUrl: good.baseUrl, cacheDir });
    assert.deepEqual(
      first.map((entry) => [entry.name, entry.status]),
      UPSTREAM_RULESETS.map((ruleset) => [ruleset.name, "downloaded"]),
    );
    for (const ruleset of UPSTREAM_RULESETS) {
      const file = cachedRulesetPath(ruleset, cacheDir);
      assert.equal(path.basename(file), `${ruleset.name}-${ruleset.version}.yaml`);
      assert.deepEqual(
        readFileSync(file),
        pinnedFiles.get(`/${ruleset.name}-${ruleset.version}/rules/${ruleset.fileName}`),
      );
      assert.equal(findCachedRuleset(ruleset, cacheDir).status, "ok");
    }
    const requestsBefore = good.requests.length;
    const second = await fetchRulesets({ baseUrl: good.baseUrl, cacheDir });
    assert.deepEqual(new Set(second.map((entry) => entry.status)), new Set(["cached"]));
    assert.equal(good.requests.length, requestsBefore);
  });

  it("replaces a cached file that is not the pinned content", async () => {
    const cacheDir = path.join(scratch, "repair");
    const [stable] = UPSTREAM_RULESETS;
    await fetchRulesets({ baseUrl: good.baseUrl, cacheDir, names: [stable.name] });
    writeFileSync(cachedRulesetPath(stable, cacheDir), "- list: changed\n  items: []\n");
    assert.equal(findCachedRuleset(stable, cacheDir).status, "corrupt");
    const [again] = await fetchRulesets({ baseUrl: good.baseUrl, cacheDir, names: [stable.name] });
    assert.equal(again?.status, "downloaded");
    assert.equal(findCachedRuleset(stable, cacheDir).status, "ok");
  });

  it("refuses content whose sha256 is not pinned and writes nothing", async () => {
    const cacheDir = path.join(scratch, "tampered");
    await assert.rejects(
      fetchRulesets({ baseUrl: tampered.baseUrl, cacheDir, names: ["falco-rules"] }),
      (error: unknown) =>
        error instanceof RulesFetchError &&
        /falco_rules\.yaml is not the pinned falco-rules 5\.1\.0: sha256 [0-9a-f]{64}, expected 1c15d5d5.*nothing was written/.test(
          error.message,
        ),
    );
    assert.equal(existsSync(cacheDir) ? readdirSync(path.join(cacheDir, "rulesets")).length : 0, 0);
  });

  it("reports an HTTP error with the URL", async () => {
    await assert.rejects(
      fetchRulesets({ baseUrl: `${good.baseUrl}mirror/`, cacheDir: path.join(scratch, "404") }),
      /cannot download http:\/\/127\.0\.0\.1:\d+\/mirror\/falco-rules-5\.1\.0\/rules\/falco_rules\.yaml: HTTP 404 Not Found/,
    );
  });

  it("reports an unreachable server as bad input for the CLI (exit 2)", async () => {
    const closed = await serve(new Map());
    const { port } = closed.server.address() as AddressInfo;
    await new Promise((resolve) => closed.server.close(resolve));
    await assert.rejects(
      runRulesFetch({
        baseUrl: `http://127.0.0.1:${port}`,
        cacheDir: path.join(scratch, "down"),
        out: () => {},
      }),
      (error: unknown) =>
        error instanceof FalcoStackError &&
        error.exitCode === 2 &&
        /cannot download http:\/\/127\.0\.0\.1:\d+\/falco-rules-5\.1\.0/.test(error.message),
    );
  });

  it("prints what it downloaded and where (CLI, one ruleset)", async () => {
    const lines: string[] = [];
    const cacheDir = path.join(scratch, "cli");
    const code = await runRulesFetch({
      baseUrl: good.baseUrl,
      rulesets: ["falco-incubating-rules"],
      cacheDir,
      out: (line) => lines.push(line),
    });
    assert.equal(code, 0);
    assert.deepEqual(lines, [
      `downloaded: falco-incubating-rules 6.0.1 -> ${path.join(cacheDir, "rulesets", "falco-incubating-rules-6.0.1.yaml")}`,
    ]);
  });
});
