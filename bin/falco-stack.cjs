#!/usr/bin/env node
// The CLI, compiled to dist/ by `npm run build` (`npm ci` runs it through `prepare`).
let cli;
try {
  cli = require("../dist/src/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("dist/src/cli/main.js")) {
    process.stderr.write("falco-stack: the CLI is not built; run `npm run build` (or `npm ci`) first\n");
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
