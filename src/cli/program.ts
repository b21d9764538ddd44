/** The `heimdall-build` command line: one subcommand a process or tool. */
import { Command, CommanderError } from "commander";
import type Docker from "dockerode";
import { catalogCommand } from "./catalog-command.ts";
import { diagnosticsCommand } from "./diagnostics-command.ts";
import { answeringDocker } from "./docker-engine.ts";
import { imagesCommand } from "./images-command.ts";
import { type RunEnvironment, runCommand } from "./run-command.ts";
import { serverCommand } from "./server-command.ts";
import { tokensCommand } from "./tokens-command.ts";
import { validateCommand } from "./validate-command.ts";
import { workerCommand } from "./worker-command.ts";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** What `run` needs of the process (the real one when absent). */
  readonly run?: RunEnvironment;
  /** The Docker engine `validate` asks about the config's images, null when none answers (the real one when absent). */
  readonly docker?: () => Promise<Docker | null>;
  /** The environment `validate` reads (HEIMDALL_API_URL, HEIMDALL_TOKEN for `extends`); the process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

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
    .description(
      "check .heimdall-build.yml and print the expanded matrix, skipped cells with their reasons; warn of images it names that this host's Docker lacks",
    )
    .argument("[dir]", "repository folder", ".")
    .option("--config <file>", "config file (default: DIR/.heimdall-build.yml)")
    .option("--json", "print the cells as JSON")
    .action(async (dir: string, options: { config?: string; json?: boolean }) => {
      exitCode = await validateCommand({ dir, ...options }, io, io.docker ?? answeringDocker);
    });

  program
    .command("run")
    .description(
      "run the matrix here, as the server would, with no server: in containers when Docker answers, else with the compilers installed here",
    )
    .argument("[dir]", "repository folder", ".")
    .option("--config <file>", "config file (default: DIR/.heimdall-build.yml)")
    .option("--cells <pattern>", "only cells whose id or name matches (glob; comma-separated or repeated)", collect, [])
    .option("--executor <executor>", "docker or host (default: docker when an engine answers, else host)")
    .option("--jobs <n>", "cells built at once (default: the number of cores)")
    .option("--json <report>", "also write the run's report as JSON to this file")
    .action(
      async (
        dir: string,
        options: { config?: string; cells: string[]; executor?: string; jobs?: string; json?: string },
      ) => {
        exitCode = await runCommand({ dir, ...options }, io, io.run ?? processRunEnvironment());
      },
    );

  program
    .command("server")
    .description("run the GitHub App: webhooks, check runs, the workers' events (settings: see .env.example)")
    .action(async () => {
      exitCode = await serverCommand(io);
    });

  program
    .command("worker")
    .description("run cells from a platform's queue in hardened containers on this host (settings: see .env.example)")
    .option("--platform <platform>", "the queue to take cells from", "linux")
    .option("--concurrency <n>", "cells run at once (default: half the cores)")
    .option("--executor <executor>", "docker (hardened containers) or host (natively; trusted builds only)", "docker")
    .action(async (options: { platform: string; concurrency?: string; executor: string }) => {
      exitCode = await workerCommand(options, io);
    });

  const tokens = program
    .command("tokens")
    .description("the REST API's tokens, in the server's PostgreSQL (DATABASE_URL): create, list, revoke");
  tokens
    .command("create")
    .description("make a token and print it, once")
    .requiredOption("--name <name>", "who or what uses it, e.g. ci-nightly")
    .requiredOption("--scopes <list>", "comma-separated: builds:read, builds:write, configurations:write, admin")
    .option("--repo <owner/name>", "only this repository (repeatable; default: every repository)", collect, [])
    .option("--expires <duration>", "90d, 12h, 2w, or never", "90d")
    .option("--json", "print the token and its record as JSON")
    .action(async (options: { name: string; scopes: string; repo: string[]; expires: string; json?: boolean }) => {
      exitCode = await tokensCommand({ action: "create", options }, io);
    });
  tokens
    .command("list")
    .description("every token: scopes, repositories, expiry, last use (never the token itself)")
    .option("--json", "print them as JSON")
    .action(async (options: { json?: boolean }) => {
      exitCode = await tokensCommand({ action: "list", ...(options.json ? { json: true } : {}) }, io);
    });
  tokens
    .command("revoke")
    .description("revoke a token (by id, or every token of a name): the API refuses it from then on")
    .argument("<id-or-name>", "the token's id or name, as tokens list shows")
    .action(async (token: string) => {
      exitCode = await tokensCommand({ action: "revoke", token }, io);
    });

  const images = program
    .command("images")
    .description("the catalog's compiler images: list them, or build them ahead of the first cell; prune derived ones");
  images
    .command("list")
    .description("each recipe's image and whether it is built from the recipe as it is now")
    .option("--compiler <name>", "only this compiler, e.g. gcc@12 (repeatable)", collect, [])
    .action(async (options: { compiler: string[] }) => {
      exitCode = await imagesCommand("list", options, io);
    });
  images
    .command("build")
    .description("build the images that are missing or made from an older recipe (all, or --compiler)")
    .option("--compiler <name>", "only this compiler, e.g. gcc@12 (repeatable)", collect, [])
    .action(async (options: { compiler: string[] }) => {
      exitCode = await imagesCommand("build", options, io);
    });
  images
    .command("prune")
    .description(
      "remove the images derived for packages: whose base image was rebuilt since (stale), or with --all every one no container uses",
    )
    .option("--all", "every derived image, not only the stale ones (the next cell that needs one builds it again)")
    .action(async (options: { all?: boolean }) => {
      exitCode = await imagesCommand("prune", { compiler: [], all: options.all ?? false }, io);
    });

  program
    .command("catalog")
    .description("print the compiler catalog: standards, sanitizers, coverage and image per compiler")
    .option("--json", "print the catalog as JSON")
    .action((options: { json?: boolean }) => {
      exitCode = catalogCommand(options, io);
    });

  program
    .command("diagnostics")
    .description("read a build log as a worker does: errors and warnings, repo-relative, compiler-style or as JSON")
    .argument("<log>", "the build log (- for standard input)")
    .option("--root <dir>", "prefix that makes paths repository-relative (repeatable)", collect, [])
    .option(
      "--build-dir <dir>",
      "build tree: files under it are generated, not the repository's (repeatable)",
      collect,
      [],
    )
    .option("--compiler <family>", "the compiler that wrote the log (gcc or clang), when known")
    .option("--label <name>", "names the compiler in titles, e.g. gcc-12")
    .option("--json", "print the annotations as JSON")
    .action(
      async (
        log: string,
        options: { root: string[]; buildDir: string[]; compiler?: string; label?: string; json?: boolean },
      ) => {
        if (options.compiler !== undefined && options.compiler !== "gcc" && options.compiler !== "clang") {
          io.stderr(`heimdall-build diagnostics: --compiler is gcc or clang, not '${options.compiler}'\n`);
          exitCode = 2;
          return;
        }
        const { compiler, ...rest } = options;
        exitCode = await diagnosticsCommand(log, compiler ? { ...rest, compiler } : rest, io);
      },
    );

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}

/** The real process's terminal, Ctrl-C and Docker engine. */
function processRunEnvironment(): RunEnvironment {
  return {
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    ...(process.stdout.rows ? { rows: process.stdout.rows } : {}),
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
    docker: answeringDocker,
  };
}
