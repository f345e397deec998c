import path from "node:path";
import type { Command } from "commander";
import { RENDER_FORMATS, renderStack, SECRETS_MODES, writeRenderedStack } from "../render/render.ts";
import { ExitCode, UserError } from "./errors.ts";
import { processIo, type CliIo } from "./io.ts";
import type { CommandResult } from "./main.ts";

interface RenderFlags {
  stack?: string;
  config?: string;
  out: string;
  format: string;
  secrets?: string;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${flag} ${value}: allowed: ${allowed.join(", ")}`);
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
      "directory to write to; re-rendering into it keeps its credentials file (.falco-stack-credentials.yaml)",
    )
    .option(
      "--format <format>",
      "plain: falco-values.yaml, falcosidekick-values.yaml, manifests.yaml, install.sh; " +
        "flux: HelmRepository + HelmReleases + base/ (kustomize); argocd: Applications + base/",
      "plain",
    )
    .option(
      "--secrets <mode>",
      "plain: write the Secrets with their data (0600; for flux/argocd in base/secrets.yaml, to encrypt " +
        "with SOPS); external: write no Secret, create falcosidekick-outputs, falcosidekick-ui-auth and " +
        "falcosidekick-redis-auth yourself (keys listed after rendering). Default: plain for --format plain, " +
        "external for flux and argocd",
    )
    .addHelpText(
      "after",
      "\nCredentials: the UI login, the Redis password and the checksum key are generated once and kept in\n" +
        "DIR/.falco-stack-credentials.yaml (0600, git-ignored), so the same inputs render the same files.\n" +
        "FALCO_STACK_UI_USER, FALCO_STACK_UI_PASSWORD, FALCO_STACK_REDIS_PASSWORD, FALCO_STACK_CHECKSUM_KEY\n" +
        "override them. Nothing written for flux or argocd holds a credential unless --secrets plain.",
    )
    .action((flags: RenderFlags) => {
      if (!flags.stack && !flags.config) throw new UserError("render needs --stack NAME or --config FILE");
      const format = oneOf("--format", flags.format, RENDER_FORMATS);
      const secrets =
        flags.secrets === undefined ? undefined : oneOf("--secrets", flags.secrets, SECRETS_MODES);
      const outDir = path.resolve(flags.out);
      const rendered = renderStack({ stack: flags.stack, file: flags.config, format, secrets, outDir });
      for (const warning of rendered.warnings) io.stderr(`warning: ${warning}\n`);
      const written = writeRenderedStack(rendered, outDir);
      for (const file of written) io.stdout(`wrote ${file}\n`);
      if (rendered.placeholders.length > 0) {
        io.stderr(
          `manifests.yaml holds ${rendered.placeholders.length} placeholder(s); install.sh refuses to run until they are set:\n`,
        );
        for (const placeholder of rendered.placeholders) {
          io.stderr(`  ${placeholder.configKey}: export ${placeholder.env}=...\n`);
        }
      }
      if (rendered.externalSecrets.length > 0) {
        io.stderr("--secrets external: create these Secrets before installing (names and keys only):\n");
        for (const secret of rendered.externalSecrets) {
          io.stderr(`  ${secret.namespace}/${secret.name}: ${secret.keys.join(", ")}\n`);
        }
      }
      result.exitCode = ExitCode.ok;
    });
}
