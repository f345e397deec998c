#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx compiles on the fly.
require("tsx/cjs/api").register();
require("../src/cli/main.ts")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
