/** `heimdall-build run` (or any command) in-process for tests: its output kept, its Ctrl-C in the test's hands. */
import type Docker from "dockerode";
import { type CliIo, runCli } from "../../src/cli/program.ts";
import type { RunEnvironment } from "../../src/cli/run-command.ts";

/** The command line in-process, its output kept; Ctrl-C is `interrupt()`. */
export function harness(options: { docker: Docker | null; env?: NodeJS.ProcessEnv }) {
  let out = "";
  let err = "";
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
        },
        stderr: (text) => {
          err += text;
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
  };
}
