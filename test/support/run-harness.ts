/** `heimdall-build run` in-process for tests: its output kept, Ctrl-C on demand, its JSON report's cells. */
import type Docker from "dockerode";
import { type CliIo, runCli } from "../../src/cli/program.ts";
import type { jsonReport, RunEnvironment } from "../../src/cli/run-command.ts";

/** A cell of `run --json`'s report, as written. */
export type JsonCell = ReturnType<typeof jsonReport>["cells"][number];

/** The command line in-process, its output kept; Ctrl-C is `interrupt()`. */
export function runHarness(options: { docker: Docker | null; env?: NodeJS.ProcessEnv }) {
  let out = "";
  let err = "";
  // Both, in the order they were written.
  let both = "";
  const handlers: (() => void)[] = [];
  const environment: RunEnvironment = {
    env: { CI: "true", ...options.env },
    isTTY: false,
    onInterrupt: (handler) => {
      handlers.push(handler);
      return () => handlers.splice(handlers.indexOf(handler), 1);
    },
    docker: async () => options.docker,
  };
  return {
    run: (dir: string, args: string[]) => {
      const io: CliIo = {
        stdout: (text) => {
          out += text;
          both += text;
        },
        stderr: (text) => {
          err += text;
          both += text;
        },
        cwd: dir,
        run: environment,
      };
      return runCli(["node", "heimdall-build", "run", ...args], io);
    },
    interrupt: () => {
      for (const handler of [...handlers]) handler();
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    get both() {
      return both;
    },
  };
}
