import { eventWorkload, type FalcoEvent } from "../events/model.ts";
import type { ExpectedDetection } from "./scenario.ts";

/** The demo container, as the detections must name it. */
export interface DemoTarget {
  namespace: string;
  pod: string;
  container: string;
  /** Container ids from the pod status (full or Falco's 12-character short form). */
  containerIds?: readonly string[];
}

/**
 * Whether an event is the detection expected from a trigger: same rule, the demo pod, the step's
 * command when the event carries one, and not older than the trigger (less a clock-skew allowance).
 */
export function matchesDetection(
  event: FalcoEvent,
  expected: ExpectedDetection,
  target: DemoTarget,
  triggeredAt: number,
  skewToleranceMs: number,
): boolean {
  if (event.rule !== expected.rule) return false;
  if (event.time.getTime() < triggeredAt - skewToleranceMs) return false;
  if (!isDemoWorkload(event, target)) return false;
  if (expected.command !== undefined) {
    const command = event.outputFields["proc.cmdline"] ?? event.outputFields["command"];
    if (typeof command === "string" && command.trim() !== expected.command) return false;
  }
  return true;
}

export function isDemoWorkload(event: FalcoEvent, target: DemoTarget): boolean {
  const workload = eventWorkload(event);
  if (workload.pod !== undefined) {
    if (workload.pod !== target.pod) return false;
    return workload.namespace === undefined || workload.namespace === target.namespace;
  }
  if (workload.containerId !== undefined && target.containerIds?.length) {
    const id = shortId(workload.containerId);
    return target.containerIds.some((candidate) => shortId(candidate) === id);
  }
  return workload.container !== undefined && workload.container === target.container;
}

/** `containerd://85510af8dfe0...` and `85510af8dfe0` name the same container. */
function shortId(id: string): string {
  return id.replace(/^[a-z]+:\/\//, "").slice(0, 12);
}
