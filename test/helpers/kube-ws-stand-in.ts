import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { KubeStandIn } from "./kube-stand-in.ts";

/**
 * Stands in for the Kubernetes API server's WebSocket endpoints, on the HTTP server of the kube
 * stand-in (kube-stand-in.ts): `pods/{pod}/exec` and `pods/{pod}/portforward`. It is not Kubernetes
 * and runs nothing: it speaks the channel protocol the API server speaks (v5/v4.channel.k8s.io: the
 * first byte of each binary message is the channel) and plays a scripted command, or forwards a pod
 * port to a TCP address on 127.0.0.1.
 *
 * Exec channels: 0 stdin, 1 stdout, 2 stderr, 3 the final V1Status as JSON, 4 terminal resize;
 * v5 adds 255 (the client closed a channel, e.g. stdin). Port-forward: port i of the `ports` query
 * has data channel 2i and error channel 2i+1, and the first message the server sends on each of
 * them is the port number (2 bytes, little-endian).
 */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];
const PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** One exec request as the API server received it (query values as sent). */
export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string | null;
  command: string[];
  tty: string | null;
  stdin: string | null;
  stdout: string | null;
  stderr: string | null;
  protocol: string;
  authorization: string | undefined;
  /** Everything received on the stdin channel so far. */
  stdinText: string;
  /** v5 only: the client closed its stdin channel. */
  stdinClosed: boolean;
  /** Bodies received on the resize channel. */
  resizes: string[];
}

export interface ExecSession {
  readonly request: ExecRequest;
  /** Resolves true once stdin has received `text`, false if the client went away first. */
  stdinIncludes(text: string): Promise<boolean>;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Ends the command the way the API server reports it (V1Status on channel 3), then closes. */
  exit(code: number): void;
  /** Closes the connection without a status, as when the container is killed. */
  drop(): void;
}

/** Plays the command of an exec session. */
export type ExecScript = (session: ExecSession) => void | Promise<void>;

/** `sh` alone waits for `exit` on stdin; any other command prints a line and exits 0. */
export const shellLikeScript: ExecScript = async (session) => {
  if (session.request.command.length === 1 && session.request.command[0] === "sh") {
    if (await session.stdinIncludes("exit\n")) session.exit(0);
    return;
  }
  session.stdout(`ran ${session.request.command.join(" ")}\r\n`);
  session.exit(0);
};

export interface PortForwardRequest {
  namespace: string;
  pod: string;
  ports: number[];
  protocol: string;
  authorization: string | undefined;
  /** Resolves once the tunnel's WebSocket has closed. */
  closed: Promise<void>;
}

export interface KubeWebSockets {
  execs: ExecRequest[];
  portForwards: PortForwardRequest[];
  /** What exec runs; `shellLikeScript` unless a test sets another. */
  script: ExecScript;
  /** The subprotocol exec picks among those the client offers (the API server prefers v5). */
  execProtocol: ExecProtocol;
  /** Pod ports the port-forward reaches, `namespace/pod:port` -> a TCP port on 127.0.0.1. */
  podPorts: Map<string, number>;
  /** Refuse every upgrade with this HTTP status (e.g. 403 without RBAC for pods/exec). */
  refuseWith?: number;
  /** Awaited before a valid upgrade is answered: lets a test act while a session is still opening. */
  beforeUpgrade?: () => Promise<void>;
  close(): Promise<void>;
}

/** Serves exec and port-forward on the stand-in's server; `kube.close()` then ends these sessions too. */
export function serveKubeWebSockets(kube: KubeStandIn): KubeWebSockets {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered, request) => {
      const wanted = request.url?.includes("/portforward?")
        ? [PORT_FORWARD_PROTOCOL]
        : [state.execProtocol, ...EXEC_PROTOCOLS];
      return wanted.find((protocol) => offered.has(protocol)) ?? false;
    },
  });
  const tcpSockets = new Set<net.Socket>();
  const state: KubeWebSockets = {
    execs: [],
    portForwards: [],
    script: shellLikeScript,
    execProtocol: "v5.channel.k8s.io",
    podPorts: new Map(),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of tcpSockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  kube.server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|portforward)$/.exec(url.pathname);
    if (!match) return refuse(socket, 404, "NotFound", `${url.pathname} not found`);
    if (state.refuseWith !== undefined)
      return refuse(socket, state.refuseWith, "Forbidden", `${match[3]} refused by the stand-in`);
    const [, namespace, name, kind] = match;
    const pod = kube.pods.find((candidate) => {
      const metadata = candidate.metadata as { namespace?: string; name?: string };
      return metadata.namespace === namespace && metadata.name === name;
    });
    if (!pod) return refuse(socket, 404, "NotFound", `pods "${name}" not found`);
    const authorization = request.headers.authorization;
    if (kind === "exec") {
      const containers = (pod.spec as { containers: { name: string }[] }).containers.map((c) => c.name);
      const params = url.searchParams;
      const container = params.get("container");
      if (container !== null && !containers.includes(container))
        return refuse(socket, 400, "BadRequest", `container ${container} is not valid for pod ${name}`);
      if (params.getAll("command").length === 0)
        return refuse(socket, 400, "BadRequest", "you must specify at least 1 command");
      if (!["stdin", "stdout", "stderr"].some((stream) => params.get(stream) === "true"))
        return refuse(socket, 400, "BadRequest", "you must specify at least 1 of stdin, stdout, stderr");
      upgrade(request, socket, head, (ws) => {
        const exec: ExecRequest = {
          namespace,
          pod: name,
          container,
          command: params.getAll("command"),
          tty: params.get("tty"),
          stdin: params.get("stdin"),
          stdout: params.get("stdout"),
          stderr: params.get("stderr"),
          protocol: ws.protocol,
          authorization,
          stdinText: "",
          stdinClosed: false,
          resizes: [],
        };
        state.execs.push(exec);
        void state.script(execSession(ws, exec));
      });
      return undefined;
    }
    const ports = url.searchParams
      .getAll("ports")
      .flatMap((value) => value.split(","))
      .map(Number);
    if (ports.length === 0 || !ports.every((port) => Number.isInteger(port) && port > 0 && port < 65536))
      return refuse(socket, 400, "BadRequest", "ports must be a list of port numbers");
    upgrade(request, socket, head, (ws) => {
      const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
      state.portForwards.push({ namespace, pod: name, ports, protocol: ws.protocol, authorization, closed });
      forwardPorts(
        ws,
        ports.map((port) => ({ port, target: state.podPorts.get(`${namespace}/${name}:${port}`) })),
      );
    });
    return undefined;
  });

  function upgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    accepted: (ws: WebSocket) => void,
  ): void {
    const gate = state.beforeUpgrade?.() ?? Promise.resolve();
    void gate.then(() => {
      if (socket.destroyed) return;
      wss.handleUpgrade(request, socket, head, accepted);
    });
  }

  function forwardPorts(ws: WebSocket, ports: { port: number; target: number | undefined }[]): void {
    const connections = ports.map(({ port, target }, index) => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      ws.send(Buffer.concat([Buffer.from([2 * index]), portBytes]));
      ws.send(Buffer.concat([Buffer.from([2 * index + 1]), portBytes]));
      const failed = (why: string): void => {
        // What the kubelet reports on the error channel before it gives up on the connection.
        ws.send(
          Buffer.concat([
            Buffer.from([2 * index + 1]),
            Buffer.from(`an error occurred forwarding ${port} -> ${port}: ${why}`),
          ]),
        );
        ws.close();
      };
      if (target === undefined) {
        failed(`dial tcp4 127.0.0.1:${port}: connect: connection refused`);
        return undefined;
      }
      const connection = net.connect(target, "127.0.0.1");
      tcpSockets.add(connection);
      connection.on("data", (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([2 * index]), chunk])));
      connection.on("error", (error) => failed(error.message));
      connection.on("end", () => ws.close());
      connection.on("close", () => tcpSockets.delete(connection));
      return connection;
    });
    ws.on("message", (data: RawData) => {
      const message = toBuffer(data);
      const channel = message[0];
      if (channel === undefined || channel % 2 === 1) return;
      connections[channel / 2]?.write(message.subarray(1));
    });
    ws.on("close", () => {
      for (const connection of connections) connection?.end();
    });
  }

  const previousClose = kube.close;
  kube.close = async () => {
    await state.close();
    await previousClose();
  };
  return state;
}

function execSession(ws: WebSocket, exec: ExecRequest): ExecSession {
  const waiters: { text: string; resolve: (seen: boolean) => void }[] = [];
  const send = (channel: number, data: string | Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  };
  ws.on("message", (data: RawData) => {
    const message = toBuffer(data);
    const channel = message[0];
    const body = message.subarray(1);
    if (channel === 0) exec.stdinText += body.toString("utf8");
    else if (channel === 4) exec.resizes.push(body.toString("utf8"));
    else if (channel === 255 && body[0] === 0) exec.stdinClosed = true;
    for (const waiter of waiters.filter((candidate) => exec.stdinText.includes(candidate.text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(true);
    }
  });
  ws.on("close", () => {
    for (const waiter of waiters.splice(0)) waiter.resolve(false);
  });
  return {
    request: exec,
    stdinIncludes(text) {
      if (exec.stdinText.includes(text)) return Promise.resolve(true);
      if (ws.readyState !== ws.OPEN) return Promise.resolve(false);
      return new Promise((resolve) => waiters.push({ text, resolve }));
    },
    stdout: (data) => send(1, data),
    stderr: (data) => send(2, data),
    exit(code) {
      const status =
        code === 0
          ? { metadata: {}, status: "Success" }
          : {
              metadata: {},
              status: "Failure",
              message: `command terminated with non-zero exit code: error executing command [${exec.command.join(" ")}], exit code ${code}`,
              reason: "NonZeroExitCode",
              details: { causes: [{ reason: "ExitCode", message: String(code) }] },
            };
      send(3, JSON.stringify(status));
      ws.close(1000);
    },
    drop: () => ws.close(1000),
  };
}

function refuse(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  });
  socket.end(
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? ""}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
