/**
 * A rule's output as Falco compiles it (`F:userspace/engine/rule_loader_compiler.cpp:432-519`):
 * `%container.info` removed with a warning, then the format parsed and its fields checked.
 */
import { parseOutputFormat } from "../condition/output-format.ts";
import type { FieldCatalog } from "../fields/catalog.ts";
import type { RuleInfo } from "./collect.ts";
import type { LocatedText } from "./located-text.ts";
import type { FindingSink } from "./report.ts";

const CONTAINER_INFO = "%container.info";

export interface OutputCheck {
  /** The output as Falco uses it. */
  output: string;
  status: "ok" | "error" | "skip";
}

export function checkOutput(rule: RuleInfo, fields: FieldCatalog, report: FindingSink): OutputCheck {
  let output: LocatedText = rule.output;
  if (output.text.includes(CONTAINER_INFO)) {
    report.warn(
      "LOAD_DEPRECATED_ITEM",
      "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
      output.globalOffset(output.text.indexOf(CONTAINER_INFO)),
    );
    let index = output.text.indexOf(CONTAINER_INFO);
    while (index !== -1) {
      output = output.replace(index, index + CONTAINER_INFO.length, "", index);
      index = output.text.indexOf(CONTAINER_INFO, index);
    }
  }
  const text = output.text;
  // An upstream output known only by name: nothing to check.
  if (text.length === 0 && rule.outputOpaque) return { output: text, status: "ok" };
  const parsed = parseOutputFormat(text, fields);
  if (!parsed.ok) {
    const at = output.globalOffset(parsed.offset);
    const unknown = /nonexistent field|invalid formatting token|unknown event type|unknown filter:/.test(
      parsed.message,
    );
    if (unknown && rule.skipIfUnknownFilter) {
      report.warn(
        "LOAD_UNKNOWN_FILTER",
        `${parsed.message} (rule '${rule.name}' is skipped: skip-if-unknown-filter)`,
        at,
      );
      return { output: text, status: "skip" };
    }
    report.error("LOAD_ERR_COMPILE_OUTPUT", `invalid output format: ${parsed.message}`, at);
    return { output: text, status: "error" };
  }
  for (const token of parsed.tokens) {
    if (/^(evt\.dir|evt\.latency|evt\.wait_latency)/.test(token.text)) {
      report.warn(
        "LOAD_DEPRECATED_ITEM",
        `usage of deprecated field '${token.text}' has been detected in the rule output`,
        output.globalOffset(token.start),
      );
    }
  }
  return { output: text, status: "ok" };
}
