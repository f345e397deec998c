#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx compiles on the fly, for import() and require.
import("tsx/esm/api")
  .then(({ register }) => {
    register();
    require("tsx/cjs/api").register();
    return require("../src/cli/main.ts").main(process.argv);
  })
  .then((code) => {
    process.exitCode = code;
  });
