import path from "node:path";
import { describe, it } from "node:test";
import { renderStack, type RenderFormat } from "../../src/render/render.ts";
import { assertGolden, MASKED_CREDENTIALS } from "../helpers/golden.ts";

/**
 * Golden GitOps directories of the shipped stacks (credentials masked, Secrets external as by
 * default), beside the plain golden files: regenerate with FALCO_STACK_UPDATE_GOLDEN=1 npm test.
 */

// A literal here, so scripts/count-tests.ts counts the tests each stack gets.
const STACKS = ["dev", "staging", "prod"] as const;

const FORMATS: RenderFormat[] = ["flux", "argocd"];

describe("golden GitOps renders of the shipped stacks", () => {
  for (const stack of STACKS) {
    for (const format of FORMATS) {
      it(`${stack} --format ${format}: every file is exactly the pinned one`, () => {
        const rendered = renderStack({ stack, env: {}, credentials: MASKED_CREDENTIALS, format });
        for (const [file, actual] of Object.entries(rendered.files)) {
          assertGolden(path.join(stack, format, file), actual);
        }
      });
    }
  }
});
