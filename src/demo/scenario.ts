import type { KnownOutput } from "../events/log-line.ts";
import type { Priority } from "../events/model.ts";

export type StepId = "shell-command" | "interactive-shell" | "html-write";

/** One trigger, run in the demo container through the Kubernetes exec API with a TTY. */
export interface TriggerStep {
  id: StepId;
  title: string;
  command: readonly string[];
  /** Typed into the TTY (the interactive shell is left with `exit`). */
  stdin?: string;
}

export const HTML_FILE = "/usr/share/nginx/html/index.html";

export const DEMO_STEPS: readonly TriggerStep[] = [
  { id: "shell-command", title: 'sh -c "ls /" with a terminal', command: ["sh", "-c", "ls /"] },
  { id: "interactive-shell", title: "interactive shell", command: ["sh"], stdin: "exit\n" },
  {
    id: "html-write",
    title: `append to ${HTML_FILE}`,
    command: ["sh", "-c", `echo "<!-- falco-stack demo $(date) -->" >> ${HTML_FILE}`],
  },
];

/** A detection the scenario waits for. */
export interface ExpectedDetection {
  step: StepId;
  rule: string;
  priority: Priority;
  /** `proc.cmdline` the event must carry when it has one: tells the two shell steps apart. */
  command?: string;
  /** Where a missing detection comes from, for the hint. */
  ruleOrigin: string;
}

export const TERMINAL_SHELL_RULE = "Terminal shell in container";
export const NGINX_WRITE_RULE = "Write inside nginx html folder";

export const EXPECTED_DETECTIONS: readonly ExpectedDetection[] = [
  {
    step: "shell-command",
    rule: TERMINAL_SHELL_RULE,
    priority: "Notice",
    command: "sh -c ls /",
    ruleOrigin: "the upstream falco-rules ruleset (stack output rules.rulesets)",
  },
  {
    step: "interactive-shell",
    rule: TERMINAL_SHELL_RULE,
    priority: "Notice",
    command: "sh",
    ruleOrigin: "the upstream falco-rules ruleset (stack output rules.rulesets)",
  },
  {
    step: "html-write",
    rule: NGINX_WRITE_RULE,
    priority: "Warning",
    ruleOrigin: "our rules/nginx-html-write.yaml (stack output rules.files)",
  },
];

/** How the expected rules' text output starts, to name the rule of a text-form log line. */
export const DEMO_KNOWN_OUTPUTS: readonly KnownOutput[] = [
  { rule: TERMINAL_SHELL_RULE, message: "A shell was spawned in a container with an attached terminal" },
  { rule: NGINX_WRITE_RULE, message: "File inside /usr/share/nginx/html opened for writing" },
];
