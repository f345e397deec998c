import type { Command } from "commander";
import type { CommandResult } from "./main.ts";

export function registerDemoCommand(_program: Command, _result: CommandResult): void {}
