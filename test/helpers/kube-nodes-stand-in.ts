import type http from "node:http";
import { pod, type KubeStandIn } from "./kube-stand-in.ts";

/**
 * Node listing for the kube stand-in (kube-stand-in.ts): `GET /api/v1/nodes` answers from `nodes`;
 * every other request goes to the stand-in as before. Pods are placed on nodes with `podOn`.
 */
export interface KubeNodes {
  nodes: Record<string, unknown>[];
}

export function serveKubeNodes(kube: KubeStandIn): KubeNodes {
  const state: KubeNodes = { nodes: [] };
  const previous = kube.server.listeners("request") as http.RequestListener[];
  kube.server.removeAllListeners("request");
  kube.server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    if (request.method === "GET" && url.pathname === "/api/v1/nodes") {
      kube.requests.push(`${request.method} ${url.pathname}${url.search}`);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ kind: "NodeList", apiVersion: "v1", metadata: {}, items: state.nodes }));
      return;
    }
    for (const listener of previous) listener(request, response);
  });
  return state;
}

export function node(name: string) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
}

/** A pod like `pod()` (kube-stand-in.ts), scheduled on `nodeName`. */
export function podOn(
  nodeName: string,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ready: boolean,
  container: string,
) {
  const base = pod(namespace, name, labels, ready, container);
  return { ...base, spec: { ...base.spec, nodeName } };
}
