import type { Command } from "commander";
import type { CommandResult } from "./main.ts";

export function registerRulesCheckCommand(_rules: Command, _result: CommandResult): void {}
