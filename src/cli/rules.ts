import type { Command } from "commander";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";
import { registerRulesCheckCommand } from "./rules-check.ts";
import { registerRulesTestCommands } from "./rules-test.ts";

export function registerRulesCommands(program: Command, result: CommandResult, io: CliIo = processIo): void {
  const rules = program.command("rules").description("check and test Falco rules offline");
  registerRulesCheckCommand(rules, result, io);
  registerRulesTestCommands(rules, result, io);
}
