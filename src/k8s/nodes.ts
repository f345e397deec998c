import { CoreV1Api, Exec, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import type { CanaryRef, NodeCluster, NodeFacts, NodePod } from "../demo/nodes.ts";
import type { ExecResult } from "../demo/runner.ts";
import type { FalcoPodsRef } from "./falco-logs.ts";
import { boundedExec, podStatusFromPod } from "./demo-cluster.ts";
import { KubeError, kubeErrorMessage } from "./kube.ts";

/** The node check's cluster calls: nodes, the Falco and canary pods on each, and the canary's action. */
export class KubeNodeCluster implements NodeCluster {
  private readonly core: CoreV1Api;
  private readonly execApi: Exec;

  constructor(
    private readonly kc: KubeConfig,
    private readonly falcoPods: FalcoPodsRef,
    private readonly canary: CanaryRef,
    private readonly triggerCommand: readonly string[],
    private readonly execTimeoutMs = 30_000,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.execApi = new Exec(kc);
  }

  async nodes(): Promise<NodeFacts[]> {
    const [nodes, falco, canary] = await Promise.all([
      this.call("the nodes", () => this.core.listNode()),
      this.pods(this.falcoPods.namespace, this.falcoPods.labelSelector, this.falcoPods.container),
      this.pods(this.canary.namespace, this.canary.labelSelector, this.canary.container),
    ]);
    return nodes.items
      .flatMap((node) => node.metadata?.name ?? [])
      .sort()
      .map((name) => ({ name, falcoPod: falco.get(name), canaryPod: canary.get(name) }));
  }

  /** The pods of a selector by node; of several on one node (a rollout), the ready one. */
  private async pods(
    namespace: string,
    labelSelector: string,
    container: string,
  ): Promise<Map<string, NodePod>> {
    const list = await this.call(`pods ${labelSelector} in namespace ${namespace}`, () =>
      this.core.listNamespacedPod({ namespace, labelSelector }),
    );
    const byNode = new Map<string, NodePod>();
    for (const pod of list.items) {
      const node = pod.spec?.nodeName;
      const name = pod.metadata?.name;
      if (!node || !name) continue;
      const found = nodePod(pod, name, container);
      if (!byNode.get(node)?.ready) byNode.set(node, found);
    }
    return byNode;
  }

  /** Runs the canary's action in a canary pod, without a terminal: a plain `kubectl exec`. */
  async trigger(pod: string): Promise<ExecResult> {
    const target = { namespace: this.canary.namespace, pod, container: this.canary.container };
    return boundedExec(this.kc, this.execApi, target, this.triggerCommand, this.execTimeoutMs, {
      tty: false,
    });
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new KubeError(kubeErrorMessage(this.kc, error, what));
    }
  }
}

function nodePod(pod: V1Pod, name: string, container: string): NodePod {
  const status = podStatusFromPod(pod, container);
  return { name, ready: status.ready, ...(status.reason !== undefined ? { reason: status.reason } : {}) };
}
