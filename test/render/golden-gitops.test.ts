import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { renderStack, type RenderFormat } from "../../src/render/render.ts";
import type { StackCredentials } from "../../src/stack/plan.ts";
import { projectRoot } from "../helpers/shared.ts";

/**
 * Golden GitOps directories of the shipped stacks (credentials masked, Secrets external as by
 * default), beside the plain golden files: regenerate with FALCO_STACK_UPDATE_GOLDEN=1 npm test.
 */

const STACKS = ["dev", "staging", "prod"] as const;
const FORMATS: RenderFormat[] = ["flux", "argocd"];
const GOLDEN_DIR = path.join(projectRoot, "test", "golden");
const UPDATE = process.env.FALCO_STACK_UPDATE_GOLDEN === "1";

const MASKED: StackCredentials = {
  uiUser: "MASKED-ui-user",
  uiPassword: "MASKED-ui-password",
  redisPassword: "MASKED-redis-password",
  checksumKey: "MASKED-checksum-key",
};

describe("golden GitOps renders of the shipped stacks", () => {
  for (const stack of STACKS) {
    for (const format of FORMATS) {
      it(`${stack} --format ${format}: every file is exactly the pinned one`, () => {
        const rendered = renderStack({ stack, env: {}, credentials: MASKED, format });
        const dir = path.join(GOLDEN_DIR, stack, format);
        for (const [file, actual] of Object.entries(rendered.files)) {
          const golden = path.join(dir, file);
          if (UPDATE) {
            fs.mkdirSync(path.dirname(golden), { recursive: true });
            fs.writeFileSync(golden, actual);
            continue;
          }
          assert.ok(fs.existsSync(golden), `${golden} is missing: run FALCO_STACK_UPDATE_GOLDEN=1 npm test`);
          assert.equal(
            actual,
            fs.readFileSync(golden, "utf8"),
            `${stack}/${format}/${file} differs from the golden file; if intended, run FALCO_STACK_UPDATE_GOLDEN=1 npm test and review the diff`,
          );
        }
      });
    }
  }
});
