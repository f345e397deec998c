import { InvalidArgumentError, type Command } from "commander";
import type { EventFeed } from "../events/feed.ts";
import { followEvents } from "../events/follow.ts";
import { PRIORITIES, parsePriority, type Priority } from "../events/model.ts";
import { natsFeed } from "../events/nats.ts";
import { UiClient, uiFeed } from "../events/ui.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

interface EventsFlags {
  nats?: string;
  subject?: string;
  ui?: string;
  user?: string;
  password?: string;
  json?: boolean;
  count?: string;
  timeout?: string;
  priority?: Priority;
  poll?: string;
}

export { processIo, type CliIo };

export function registerEventsCommand(program: Command, result: CommandResult, io: CliIo = processIo): void {
  program
    .command("events")
    .description("follow Falco events as they arrive, from NATS or the falcosidekick UI")
    .option("--nats <url>", "NATS server falcosidekick publishes to, e.g. nats://127.0.0.1:4222")
    .option("--subject <subject>", "NATS subject to subscribe to (default falco.>)")
    .option("--ui <url>", "falcosidekick UI base URL, e.g. http://127.0.0.1:2802")
    .option("--user <login>", "UI login (basic auth)")
    .option("--password <password>", "UI password (basic auth)")
    .option("--json", "print each event as falcosidekick sent it, one JSON object per line")
    .option("--count <n>", "stop after N events")
    .option("--timeout <seconds>", "stop after this many seconds")
    .option(
      "--priority <priority>",
      "show only events at least this severe: emergency, alert, critical, error, warning, notice, informational, debug",
      priorityFlag,
    )
    .option("--poll <ms>", "UI polling interval in milliseconds (default 1000)")
    .action(async (flags: EventsFlags) => {
      result.exitCode = await runEventsCommand(flags, io);
    });
}

async function runEventsCommand(flags: EventsFlags, io: CliIo): Promise<number> {
  const count = flags.count === undefined ? undefined : positiveInteger("--count", flags.count);
  const timeoutSeconds = flags.timeout === undefined ? undefined : positiveNumber("--timeout", flags.timeout);
  const minimumPriority = flags.priority;
  const feed = makeFeed(flags);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const outcome = await followEvents({
      feed,
      count,
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      minimumPriority,
      json: flags.json === true,
      writeLine: (line) => io.stdout(`${line}\n`),
      notice: (line) => io.stderr(`${line}\n`),
      signal: controller.signal,
    });
    switch (outcome.reason) {
      case "count":
      case "stopped":
        return ExitCode.ok;
      case "timeout":
        if (count !== undefined) {
          io.stderr(
            `timeout after ${timeoutSeconds}s: got ${outcome.received} of ${count} event(s) from ${feed.description}\n`,
          );
          return ExitCode.failed;
        }
        return ExitCode.ok;
      case "failed":
        throw new UserError(outcome.error, ExitCode.usage);
    }
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

function makeFeed(flags: EventsFlags): EventFeed {
  const usage = "use --nats URL [--subject S], or --ui URL --user U --password P";
  if (flags.nats !== undefined && flags.ui !== undefined)
    throw new UserError(`--nats and --ui exclude each other: ${usage}`);
  if (flags.nats !== undefined) {
    if (flags.user !== undefined || flags.password !== undefined) {
      throw new UserError("--user and --password belong to --ui, not --nats");
    }
    return natsFeed({ url: flags.nats, subject: flags.subject });
  }
  if (flags.ui !== undefined) {
    if (flags.subject !== undefined) throw new UserError("--subject belongs to --nats, not --ui");
    if (flags.user === undefined || flags.password === undefined) {
      throw new UserError("--ui needs --user and --password (the UI uses basic auth on every call)");
    }
    const client = new UiClient({ url: flags.ui, user: flags.user, password: flags.password });
    const pollIntervalMs = flags.poll === undefined ? undefined : positiveInteger("--poll", flags.poll);
    return uiFeed({ client, pollIntervalMs });
  }
  throw new UserError(`no event source: ${usage}`);
}

function priorityFlag(value: string): Priority {
  const priority = parsePriority(value);
  if (!priority) {
    throw new InvalidArgumentError(`use one of ${PRIORITIES.map((name) => name.toLowerCase()).join(", ")}`);
  }
  return priority;
}

export function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0) {
    throw new UserError(`${flag} must be a whole number above 0, got "${value}"`);
  }
  return number;
}

export function positiveNumber(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0) {
    throw new UserError(`${flag} must be a number of seconds above 0, got "${value}"`);
  }
  return number;
}
