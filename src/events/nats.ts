import net from "node:net";
import tls from "node:tls";
import {
  connect,
  credsAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { FeedUnavailableError, errorMessage, type EventFeed, type FeedSink } from "./feed.ts";
import { EventParseError, parseSidekickPayload } from "./model.ts";
import { ALL_EVENTS_SUBJECT, subjectProblem } from "./subject.ts";
import { redactUrl, redactUrlsIn } from "../redact.ts";

/** How the client proves who it is, and which CA it trusts for TLS. Contents, not file names. */
export interface NatsAuth {
  user?: string;
  password?: string;
  token?: string;
  /** The text of a NATS credentials file (`.creds`: user JWT and NKey seed). */
  creds?: string;
  /** PEM text of the CA that signed the server's certificate; implies TLS. */
  ca?: string;
  /**
   * The name the server's certificate must carry. The client checks an IP address URL against
   * "localhost", so a server reached through a port-forward needs its real name here.
   */
  tlsName?: string;
}

export interface NatsFeedOptions {
  /** `nats://host:port`, `tls://host:port` (or `host:port`); `nats://user:pass@host` and `nats://token@host` carry credentials. */
  url: string;
  /** Default `falco.>`: every subject falcosidekick's default template produces. */
  subject?: string;
  /** How long connecting may take, the server's first answer included. Default 5 s. */
  connectTimeoutMs?: number;
  auth?: NatsAuth;
  /** How often to try again after the connection drops (the client's default: 10, 2 s apart). */
  maxReconnectAttempts?: number;
  reconnectTimeWaitMs?: number;
}

/** A NATS server URL, with what its user info says and the URL without it (what the client gets). */
export interface ParsedNatsUrl {
  server: string;
  /** For messages: the URL with any user info as `***`. */
  display: string;
  host: string;
  port: number;
  tls: boolean;
  auth: Pick<NatsAuth, "user" | "password" | "token">;
}

/** Checks a NATS server URL and splits off its credentials; throws with what is allowed. */
export function parseNatsUrl(url: string): ParsedNatsUrl {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`;
  const shown = redactUrl(withScheme);
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new FeedUnavailableError(`"${shown}" is not a NATS URL (expected nats://HOST:PORT)`);
  }
  if (!["nats:", "tls:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new FeedUnavailableError(
      `"${shown}" is not a NATS URL (expected nats://HOST:PORT or tls://HOST:PORT)`,
    );
  }
  const user = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  // nats://TOKEN@host: a user without a password is a token, as the other NATS clients read it.
  const auth = user !== undefined && password === undefined ? { token: user } : { user, password };
  parsed.username = "";
  parsed.password = "";
  const server = `${parsed.protocol}//${parsed.host}`;
  return {
    server,
    display: user === undefined ? server : `${parsed.protocol}//***@${parsed.host}`,
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? 4222 : Number(parsed.port),
    tls: parsed.protocol === "tls:",
    auth,
  };
}

/** Credentials from the URL and from the options must not both be given: which would win is a guess. */
function mergeAuth(fromUrl: ParsedNatsUrl["auth"], given: NatsAuth = {}): NatsAuth {
  const inUrl = fromUrl.user !== undefined || fromUrl.token !== undefined;
  const inOptions = given.user !== undefined || given.password !== undefined || given.token !== undefined;
  if (inUrl && inOptions) {
    throw new FeedUnavailableError(
      "NATS credentials given twice: in the URL and as user/password/token options; give them once",
    );
  }
  if ((given.user === undefined) !== (given.password === undefined)) {
    throw new FeedUnavailableError("a NATS user needs a password, and a password a user");
  }
  return { ...given, ...(inUrl ? fromUrl : {}) };
}

function connectionOptions(url: ParsedNatsUrl, auth: NatsAuth, options: NatsFeedOptions): ConnectionOptions {
  const connection: ConnectionOptions = {
    servers: url.server,
    timeout: options.connectTimeoutMs ?? 5000,
    name: "falco-stack",
    maxReconnectAttempts: options.maxReconnectAttempts ?? 10,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 2000,
  };
  if (auth.user !== undefined) {
    connection.user = auth.user;
    connection.pass = auth.password;
  }
  if (auth.token !== undefined) connection.token = auth.token;
  if (auth.creds !== undefined)
    connection.authenticator = credsAuthenticator(new TextEncoder().encode(auth.creds));
  if (auth.ca !== undefined || auth.tlsName !== undefined || url.tls) {
    connection.tls = {
      ...(auth.ca !== undefined ? { ca: auth.ca } : {}),
      ...(auth.tlsName !== undefined ? { servername: auth.tlsName } : {}),
    };
  }
  return connection;
}

/**
 * Waits for the server's first line (`INFO {...}`, which NATS sends in clear text before any TLS
 * upgrade) and, when TLS will be used, for a TLS handshake. The client library leaks its socket
 * when either never completes (nats-io/nats.js#64: its connect timeout rejects, but the socket
 * stays open and the process never exits), so a listener that accepts and stays silent is caught
 * here, on our own socket, which we always close. Certificates are checked by the client later;
 * this only proves the server answers.
 */
function awaitServerAnswer(url: ParsedNatsUrl, auth: NatsAuth, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const plain = net.connect({ host: url.host, port: url.port });
    let socket: net.Socket = plain;
    let received = "";
    let stage: "connect" | "info" | "tls" = "connect";
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Once wrapped, the TLS socket owns the plain one: destroying it closes both.
      socket.on("error", () => undefined);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      const what = {
        connect: `cannot reach NATS at ${url.display}: no connection within ${seconds(timeoutMs)}`,
        info: `NATS at ${url.display} accepted the connection but did not answer within ${seconds(timeoutMs)} (is it a NATS server?)`,
        tls: `NATS at ${url.display} did not complete the TLS handshake within ${seconds(timeoutMs)}`,
      };
      finish(new FeedUnavailableError(what[stage]));
    }, timeoutMs);
    const failed = (error: NodeJS.ErrnoException): void =>
      finish(
        new FeedUnavailableError(
          `cannot reach NATS at ${url.display}: ${error.code === "ECONNREFUSED" ? "connection refused" : error.message}`,
        ),
      );
    plain.on("connect", () => {
      stage = "info";
    });
    plain.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.length >= 4 && !received.startsWith("INFO")) {
        finish(
          new FeedUnavailableError(
            `NATS at ${url.display} answered something that is not NATS (expected INFO): is it the right port?`,
          ),
        );
        return;
      }
      const end = received.indexOf("\r\n");
      if (end === -1) return;
      let info: { tls_required?: boolean; tls_available?: boolean } = {};
      try {
        info = JSON.parse(received.slice(4, end)) as typeof info;
      } catch {
        // The client will say what is wrong with it.
      }
      const wantsTls = url.tls || auth.ca !== undefined || auth.tlsName !== undefined;
      if (!info.tls_required && !(wantsTls && info.tls_available)) {
        finish();
        return;
      }
      stage = "tls";
      plain.removeAllListeners("data");
      plain.pause();
      socket = tls.connect({ socket: plain, rejectUnauthorized: false, servername: auth.tlsName });
      socket.once("secureConnect", () => finish());
      socket.on("error", failed);
    });
    plain.on("error", failed);
    plain.on("close", () =>
      finish(new FeedUnavailableError(`NATS at ${url.display} closed the connection without answering`)),
    );
  });
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

/** Subscribes to falcosidekick's NATS subjects and parses each payload. */
export function natsFeed(options: NatsFeedOptions): EventFeed {
  const url = parseNatsUrl(options.url);
  const auth = mergeAuth(url.auth, options.auth);
  const subject = options.subject ?? ALL_EVENTS_SUBJECT;
  const problem = subjectProblem(subject);
  if (problem) throw new FeedUnavailableError(`bad NATS subject: ${problem}`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  let connection: NatsConnection | undefined;
  let subscription: Subscription | undefined;
  let stopping = false;
  /** Library messages can quote what they were given: never a credential. */
  const clean = (error: unknown): string => redactUrlsIn(errorMessage(error));

  return {
    channel: "nats",
    description: `${url.display} subject ${subject}`,
    async start(sink: FeedSink) {
      await awaitServerAnswer(url, auth, connectTimeoutMs);
      try {
        connection = await connect(connectionOptions(url, auth, options));
      } catch (error) {
        const hint = /altnames|ERR_TLS_CERT_ALTNAME_INVALID/.test(errorMessage(error))
          ? " (reached through a port-forward? give the name in the certificate with --nats-tls-name)"
          : "";
        const reason =
          errorMessage(error) === "timeout"
            ? `no answer to the connection handshake (CONNECT, PING) within ${seconds(connectTimeoutMs)}`
            : clean(error);
        throw new FeedUnavailableError(`cannot connect to NATS at ${url.display}: ${reason}${hint}`);
      }
      const nc = connection;
      subscription = nc.subscribe(subject);
      // The server must know the subscription before start() returns, or early events are lost.
      let flushTimer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          nc.flush(),
          new Promise<never>((_resolve, reject) => {
            flushTimer = setTimeout(
              () => reject(new Error(`no answer to the subscription within ${seconds(connectTimeoutMs)}`)),
              connectTimeoutMs,
            );
          }),
        ]);
      } catch (error) {
        stopping = true;
        await nc.close().catch(() => undefined);
        throw new FeedUnavailableError(
          `NATS at ${url.display} did not confirm subscribing to ${subject}: ${clean(error)}`,
        );
      } finally {
        clearTimeout(flushTimer);
      }
      const messages = subscription;
      void (async () => {
        try {
          for await (const message of messages) {
            try {
              sink.event(parseSidekickPayload(message.string()), message.subject);
            } catch (error) {
              if (!(error instanceof EventParseError)) throw error;
              sink.problem(`${message.subject}: ${error.message}`);
            }
          }
        } catch (error) {
          if (!stopping) sink.failed(new Error(`NATS subscription ${subject} failed: ${clean(error)}`));
        }
      })();
      void (async () => {
        for await (const status of nc.status()) {
          if (stopping) return;
          if (status.type === "disconnect") {
            sink.status?.(`lost the connection to NATS at ${url.display}: reconnecting`);
          } else if (status.type === "reconnect") {
            sink.status?.(`reconnected to NATS at ${url.display}`);
          }
        }
      })();
      void nc.closed().then((error) => {
        if (!stopping)
          sink.failed(
            new Error(`NATS connection to ${url.display} closed${error ? `: ${clean(error)}` : ""}`),
          );
      });
    },
    async stop() {
      stopping = true;
      if (connection && !connection.isClosed()) await connection.close();
    },
  };
}
