import type { Priority } from "./model.ts";

/** falcosidekick's default NATS/STAN subject template. */
export const DEFAULT_SUBJECT_TEMPLATE = "falco.<priority>.<rule>";

/** The subscription that receives every event falcosidekick publishes with the default template. */
export const ALL_EVENTS_SUBJECT = "falco.>";

/** The rule name as falcosidekick slugs it: lower case, runs outside [a-z0-9] become one `_`, trimmed. */
export function ruleSlug(rule: string): string {
  return rule
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** The subject falcosidekick publishes an event on, e.g. `falco.notice.terminal_shell_in_container`. */
export function natsSubject(priority: Priority, rule: string, template = DEFAULT_SUBJECT_TEMPLATE): string {
  return template.replaceAll("<priority>", priority.toLowerCase()).replaceAll("<rule>", ruleSlug(rule));
}

/** Checks a subscription subject: dot-separated tokens, `*` or a final `>` as wildcards. */
export function subjectProblem(subject: string): string | undefined {
  if (subject === "") return "the subject is empty";
  if (/\s/.test(subject)) return `"${subject}" contains white space`;
  const tokens = subject.split(".");
  if (tokens.some((token) => token === ""))
    return `"${subject}" has an empty token (".." or a leading/trailing ".")`;
  const full = tokens.findIndex((token) => token === ">");
  if (full !== -1 && full !== tokens.length - 1) return `"${subject}": ">" is only allowed as the last token`;
  return undefined;
}
