import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, it } from "node:test";
import { projectRoot } from "../helpers/shared.ts";

// npm's own range matcher (semver, installed with npm and with @pulumi/pulumi): what EBADENGINE uses.
const semver = createRequire(__filename)("semver") as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface LockFile {
  packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }>;
}

describe("supported Node versions", () => {
  it("every locked package accepts the oldest Node we support, so npm ci prints no EBADENGINE", () => {
    const manifest = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const oldest = semver.minVersion(manifest.engines.node)?.version;
    assert.equal(oldest, "20.19.0");
    const lock = JSON.parse(readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")) as LockFile;
    const refusing = Object.entries(lock.packages)
      .filter(([name]) => name !== "")
      .flatMap(([name, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return range && !semver.satisfies(oldest ?? "", range) ? [`${name} wants node ${range}`] : [];
      });
    assert.deepEqual(refusing, []);
  });
});
