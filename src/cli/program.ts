/** The `heimdall-build` command line: one subcommand a process or tool. */
import { Command, CommanderError } from "commander";
import { catalogCommand } from "./catalog-command.ts";
import { validateCommand } from "./validate-command.ts";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

/** Runs the command line and returns the exit code (2 for usage errors). */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command("heimdall-build")
    .description("Build farm for C and C++ compiler matrices: a GitHub App, workers, and a local runner.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  program
    .command("validate")
    .description("check .heimdall-build.yml and print the expanded matrix, skipped cells with their reasons")
    .argument("[dir]", "repository folder", ".")
    .option("--config <file>", "config file (default: DIR/.heimdall-build.yml)")
    .option("--json", "print the cells as JSON")
    .action(async (dir: string, options: { config?: string; json?: boolean }) => {
      exitCode = await validateCommand({ dir, ...options }, io);
    });

  program
    .command("catalog")
    .description("print the compiler catalog: standards, sanitizers, coverage and image per compiler")
    .option("--json", "print the catalog as JSON")
    .action((options: { json?: boolean }) => {
      exitCode = catalogCommand(options, io);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}
