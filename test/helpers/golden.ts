/**
 * Golden files under test/golden: what each shipped stack renders, credentials masked. A test
 * compares with them; `FALCO_STACK_UPDATE_GOLDEN=1 npm test` writes them instead.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { StackCredentials } from "../../src/stack/plan.ts";
import { projectRoot } from "./shared.ts";

/** Fixed credentials, so a golden file changes only when what the stack renders does. */
export const MASKED_CREDENTIALS: StackCredentials = {
  uiUser: "MASKED-ui-user",
  uiPassword: "MASKED-ui-password",
  redisPassword: "MASKED-redis-password",
  checksumKey: "MASKED-checksum-key",
};

const GOLDEN_DIR = path.join(projectRoot, "test", "golden");
const UPDATE = process.env.FALCO_STACK_UPDATE_GOLDEN === "1";

/** `actual` equals the golden file `relative` (e.g. `dev/manifests.yaml`), or is written there on update. */
export function assertGolden(relative: string, actual: string): void {
  const golden = path.join(GOLDEN_DIR, relative);
  if (UPDATE) {
    fs.mkdirSync(path.dirname(golden), { recursive: true });
    fs.writeFileSync(golden, actual);
    return;
  }
  assert.ok(
    fs.existsSync(golden),
    `${golden} is missing: run FALCO_STACK_UPDATE_GOLDEN=1 npm test and review the diff`,
  );
  assert.equal(
    actual,
    fs.readFileSync(golden, "utf8"),
    `${relative} differs from the golden file; if the change is intended, run FALCO_STACK_UPDATE_GOLDEN=1 npm test and review the diff`,
  );
}
