import { PassThrough } from "node:stream";
import { CoreV1Api, Exec, type KubeConfig, type V1Pod, type V1Status } from "@kubernetes/client-node";
import type { DemoTarget } from "../demo/match.ts";
import type { DemoCluster, ExecResult, PodStatus } from "../demo/runner.ts";
import type { TriggerStep } from "../demo/scenario.ts";
import { KubeError, boundedCall, isNotFound, kubeErrorMessage, requestTimeoutOf } from "./kube.ts";

/** Readiness as the demo needs it, from a pod object. */
export function podStatusFromPod(pod: V1Pod, container: string): PodStatus {
  const statuses = pod.status?.containerStatuses ?? [];
  const own = statuses.find((status) => status.name === container);
  const readyCondition = pod.status?.conditions?.find((condition) => condition.type === "Ready");
  let reason: string | undefined;
  if (!own)
    reason = `no container named "${container}" (containers: ${statuses.map((status) => status.name).join(", ") || "none yet"})`;
  else if (own.state?.waiting)
    reason = `container ${container} waiting: ${own.state.waiting.reason ?? "unknown reason"}`;
  else if (own.state?.terminated)
    reason = `container ${container} terminated: ${own.state.terminated.reason ?? "unknown reason"}`;
  else if (readyCondition?.status !== "True")
    reason = readyCondition?.message ?? readyCondition?.reason ?? "not ready";
  return {
    exists: true,
    ready: pod.status?.phase === "Running" && own?.ready === true && readyCondition?.status === "True",
    phase: pod.status?.phase,
    reason: reason,
    containerIds: statuses.flatMap((status) => (status.containerID ? [status.containerID] : [])),
  };
}

/** Exit code from the status the exec API sends at the end (Success, or Failure with an ExitCode cause). */
export function execResultFromStatus(status: V1Status): ExecResult {
  if (status.status === "Success") return { ok: true, exitCode: 0 };
  const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
  const exitCode = cause?.message !== undefined ? Number(cause.message) : undefined;
  return { ok: false, exitCode, message: status.message ?? `exit ${exitCode ?? "unknown"}` };
}

/** The demo's cluster calls: pod readiness and exec with a TTY. */
export class KubeDemoCluster implements DemoCluster {
  private readonly core: CoreV1Api;
  private readonly execApi: Exec;

  constructor(
    private readonly kc: KubeConfig,
    private readonly execTimeoutMs = 30_000,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.execApi = new Exec(kc);
  }

  async podStatus(target: DemoTarget): Promise<PodStatus> {
    try {
      const pod = await boundedCall(requestTimeoutOf(this.kc), (options) =>
        this.core.readNamespacedPod({ name: target.pod, namespace: target.namespace }, options),
      );
      return podStatusFromPod(pod, target.container);
    } catch (error) {
      if (isNotFound(error)) return { exists: false, ready: false, containerIds: [] };
      throw new KubeError(kubeErrorMessage(this.kc, error, `pod ${target.namespace}/${target.pod}`));
    }
  }

  async exec(target: DemoTarget, step: TriggerStep): Promise<ExecResult> {
    // Like `kubectl exec -it`: stdin stays open until the command ends (ending it closes the session).
    return boundedExec(this.kc, this.execApi, target, step.command, this.execTimeoutMs, {
      tty: true,
      ...(step.stdin !== undefined ? { stdin: step.stdin } : {}),
    });
  }
}

/**
 * An exec session in a pod's container that ends by itself: its result from the status channel,
 * or a failure after `timeoutMs` (the session is closed then). Output is read and dropped.
 */
export async function boundedExec(
  kc: KubeConfig,
  execApi: Exec,
  target: DemoTarget,
  command: readonly string[],
  timeoutMs: number,
  options: { tty: boolean; stdin?: string },
): Promise<ExecResult> {
  const stdin = options.tty ? new PassThrough() : null;
  const output = new PassThrough();
  output.resume();
  let result: ExecResult = { ok: false, message: "the exec session closed without a status" };
  let socket: Awaited<ReturnType<Exec["exec"]>>;
  try {
    socket = await execApi.exec(
      target.namespace,
      target.pod,
      target.container,
      [...command],
      output,
      options.tty ? null : output,
      stdin,
      options.tty,
      (status) => {
        result = execResultFromStatus(status);
      },
    );
  } catch (error) {
    return {
      ok: false,
      message: kubeErrorMessage(kc, error, `exec in pod ${target.namespace}/${target.pod}`),
    };
  }
  if (stdin && options.stdin) stdin.write(options.stdin);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      result = { ok: false, message: `no end after ${timeoutMs / 1000}s` };
      socket.close();
      resolve();
    }, timeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  stdin?.end();
  return result;
}
