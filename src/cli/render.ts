import path from "node:path";
import type { Command } from "commander";
import { renderStack, writeRenderedStack } from "../render.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

interface RenderFlags {
  stack?: string;
  config?: string;
  out: string;
}

export function registerRenderCommand(program: Command, result: CommandResult, io: CliIo = processIo): void {
  program
    .command("render")
    .description(
      "render a stack offline to Helm values, manifests and an install script (same values as pulumi up).\n" +
        "Encrypted output settings become marked placeholders unless FALCO_STACK_<ENV NAME> is set,\n" +
        "e.g. FALCO_STACK_SLACK_WEBHOOKURL for falco-stack:outputs.slack.webhookurl.",
    )
    .option("--stack <name>", "stack to render: reads Pulumi.<name>.yaml")
    .option("--config <file>", "any Pulumi stack file (wins over --stack for the location)")
    .requiredOption(
      "--out <dir>",
      "directory to write falco-values.yaml, falcosidekick-values.yaml, manifests.yaml, install.sh",
    )
    .action((flags: RenderFlags) => {
      if (!flags.stack && !flags.config) throw new UserError("render needs --stack NAME or --config FILE");
      const rendered = renderStack({ stack: flags.stack, file: flags.config });
      for (const warning of rendered.warnings) io.stderr(`warning: ${warning}\n`);
      const written = writeRenderedStack(rendered, path.resolve(flags.out));
      for (const file of written) io.stdout(`wrote ${file}\n`);
      if (rendered.placeholders.length > 0) {
        io.stderr(
          `manifests.yaml holds ${rendered.placeholders.length} placeholder(s); install.sh refuses to run until they are set:\n`,
        );
        for (const placeholder of rendered.placeholders) {
          io.stderr(`  ${placeholder.configKey}: export ${placeholder.env}=...\n`);
        }
      }
      result.exitCode = ExitCode.ok;
    });
}
