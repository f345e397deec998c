import fs from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "falco-stack";

function isOurManifest(file: string): boolean {
  try {
    const manifest: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return (
      typeof manifest === "object" &&
      manifest !== null &&
      "name" in manifest &&
      manifest.name === PACKAGE_NAME
    );
  } catch {
    return false;
  }
}

/**
 * The nearest folder at or above `from` whose package.json is falco-stack's. Walking up, rather
 * than a fixed `../..`, finds it from the sources (`src/config/`) and the build (`dist/src/config/`).
 */
export function findPackageRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (isOurManifest(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json at or above ${from}`);
  }
}

/** The installed falco-stack package: where `values/` and `rules/` ship. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);
