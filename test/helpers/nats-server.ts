import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsServerOptions {
  /** Listen on this port (to restart a server where clients reconnect); default a free one. */
  port?: number;
  /**
   * Lines of a nats-server configuration file (e.g. `authorization { user: a, password: b }` or a
   * `tls { ... }` block); the listen address and port are set here.
   */
  config?: string;
}

/**
 * Starts a real `nats-server` on a free 127.0.0.1 port and waits until it accepts connections.
 * Fails (never skips) when the binary is missing.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const probe = spawnSync("nats-server", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(
      "nats-server is not installed: the NATS tests need it. Install it with `apt-get install nats-server` (CI's .ci/run does).",
    );
  }
  const port = options.port ?? (await freePort());
  const args = ["-a", "127.0.0.1", "-p", String(port), "-m", "0"];
  if (options.config !== undefined) {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "falco-stack-nats-")), "nats.conf");
    writeFileSync(file, `${options.config}\n`);
    args.push("-c", file);
  }
  const child = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitUntilListening(port, child, () => log);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: () => stopProcess(child),
  };
}

async function waitUntilListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${log()}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error(`nats-server did not accept connections on 127.0.0.1:${port} within 10 s: ${log()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
