import type { Command } from "commander";
import type { CommandResult } from "./main.ts";

export function registerRenderCommand(_program: Command, _result: CommandResult): void {}
