import type { Command } from "commander";
import type { CommandResult } from "./main.ts";
import { registerRulesCheckCommand } from "./rules-check.ts";
import { registerRulesTestCommands } from "./rules-test.ts";

export function registerRulesCommands(program: Command, result: CommandResult): void {
  const rules = program.command("rules").description("check and test Falco rules offline");
  registerRulesCheckCommand(rules, result);
  registerRulesTestCommands(rules, result);
}
