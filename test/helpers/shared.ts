import path from "node:path";

/** Project root: tests and benches run from anywhere. */
export const projectRoot = path.resolve(__dirname, "..", "..");

/** Where the read-only upstream data lives (`FALCO_STACK_SHARED`, default `../shared` from the project root). */
export function sharedDir(): string {
  return path.resolve(projectRoot, process.env.FALCO_STACK_SHARED ?? "../shared");
}

export function sharedPath(...parts: string[]): string {
  return path.join(sharedDir(), ...parts);
}
