import { readFileSync } from "node:fs";
import { InvalidArgumentError, Option, type Command } from "commander";
import { clusterNameProblem } from "../events/cluster.ts";
import type { EventFeed } from "../events/feed.ts";
import { followEvents } from "../events/follow.ts";
import { PRIORITIES, parsePriority, type Priority } from "../events/model.ts";
import { natsFeed, type NatsAuth } from "../events/nats.ts";
import { clusterSubscription } from "../events/subject.ts";
import { UiClient, uiFeed } from "../events/ui.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

export { processIo, type CliIo };

/** The environment variables the credential options read (named in --help and the README). */
export const CREDENTIAL_ENV = {
  natsUser: "FALCO_STACK_NATS_USER",
  natsPassword: "FALCO_STACK_NATS_PASSWORD",
  natsToken: "FALCO_STACK_NATS_TOKEN",
  uiUser: "FALCO_STACK_UI_USER",
  uiPassword: "FALCO_STACK_UI_PASSWORD",
} as const;

/** The NATS connection flags `events` and `demo --via nats` share. */
export interface NatsFlags {
  natsUser?: string;
  natsPasswordFile?: string;
  natsTokenFile?: string;
  natsCreds?: string;
  natsCa?: string;
  natsTlsName?: string;
}

interface EventsFlags extends NatsFlags {
  nats?: string;
  subject?: string;
  ui?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  json?: boolean;
  count?: string;
  timeout?: string;
  priority?: Priority;
  cluster?: string;
  poll?: string;
  /** --user was on the command line (not from the environment). */
  userFlag?: boolean;
}

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest --timeout, in whole seconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** How long connecting to a server may take, unless --timeout is shorter. */
export const CONNECT_TIMEOUT_MS = 5000;

/** Adds the NATS credential and TLS options (events, demo). */
export function addNatsOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--nats-user <user>",
        "NATS user (with a password from the environment or --nats-password-file)",
      ).env(CREDENTIAL_ENV.natsUser),
    )
    .option(
      "--nats-password-file <file>",
      `file holding the NATS password (or set ${CREDENTIAL_ENV.natsPassword})`,
    )
    .option("--nats-token-file <file>", `file holding a NATS token (or set ${CREDENTIAL_ENV.natsToken})`)
    .option("--nats-creds <file>", "NATS credentials file (.creds: user JWT and NKey seed)")
    .option("--nats-ca <file>", "PEM file of the CA that signed the NATS server's certificate (turns TLS on)")
    .option(
      "--nats-tls-name <name>",
      "name to verify in the NATS server's certificate, e.g. nats.NAMESPACE.svc through a port-forward",
    );
}

const CREDENTIALS_HELP = `
Credentials (never on the command line, where ps shows them):
  NATS   nats://user:password@host:4222 or nats://token@host:4222 in --nats (shown as nats://***@...),
         or --nats-user / ${CREDENTIAL_ENV.natsUser} with ${CREDENTIAL_ENV.natsPassword} or --nats-password-file,
         or ${CREDENTIAL_ENV.natsToken} / --nats-token-file, or --nats-creds FILE; --nats-ca FILE for TLS.
  UI     --user or ${CREDENTIAL_ENV.uiUser}, with ${CREDENTIAL_ENV.uiPassword} or --password-file FILE.
`;

export function registerEventsCommand(program: Command, result: CommandResult, io: CliIo = processIo): void {
  const command = program
    .command("events")
    .description("follow Falco events as they arrive, from NATS or the falcosidekick UI")
    .option("--nats <url>", "NATS server falcosidekick publishes to, e.g. nats://127.0.0.1:4222")
    .option(
      "--subject <subject>",
      "NATS subject to subscribe to (default falco.>, or falco.NAME.> with --cluster NAME)",
    );
  addNatsOptions(command)
    .option("--ui <url>", "falcosidekick UI base URL, e.g. http://127.0.0.1:2802")
    .addOption(new Option("--user <login>", "UI login (basic auth)").env(CREDENTIAL_ENV.uiUser))
    .option("--password-file <file>", `file holding the UI password (or set ${CREDENTIAL_ENV.uiPassword})`)
    .addOption(
      new Option(
        "--password <password>",
        "UI password: visible in ps, prefer the environment or --password-file",
      ).hideHelp(),
    )
    .option("--json", "print each event as falcosidekick sent it, one JSON object per line")
    .option("--count <n>", "stop after N events")
    .option(
      "--timeout <seconds>",
      `stop after this many seconds (at most ${MAX_TIMEOUT_SECONDS}); connecting is part of it`,
    )
    .option(
      "--priority <priority>",
      "show only events at least this severe: emergency, alert, critical, error, warning, notice, informational, debug",
      priorityFlag,
    )
    .option(
      "--cluster <name>",
      "show only events of this cluster (the stack's clusterName); over NATS, subscribes to falco.NAME.>",
    )
    .option("--poll <ms>", "UI polling interval in milliseconds (default 1000)")
    .addHelpText("after", CREDENTIALS_HELP)
    .action(async (flags: EventsFlags, command: Command) => {
      // --user may come from FALCO_STACK_UI_USER, which stays set when following NATS: only the flag is a mistake there.
      const userFlag = command.getOptionValueSource("user") === "cli";
      result.exitCode = await runEventsCommand({ ...flags, userFlag }, io, process.env);
    });
}

async function runEventsCommand(flags: EventsFlags, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const count = flags.count === undefined ? undefined : positiveInteger("--count", flags.count);
  const timeoutSeconds = flags.timeout === undefined ? undefined : positiveNumber("--timeout", flags.timeout);
  const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
  const minimumPriority = flags.priority;
  if (flags.cluster !== undefined) {
    const problem = clusterNameProblem(flags.cluster);
    if (problem !== undefined) throw new UserError(`--cluster ${problem}`);
  }
  const feed = makeFeed(flags, env, io, timeoutMs);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const outcome = await followEvents({
      feed,
      count,
      timeoutMs,
      minimumPriority,
      cluster: flags.cluster,
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

/** The connect timeout: 5 s, or the whole --timeout when that is shorter. */
export function connectTimeout(timeoutMs: number | undefined): number {
  return Math.min(CONNECT_TIMEOUT_MS, timeoutMs ?? CONNECT_TIMEOUT_MS);
}

function makeFeed(
  flags: EventsFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
  timeoutMs: number | undefined,
): EventFeed {
  const usage = `use --nats URL [--subject S], or --ui URL --user U with ${CREDENTIAL_ENV.uiPassword} or --password-file F`;
  if (flags.nats !== undefined && flags.ui !== undefined)
    throw new UserError(`--nats and --ui exclude each other: ${usage}`);
  const uiOnly = flags.password !== undefined || flags.passwordFile !== undefined || flags.userFlag === true;
  if (flags.nats !== undefined) {
    if (uiOnly) throw new UserError("--user, --password and --password-file belong to --ui, not --nats");
    return natsFeed({
      url: flags.nats,
      // falcosidekick publishes a cluster's events under falco.<cluster>. (the stack's template).
      subject:
        flags.subject ?? (flags.cluster === undefined ? undefined : clusterSubscription(flags.cluster)),
      auth: natsAuthFromFlags(flags, env),
      connectTimeoutMs: connectTimeout(timeoutMs),
    });
  }
  if (flags.ui !== undefined) {
    if (flags.subject !== undefined) throw new UserError("--subject belongs to --nats, not --ui");
    const natsOnly = Object.entries(flags).filter(
      ([key, value]) => key.startsWith("nats") && key !== "natsUser" && value !== undefined,
    );
    if (natsOnly.length > 0) throw new UserError("the --nats-* options belong to --nats, not --ui");
    const password = uiPassword(flags, env, io);
    if (flags.user === undefined || password === undefined) {
      throw new UserError(
        `--ui needs the UI user and password (the UI uses basic auth on every call): --user or ${CREDENTIAL_ENV.uiUser}, and ${CREDENTIAL_ENV.uiPassword} or --password-file FILE`,
      );
    }
    const client = new UiClient({
      url: flags.ui,
      user: flags.user,
      password,
      requestTimeoutMs: connectTimeout(timeoutMs) * 2,
    });
    const pollIntervalMs =
      flags.poll === undefined ? undefined : positiveInteger("--poll", flags.poll, MAX_TIMER_MS);
    return uiFeed({ client, pollIntervalMs, retryForMs: timeoutMs ?? 30_000 });
  }
  throw new UserError(`no event source: ${usage}`);
}

/** The UI password: --password-file, else FALCO_STACK_UI_PASSWORD, else (with a warning) --password. */
export function uiPassword(
  flags: { password?: string; passwordFile?: string },
  env: NodeJS.ProcessEnv,
  io: CliIo,
): string | undefined {
  const fromEnv = env[CREDENTIAL_ENV.uiPassword];
  if (flags.passwordFile !== undefined && flags.password !== undefined)
    throw new UserError("give the UI password once: --password-file or --password");
  if (flags.passwordFile !== undefined) return readSecretFile("--password-file", flags.passwordFile);
  if (flags.password !== undefined) {
    io.stderr(
      `warning: --password is visible to every user of this machine (ps); set ${CREDENTIAL_ENV.uiPassword} or use --password-file\n`,
    );
    return flags.password;
  }
  return fromEnv === "" ? undefined : fromEnv;
}

/** NATS credentials and CA from the flags and the environment (files are read here, named in errors). */
export function natsAuthFromFlags(flags: NatsFlags, env: NodeJS.ProcessEnv): NatsAuth {
  const auth: NatsAuth = {};
  const envPassword = nonEmpty(env[CREDENTIAL_ENV.natsPassword]);
  const envToken = nonEmpty(env[CREDENTIAL_ENV.natsToken]);
  if (flags.natsPasswordFile !== undefined && envPassword !== undefined) {
    throw new UserError(
      `give the NATS password once: --nats-password-file or ${CREDENTIAL_ENV.natsPassword}`,
    );
  }
  if (flags.natsTokenFile !== undefined && envToken !== undefined) {
    throw new UserError(`give the NATS token once: --nats-token-file or ${CREDENTIAL_ENV.natsToken}`);
  }
  const password =
    flags.natsPasswordFile !== undefined
      ? readSecretFile("--nats-password-file", flags.natsPasswordFile)
      : envPassword;
  const token =
    flags.natsTokenFile !== undefined ? readSecretFile("--nats-token-file", flags.natsTokenFile) : envToken;
  if (flags.natsUser !== undefined || password !== undefined) {
    if (flags.natsUser === undefined)
      throw new UserError(`a NATS password needs a user: --nats-user or ${CREDENTIAL_ENV.natsUser}`);
    if (password === undefined)
      throw new UserError(
        `NATS user "${flags.natsUser}" needs a password: ${CREDENTIAL_ENV.natsPassword} or --nats-password-file FILE`,
      );
    auth.user = flags.natsUser;
    auth.password = password;
  }
  if (token !== undefined) auth.token = token;
  if (flags.natsCreds !== undefined) auth.creds = readTextFile("--nats-creds", flags.natsCreds);
  if (flags.natsCa !== undefined) auth.ca = readTextFile("--nats-ca", flags.natsCa);
  if (flags.natsTlsName !== undefined) auth.tlsName = flags.natsTlsName;
  return auth;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function readTextFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${flag} ${file}: ${code ?? String(error)}`);
  }
}

/** A secret kept in a file: its first line, without the line end. */
export function readSecretFile(flag: string, file: string): string {
  const secret = readTextFile(flag, file).split(/\r?\n/)[0] ?? "";
  if (secret === "") throw new UserError(`${flag} ${file} is empty`);
  return secret;
}

function priorityFlag(value: string): Priority {
  const priority = parsePriority(value);
  if (!priority) {
    throw new InvalidArgumentError(`use one of ${PRIORITIES.map((name) => name.toLowerCase()).join(", ")}`);
  }
  return priority;
}

export function positiveInteger(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0) {
    throw new UserError(`${flag} must be a whole number above 0, got "${value}"`);
  }
  if (number > max) throw new UserError(`${flag} must be at most ${max}, got "${value}"`);
  return number;
}

/** Seconds above 0 and within what a Node timer can wait (about 24 days). */
export function positiveNumber(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0) {
    throw new UserError(`${flag} must be a number of seconds above 0, got "${value}"`);
  }
  if (number > MAX_TIMEOUT_SECONDS) {
    throw new UserError(
      `${flag} must be at most ${MAX_TIMEOUT_SECONDS} seconds (about 24 days, the longest timer Node can set), got "${value}"`,
    );
  }
  return number;
}
