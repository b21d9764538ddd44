/** The command line in-process on a fresh temporary folder a test, its output kept. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach } from "vitest";
import { type CliIo, runCli } from "../../src/cli/program.ts";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliFolder {
  /** The current test's folder, the command line's current folder. */
  root(): string;
  run(...args: string[]): Promise<CliResult>;
  /** The command line with its io changed, e.g. the Docker engine `validate` asks about images, or its environment. */
  runWith(changes: Pick<CliIo, "docker" | "env">, ...args: string[]): Promise<CliResult>;
  /** Writes `text` to `file` under the folder, making folders on the way. */
  write(file: string, text: string): Promise<void>;
}

/** For the tests of the file or `describe` it is called in: a folder each, removed after it. */
export function useCliFolder(): CliFolder {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "heimdall-cli-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const runWith = async (changes: Pick<CliIo, "docker" | "env">, ...args: string[]): Promise<CliResult> => {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      cwd: root,
      ...changes,
    };
    const code = await runCli(["node", "heimdall-build", ...args], io);
    return { code, stdout, stderr };
  };
  return {
    root: () => root,
    run: (...args) => runWith({}, ...args),
    runWith,
    write: async (file, text) => {
      const full = path.join(root, file);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, text);
    },
  };
}
