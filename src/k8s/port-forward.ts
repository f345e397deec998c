import net from "node:net";
import { CoreV1Api, PortForward, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { KubeError, boundedCall, kubeErrorMessage, requestTimeoutOf } from "./kube.ts";

export interface ForwardedPort {
  /** `http://127.0.0.1:<local port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Like `kubectl port-forward svc/NAME PORT`: picks a ready pod behind the service and forwards to it.
 * A tunnel that cannot open (RBAC on pods/portforward, the API gone) is reported through `onError`,
 * since the local client only sees its connection close.
 */
export async function forwardServicePort(
  kc: KubeConfig,
  namespace: string,
  serviceName: string,
  port: number,
  onError: (message: string) => void = () => undefined,
): Promise<ForwardedPort> {
  const core = kc.makeApiClient(CoreV1Api);
  const what = `service ${namespace}/${serviceName}`;
  let pod: V1Pod;
  let targetPort: number;
  try {
    const timeout = requestTimeoutOf(kc);
    const service = await boundedCall(timeout, (options) =>
      core.readNamespacedService({ name: serviceName, namespace }, options),
    );
    const servicePort = service.spec?.ports?.find((candidate) => candidate.port === port);
    if (!servicePort) throw new KubeError(`${what} has no port ${port}`);
    const selector = Object.entries(service.spec?.selector ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(",");
    if (selector === "") throw new KubeError(`${what} has no selector: cannot find its pods`);
    const pods = await boundedCall(timeout, (options) =>
      core.listNamespacedPod({ namespace, labelSelector: selector }, options),
    );
    const ready = pods.items.find((candidate) =>
      candidate.status?.conditions?.some(
        (condition) => condition.type === "Ready" && condition.status === "True",
      ),
    );
    if (!ready)
      throw new KubeError(
        `no ready pod behind ${what}: check kubectl -n ${namespace} get pods -l ${selector}`,
      );
    pod = ready;
    const target = servicePort.targetPort ?? port;
    targetPort =
      typeof target === "number"
        ? target
        : (ready.spec?.containers
            .flatMap((container) => container.ports ?? [])
            .find((candidate) => candidate.name === target)?.containerPort ?? Number.NaN);
    if (!Number.isInteger(targetPort))
      throw new KubeError(`${what}: cannot resolve target port "${String(target)}"`);
  } catch (error) {
    if (error instanceof KubeError) throw error;
    throw new KubeError(kubeErrorMessage(kc, error, what));
  }

  const forward = new PortForward(kc);
  const podName = pod.metadata?.name ?? "";
  const open = new Set<net.Socket>();
  const tunnels = new Set<{ close(): void }>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    forward
      .portForward(namespace, podName, [targetPort], socket, null, socket)
      .then((connection) => {
        // The pod side closing must end the local connection too, or the client waits forever.
        if (typeof connection === "function") return;
        // The local side may be gone already (hung up, or close() ran) while the tunnel was opening.
        if (socket.destroyed) {
          connection.close();
          return;
        }
        tunnels.add(connection);
        connection.on("close", () => {
          tunnels.delete(connection);
          socket.end();
        });
        socket.on("close", () => connection.close());
      })
      .catch((error: unknown) => {
        onError(kubeErrorMessage(kc, error, `port-forward to pod ${namespace}/${podName}`));
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const localPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${localPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
        for (const tunnel of tunnels) tunnel.close();
      }),
  };
}
