/**
 * Command lines for `falco-stack events` and `falco-stack demo`, built from named flags: the tests
 * repeated long `["events", "--ui", url, "--user", user, ...]` lists, and a misspelt flag name here
 * fails to compile instead of becoming a usage error the test did not mean to check.
 */

/** A flag's value on the command line; numbers are written as `String(n)`. */
type FlagValue = string | number;

/** The `events` flags the tests use (see src/cli/events.ts). */
export type EventsCommandFlags = {
  nats?: string;
  subject?: string;
  natsUser?: string;
  natsPasswordFile?: string;
  natsCa?: string;
  natsTlsName?: string;
  ui?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  json?: boolean;
  count?: FlagValue;
  timeout?: FlagValue;
  priority?: string;
  cluster?: string;
  poll?: FlagValue;
};

/** The `demo` flags the tests use (see src/cli/demo.ts). */
export type DemoCommandFlags = {
  nodes?: boolean;
  json?: boolean;
  stack?: string;
  outputsFile?: string;
  pod?: string;
  demoNamespace?: string;
  via?: "logs" | "ui" | "nats";
  nats?: string;
  timeout?: FlagValue;
};

/** `["events", ...]` with each flag as `--kebab-name value` (or `--name` alone when true), in the order given. */
export function eventsArgs(flags: EventsCommandFlags): string[] {
  return ["events", ...flagArgs(flags)];
}

/** `["demo", ...]` with each flag as `--kebab-name value` (or `--name` alone when true), in the order given. */
export function demoArgs(flags: DemoCommandFlags): string[] {
  return ["demo", ...flagArgs(flags)];
}

function flagArgs(flags: Readonly<Record<string, FlagValue | boolean | undefined>>): string[] {
  return Object.entries(flags).flatMap(([name, value]) => {
    const flag = `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    if (value === undefined || value === false) return [];
    return value === true ? [flag] : [flag, String(value)];
  });
}
