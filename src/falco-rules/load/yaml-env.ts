/**
 * The `yaml` parser (2.9.1) reads `process.env.LOG_TOKENS` for every token it parses. Node's
 * `process.env` is backed by the C environment, and that one read was about a fifth of parsing a
 * large file (10,000 test cases). While a parse runs, `process.env` is a plain copy of itself:
 * the same names and values, so the parser behaves exactly as it would, only without the lookups.
 */
export function withPlainProcessEnv<T>(parse: () => T): T {
  const env = process.env;
  // Synchronous: no other code can see the copy, and the real object is back before anything else runs.
  process.env = { ...env };
  try {
    return parse();
  } finally {
    process.env = env;
  }
}
