import fs from "node:fs";
import path from "node:path";
import type https from "node:https";
import {
  ApiException,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from "@kubernetes/client-node";
import { KubeError } from "./errors.ts";

export { KubeError };

/** Kubeconfig from KUBECONFIG / ~/.kube/config / in-cluster, switched to `context` when given. */
export function loadKubeConfig(context?: string, requestTimeoutMs = KUBE_REQUEST_TIMEOUT_MS): KubeConfig {
  const kc = new BoundedKubeConfig();
  kc.requestTimeoutMs = requestTimeoutMs;
  const listed = (process.env.KUBECONFIG ?? "").split(path.delimiter).filter((file) => file !== "");
  const absent = listed.filter((file) => !fs.existsSync(file));
  if (absent.length > 0) {
    throw new KubeError(
      `no kubeconfig found at ${absent.join(", ")} (from KUBECONFIG): point KUBECONFIG at your kubeconfig file, or unset it to use ~/.kube/config; pick a context in it with --context NAME`,
    );
  }
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new KubeError(`cannot load the kubeconfig (KUBECONFIG or ~/.kube/config): ${messageOf(error)}`);
  }
  if (listed.length === 0 && isNoConfigFallback(kc)) {
    throw new KubeError(
      `no kubeconfig found: KUBECONFIG is not set, there is no ~/.kube/config${process.env.HOME ? ` (HOME is ${process.env.HOME})` : ""} and this is not a pod in a cluster. Point at one with KUBECONFIG=/path/to/kubeconfig, and pick a context in it with --context NAME`,
    );
  }
  if (context !== undefined) {
    const names = kc.getContexts().map((candidate) => candidate.name);
    if (!names.includes(context)) {
      throw new KubeError(
        `no context "${context}" in the kubeconfig (available: ${names.join(", ") || "none"})`,
      );
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeError("the kubeconfig has no current cluster: pass --context or set KUBECONFIG");
  }
  return kc;
}

/**
 * With no kubeconfig at all, client-node does not fail: it makes up a cluster at
 * http://localhost:8080, and every call then fails with an unrelated TLS message.
 */
function isNoConfigFallback(kc: KubeConfig): boolean {
  const contexts = kc.getContexts();
  return (
    contexts.length === 1 &&
    contexts[0]?.name === "loaded-context" &&
    kc.getCurrentCluster()?.server === "http://localhost:8080"
  );
}

/** How long one Kubernetes API call may take (an answer, not a whole log stream), unless told otherwise. */
export const KUBE_REQUEST_TIMEOUT_MS = 10_000;

/** A call that ran out of time; `kubeErrorMessage` names the server and the limit. */
class KubeTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000}s`);
  }
}

/**
 * Per-call options for the generated API clients: the request is aborted after `timeoutMs`
 * (client-node sets no limit, so an API server that accepts and never answers hangs the call).
 */
export function withTimeout(timeoutMs: number): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** Runs a generated-client call with `withTimeout`, turning its abort into a KubeTimeoutError. */
export async function boundedCall<T>(
  timeoutMs: number,
  call: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>,
): Promise<T> {
  try {
    return await call(withTimeout(timeoutMs));
  } catch (error) {
    if (isAbort(error)) throw new KubeTimeoutError(timeoutMs);
    throw error;
  }
}

/** The message for a call that got no answer within `timeoutMs`. */
export function kubeTimeoutMessage(kc: KubeConfig, timeoutMs: number, what: string): string {
  return kubeErrorMessage(kc, new KubeTimeoutError(timeoutMs), what);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/**
 * A kubeconfig whose calls are bounded by `requestTimeoutMs`: the generated API clients through
 * `boundedCall`; the rest (exec and port-forward WebSockets, the log stream) through the options
 * `applyToHTTPSOptions` fills in, which client-node passes on with no limit of its own: ws reads
 * `handshakeTimeout` for the opening handshake, and node-fetch (the log stream) reads `timeout`
 * as the time until the response starts. Both are set after the agent is made, so an idle log
 * stream, which may stay quiet for minutes, is never cut.
 */
export class BoundedKubeConfig extends KubeConfig {
  requestTimeoutMs = KUBE_REQUEST_TIMEOUT_MS;

  override async applyToHTTPSOptions(
    options: Parameters<KubeConfig["applyToHTTPSOptions"]>[0],
  ): Promise<void> {
    await super.applyToHTTPSOptions(options);
    const bounded = options as https.RequestOptions & { handshakeTimeout?: number };
    bounded.handshakeTimeout = this.requestTimeoutMs;
    bounded.timeout = this.requestTimeoutMs;
  }
}

/** The limit for one call through `kc`. */
export function requestTimeoutOf(kc: KubeConfig): number {
  return kc instanceof BoundedKubeConfig ? kc.requestTimeoutMs : KUBE_REQUEST_TIMEOUT_MS;
}

/** A readable message for a failed Kubernetes call about `what` (e.g. `pod demo/www`). */
export function kubeErrorMessage(kc: KubeConfig, error: unknown, what: string): string {
  const server = kc.getCurrentCluster()?.server ?? "(no server)";
  if (error instanceof KubeTimeoutError)
    return `the Kubernetes API at ${server} (context ${kc.getCurrentContext()}) did not answer within ${error.timeoutMs / 1000}s for ${what}`;
  if (/^Opening handshake has timed out$/.test(messageOf(error)))
    return `the Kubernetes API at ${server} (context ${kc.getCurrentContext()}) did not answer the ${what} request in time`;
  const code = error instanceof ApiException ? error.code : refusedUpgradeStatus(error);
  if (code !== undefined) {
    if (code === 404) return `${what} not found`;
    if (code === 401) return `the Kubernetes API rejected our credentials (HTTP 401) reading ${what}`;
    if (code === 403) return `not allowed to access ${what} (HTTP 403): check your RBAC permissions`;
    return `the Kubernetes API answered HTTP ${code} for ${what}`;
  }
  return `cannot reach the Kubernetes API at ${server} (context ${kc.getCurrentContext()}): ${messageOf(error)}`;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** The status of a refused WebSocket upgrade (exec, port-forward): ws only says it in its error text. */
function refusedUpgradeStatus(error: unknown): number | undefined {
  const match = /^Unexpected server response: (\d{3})$/.exec(messageOf(error));
  return match ? Number(match[1]) : undefined;
}

function messageOf(error: unknown): string {
  // A failed WebSocket connection rejects with ws's ErrorEvent, which is no Error but wraps one.
  if (typeof error === "object" && error !== null && !(error instanceof Error) && "error" in error)
    return messageOf(error.error);
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
