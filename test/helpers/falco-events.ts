import { readFileSync } from "node:fs";
import { NGINX_WRITE_RULE, TERMINAL_SHELL_RULE, type TriggerStep } from "../../src/demo/scenario.ts";
import { sharedPath } from "./shared.ts";

/** The real falcosidekick payload from the tutorial, as delivered on NATS. */
export function seedPayload(): Record<string, unknown> {
  const value: unknown = JSON.parse(
    readFileSync(sharedPath("data", "seed", "terminal-shell-event.json"), "utf8"),
  );
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("seed payload is not an object");
  return value as Record<string, unknown>;
}

/** The real Falco text log lines printed in the tutorial (`HH:MM:SS.nnnnnnnnn: Priority ...`). */
export function tutorialLogLines(): string[] {
  const text = readFileSync(sharedPath("data", "seed", "tutorial.txt"), "utf8");
  return text.split("\n").filter((line) => /^\d{2}:\d{2}:\d{2}\.\d{9}: /.test(line));
}

export function tutorialLines(): string[] {
  return readFileSync(sharedPath("data", "seed", "tutorial.txt"), "utf8").split("\n");
}

/** A payload shaped like the seed, moved to another rule, pod and time. */
export function payloadLike(changes: {
  rule?: string;
  priority?: string;
  time?: Date;
  namespace?: string;
  pod?: string;
  container?: string;
  cmdline?: string;
  uuid?: string;
  extraFields?: Record<string, unknown>;
}): Record<string, unknown> {
  const seed = seedPayload();
  const fields = { ...(seed.output_fields as Record<string, unknown>) };
  if (changes.namespace !== undefined) fields["k8s.ns.name"] = changes.namespace;
  if (changes.pod !== undefined) fields["k8s.pod.name"] = changes.pod;
  if (changes.container !== undefined) fields["container.name"] = changes.container;
  if (changes.cmdline !== undefined) fields["proc.cmdline"] = changes.cmdline;
  Object.assign(fields, changes.extraFields ?? {});
  return {
    ...seed,
    uuid: changes.uuid ?? seed.uuid,
    rule: changes.rule ?? seed.rule,
    priority: changes.priority ?? seed.priority,
    time: (changes.time ?? new Date(String(seed.time))).toISOString(),
    output_fields: fields,
  };
}

/**
 * A payload as a stack with `clusterName` delivers it: falcosidekick's custom field in
 * `output_fields.cluster`, and Falco's `append_output` suffix ` cluster=<name>` on the output.
 */
export function clusterPayload(
  cluster: string,
  changes: Parameters<typeof payloadLike>[0] = {},
): Record<string, unknown> {
  const payload = payloadLike({ ...changes, extraFields: { ...changes.extraFields, cluster } });
  return { ...payload, output: `${String(payload.output)} cluster=${cluster}` };
}

/**
 * The payload falcosidekick delivers once Falco has seen the demo trigger `step` in pod demo/www:
 * the rule, priority and command line the demo waits for (src/demo/scenario.ts), then `changes`.
 */
export function demoDetectionPayload(
  step: TriggerStep,
  changes: Parameters<typeof payloadLike>[0] = {},
): Record<string, unknown> {
  const inDemoPod = { namespace: "demo", pod: "www", container: "www" };
  const detection =
    step.id === "html-write"
      ? { rule: NGINX_WRITE_RULE, priority: "Warning", cmdline: "sh -c echo" }
      : {
          rule: TERMINAL_SHELL_RULE,
          priority: "Notice",
          cmdline: step.id === "shell-command" ? "sh -c ls /" : "sh",
        };
  return payloadLike({ ...inDemoPod, ...detection, ...changes });
}
