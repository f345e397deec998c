/**
 * Values the plan cannot see: a Pulumi Output a user passed in, a credential generated at deploy
 * time, or a checksum of those. The plan stays pure and plain-typed by standing a unique token
 * string in for each; the Pulumi adapter swaps the tokens back for Outputs, and render never has any.
 *
 * A token may sit inside a longer string (`http://falcosidekick.<token>:2801/`): the adapter then
 * builds the string from the resolved parts.
 */

const TOKEN_MARK = "\u{F8FF}";
const TOKEN_PATTERN = /\u{F8FF}late:(\d+)\u{F8FF}/gu;
const WHOLE_TOKEN = /^\u{F8FF}late:(\d+)\u{F8FF}$/u;

/** A checksum or other value computed from late values once they are known. */
export interface LateComputation {
  readonly inputs: readonly string[];
  readonly compute: (values: readonly unknown[]) => string;
}

/** Hands out tokens and remembers what each stands for. One instance per component or plan. */
export class LateValues<Source = unknown> {
  private next = 0;
  readonly sources = new Map<string, Source>();
  readonly computations = new Map<string, LateComputation>();
  /** Where in the caller's arguments each value stood, to check it once it is known. */
  readonly paths = new Map<string, readonly (string | number)[]>();

  private token(): string {
    return `${TOKEN_MARK}late:${this.next++}${TOKEN_MARK}`;
  }

  /** A token for a value known only later (a user's Output, a generated password). */
  stand(source: Source, path?: readonly (string | number)[]): string {
    const token = this.token();
    this.sources.set(token, source);
    if (path) this.paths.set(token, path);
    return token;
  }

  /**
   * `compute(values)` now when no input holds a token (render), or a token the adapter computes once
   * the inputs resolve (pulumi up).
   */
  computeFrom(inputs: readonly string[], compute: (values: readonly unknown[]) => string): string {
    if (!inputs.some(hasLateToken)) return compute(inputs);
    const token = this.token();
    this.computations.set(token, { inputs, compute });
    return token;
  }
}

export function isLateToken(value: unknown): value is string {
  return typeof value === "string" && WHOLE_TOKEN.test(value);
}

export function hasLateToken(value: unknown): boolean {
  return typeof value === "string" && value.includes(TOKEN_MARK);
}

/** The tokens in a string, in order. */
export function lateTokensIn(value: string): string[] {
  return [...value.matchAll(TOKEN_PATTERN)].map((match) => match[0]);
}

/** Replaces each token in `value` with its resolved text. */
export function substituteLate(value: string, resolved: ReadonlyMap<string, unknown>): string {
  return value.replace(TOKEN_PATTERN, (token) => String(resolved.get(token)));
}
