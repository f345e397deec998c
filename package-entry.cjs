// The package entry: importable right after `npm ci`, with no build step.
require("tsx/cjs/api").register();
module.exports = require("./library.ts");
