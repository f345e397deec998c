import { clusterSubjectTemplate } from "../builders/platform-values.ts";
import { clusterNameProblem } from "./cluster.ts";
import type { Priority } from "./model.ts";

/** falcosidekick's default NATS/STAN subject template. */
export const DEFAULT_SUBJECT_TEMPLATE = "falco.<priority>.<rule>";

/**
 * The template the stack gives falcosidekick's NATS output when `clusterName` is set (see
 * `clusterSubjectTemplate` in src/builders/platform-values.ts, which writes the name in literally).
 */
export const CLUSTER_SUBJECT_TEMPLATE = clusterSubjectTemplate("<cluster>");

/** The subscription that receives every event falcosidekick publishes with the default template. */
export const ALL_EVENTS_SUBJECT = "falco.>";

/** The rule name as falcosidekick slugs it: lower case, runs outside [a-z0-9] become one `_`, trimmed. */
export function ruleSlug(rule: string): string {
  return rule
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

export interface SubjectOptions {
  /** The NATS output's `subjecttemplate`; `<cluster>` stands for `cluster`. Default: the stack's. */
  template?: string;
  /** The stack's `clusterName`: the template becomes `falco.<cluster>.<priority>.<rule>`. */
  cluster?: string;
}

/**
 * The subject falcosidekick publishes an event on, e.g. `falco.notice.terminal_shell_in_container`,
 * or with a cluster `falco.prod.notice.terminal_shell_in_container`. falcosidekick only replaces
 * `<priority>` (lower case) and `<rule>` (slugged); the stack writes the cluster name into the
 * template as it is, so it is not slugged here either: a DNS label (`eu-west-1`) is already a
 * valid subject token, and slugging it would name a subject nothing publishes on.
 */
export function natsSubject(priority: Priority, rule: string, options: string | SubjectOptions = {}): string {
  const { template, cluster } = typeof options === "string" ? { template: options } : options;
  let subject = template ?? (cluster === undefined ? DEFAULT_SUBJECT_TEMPLATE : CLUSTER_SUBJECT_TEMPLATE);
  if (subject.includes("<cluster>")) {
    if (cluster === undefined) throw new Error(`subject template "${subject}" needs a cluster name`);
    subject = subject.replaceAll("<cluster>", checkedCluster(cluster));
  }
  return subject.replaceAll("<priority>", priority.toLowerCase()).replaceAll("<rule>", ruleSlug(rule));
}

/** The subscription for every event of one cluster under the stack's template: `falco.<cluster>.>`. */
export function clusterSubscription(cluster: string): string {
  const template = clusterSubjectTemplate(checkedCluster(cluster));
  // Everything before the first placeholder is fixed: `falco.prod.`.
  return `${template.slice(0, template.indexOf("<"))}>`;
}

/** The subject of one cluster's events at one priority, any rule: `falco.prod.warning.*`. */
export function prioritySubjectPattern(priority: Priority, cluster?: string): string {
  const template =
    cluster === undefined ? DEFAULT_SUBJECT_TEMPLATE : clusterSubjectTemplate(checkedCluster(cluster));
  return template.replaceAll("<priority>", priority.toLowerCase()).replaceAll("<rule>", "*");
}

function checkedCluster(cluster: string): string {
  const problem = clusterNameProblem(cluster);
  if (problem !== undefined) throw new Error(`cluster name ${problem}`);
  return cluster;
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
