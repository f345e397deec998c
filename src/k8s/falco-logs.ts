import { Writable } from "node:stream";
import { CoreV1Api, Log, type KubeConfig } from "@kubernetes/client-node";
import type { LogLineSource } from "../events/log-feed.ts";
import { KubeError, boundedCall, kubeErrorMessage, kubeTimeoutMessage, requestTimeoutOf } from "./kube.ts";

export interface FalcoPodsRef {
  namespace: string;
  labelSelector: string;
  container: string;
}

/** Splits a byte stream into lines. */
export class LineSplitter extends Writable {
  private pending = "";

  constructor(private readonly onLine: (line: string) => void) {
    super();
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.pending += chunk.toString();
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") this.onLine(line.replace(/\r$/, ""));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.pending.trim() !== "") this.onLine(this.pending);
    this.pending = "";
    callback();
  }
}

/** Follows the logs of every Falco pod (one per node) from `since` on, with kubelet timestamps. */
export function falcoLogLines(kc: KubeConfig, pods: FalcoPodsRef, since: Date): LogLineSource {
  const controllers: AbortController[] = [];
  let stopping = false;
  return {
    description: `the logs of the Falco pods (${pods.namespace}, ${pods.labelSelector})`,
    async start(onLine, onFailure) {
      const core = kc.makeApiClient(CoreV1Api);
      let names: string[];
      try {
        const list = await boundedCall(requestTimeoutOf(kc), (options) =>
          core.listNamespacedPod({ namespace: pods.namespace, labelSelector: pods.labelSelector }, options),
        );
        names = list.items
          .filter((pod) => pod.status?.phase === "Running")
          .flatMap((pod) => pod.metadata?.name ?? []);
      } catch (error) {
        throw new KubeError(
          kubeErrorMessage(kc, error, `pods ${pods.labelSelector} in namespace ${pods.namespace}`),
        );
      }
      if (names.length === 0) {
        throw new KubeError(
          `no running Falco pod matches ${pods.labelSelector} in namespace ${pods.namespace}: check kubectl -n ${pods.namespace} get pods, or pass --falco-selector`,
        );
      }
      const log = new Log(kc);
      for (const name of names) {
        const sink = new LineSplitter((line) => onLine(name, line));
        sink.on("finish", () => {
          if (!stopping)
            onFailure(new KubeError(`the log stream of Falco pod ${name} ended (pod restarted?)`));
        });
        const startedAt = Date.now();
        const what = `the logs of pod ${pods.namespace}/${name}`;
        try {
          controllers.push(
            await log.log(pods.namespace, name, pods.container, sink, {
              follow: true,
              timestamps: true,
              sinceTime: since.toISOString(),
            }),
          );
        } catch (error) {
          // client-node's Log turns every failure into "HTTP 500", the request timeout included.
          const timeout = requestTimeoutOf(kc);
          if (Date.now() - startedAt >= timeout) throw new KubeError(kubeTimeoutMessage(kc, timeout, what));
          throw new KubeError(kubeErrorMessage(kc, error, what));
        }
      }
    },
    async stop() {
      stopping = true;
      for (const controller of controllers) controller.abort();
    },
  };
}
