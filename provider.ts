/**
 * The multi-language surface: `pulumi package add` (PulumiPlugin.yaml) runs this package through
 * the Pulumi Node SDK's plugin host, which loads package.json `main` (the compiled dist/provider.js)
 * and serves every component exported here to Python, Go, .NET and YAML. Importing it registers
 * nothing. TypeScript and JavaScript consumers import `exports` (library.ts) instead.
 */
export { FalcoSecurityStack, type FalcoSecurityStackArgs } from "./components/falco-security-stack.ts";
