import http from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * A local HTTP server that stands in for the Kubernetes API for the few read calls the demo makes
 * (get pod, list pods, follow a pod's log, get service). It is not Kubernetes. Exec and port-forward
 * (WebSocket upgrades) are served only once `serveKubeWebSockets` (kube-ws-stand-in.ts) is attached.
 */
export interface KubeStandIn {
  url: string;
  /** A kubeconfig file pointing at this server (context `stand-in`). */
  kubeconfig: string;
  pods: Record<string, unknown>[];
  services: Record<string, unknown>[];
  requests: string[];
  /** Open log streams by pod name: write lines into them. */
  logStreams: Map<string, http.ServerResponse>;
  /** Pods whose log request is accepted and never answered (a hung kubelet behind the API). */
  silentLogs: Set<string>;
  /** The HTTP server, for kube-ws-stand-in.ts to take the WebSocket upgrades. */
  server: http.Server;
  close(): Promise<void>;
}

export async function startKubeStandIn(): Promise<KubeStandIn> {
  const pods: Record<string, unknown>[] = [];
  const services: Record<string, unknown>[] = [];
  const requests: string[] = [];
  const logStreams = new Map<string, http.ServerResponse>();
  const silentLogs = new Set<string>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const notFound = (what: string): void =>
      json(404, {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "NotFound",
        code: 404,
        message: `${what} not found`,
      });
    const serviceMatch = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)$/.exec(url.pathname);
    if (serviceMatch) {
      const [, namespace, name] = serviceMatch;
      const service = services.find((candidate) => {
        const metadata = candidate.metadata as { namespace?: string; name?: string };
        return metadata.namespace === namespace && metadata.name === name;
      });
      return service ? json(200, service) : notFound(`services "${name}"`);
    }
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?(\/log)?$/.exec(url.pathname);
    if (!match) return notFound(url.pathname);
    const [, namespace, name, log] = match;
    const inNamespace = pods.filter(
      (pod) => (pod.metadata as { namespace?: string }).namespace === namespace,
    );
    if (!name) {
      const selector = url.searchParams.get("labelSelector") ?? "";
      const wanted = selector
        .split(",")
        .filter(Boolean)
        .map((pair) => pair.split("="));
      const items = inNamespace.filter((pod) => {
        const labels = (pod.metadata as { labels?: Record<string, string> }).labels ?? {};
        return wanted.every(([key, value]) => labels[key] === value);
      });
      return json(200, { kind: "PodList", apiVersion: "v1", metadata: {}, items });
    }
    const pod = inNamespace.find((candidate) => (candidate.metadata as { name?: string }).name === name);
    if (!pod) return notFound(`pods "${name}"`);
    if (!log) return json(200, pod);
    if (silentLogs.has(name)) return undefined;
    response.writeHead(200, { "content-type": "text/plain" });
    response.flushHeaders();
    logStreams.set(name, response);
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), "falco-stack-kube-"));
  const kubeconfig = path.join(dir, "config");
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: stand-in, cluster: {server: '" + url + "', insecure-skip-tls-verify: true}}]",
      "users: [{name: tester, user: {token: test-token}}]",
      "contexts: [{name: stand-in, context: {cluster: stand-in, user: tester, namespace: default}}]",
      "current-context: stand-in",
      "",
    ].join("\n"),
  );
  return {
    url,
    kubeconfig,
    pods,
    services,
    requests,
    logStreams,
    silentLogs,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of logStreams.values()) stream.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ready: boolean,
  container: string,
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, labels },
    spec: { containers: [{ name: container, image: "x" }] },
    status: {
      phase: ready ? "Running" : "Pending",
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: [
        {
          name: container,
          ready,
          restartCount: 0,
          image: "x",
          imageID: "",
          containerID: ready ? "containerd://85510af8dfe0aaaabbbb" : undefined,
          state: ready ? { running: {} } : { waiting: { reason: "ContainerCreating" } },
        },
      ],
    },
  };
}

/** A ClusterIP service in front of the pods with `selector`. */
export function service(
  namespace: string,
  name: string,
  selector: Record<string, string>,
  ports: { port: number; targetPort?: number | string }[],
) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace, name },
    spec: { type: "ClusterIP", selector, ports: ports.map((port) => ({ protocol: "TCP", ...port })) },
  };
}
