import { registerDemoCommand } from "../../src/cli/demo.ts";
import { registerEventsCommand } from "../../src/cli/events.ts";
import { demoArgs, eventsArgs, type DemoCommandFlags, type EventsCommandFlags } from "./cli-args.ts";
import { runCommand, type InProcessCli } from "./cli-in-process.ts";

/** `falco-stack events` with these flags, run in-process (runCommand). */
export function runEvents(flags: EventsCommandFlags): InProcessCli {
  return runCommand(registerEventsCommand, eventsArgs(flags));
}

/**
 * `falco-stack events` with these flags, run in-process and resolved once stderr has printed
 * `notice` (e.g. /following nats:/): it then listens, so an event the test sends next must reach it.
 */
export async function followEvents(flags: EventsCommandFlags, notice: RegExp): Promise<InProcessCli> {
  const run = runEvents(flags);
  await run.stderrMatches(notice);
  return run;
}

/** `falco-stack demo` with these flags, run in-process (runCommand). */
export function runDemo(flags: DemoCommandFlags): InProcessCli {
  return runCommand(registerDemoCommand, demoArgs(flags));
}
