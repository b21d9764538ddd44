/**
 * `heimdall-build worker --platform linux` in a child process, on the test's
 * Redis prefix, taking file:// clone URLs; for tests that kill or stop a real
 * worker process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { hostname } from "node:os";
import path from "node:path";
import { REDIS_URL } from "./app-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface WorkerProcessOptions {
  readonly prefix: string;
  readonly cacheDir: string;
  /** STORAGE_DIR; unset, the worker's default folder. */
  readonly storageDir?: string;
  /** More of the worker's environment (HEIMDALL_JOB_LOCK_MS, say). */
  readonly env?: Record<string, string>;
  /** The CLI run, from the repository's root: the sources, or the built bin (`dist/cli/main.js`). */
  readonly entry?: string;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** The name the worker gives itself, and its attempts' `worker`. */
  readonly name: string;
  /** The last 16 KiB the worker printed (stdout and stderr), for failure messages. */
  printed(): string;
  /** How it exited; null while it runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
}

export function spawnWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, options.entry ?? "src/cli/main.ts"), "worker", "--platform", "linux"],
    {
      env: {
        ...process.env,
        REDIS_URL,
        HEIMDALL_REDIS_PREFIX: options.prefix,
        HEIMDALL_CACHE_DIR: options.cacheDir,
        ...(options.storageDir === undefined ? {} : { STORAGE_DIR: options.storageDir }),
        HEIMDALL_ALLOW_FILE_URLS: "1",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let printed = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const keep = (chunk: Buffer) => {
    printed = (printed + chunk.toString("utf8")).slice(-16_384);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("exit", (code, signal) => {
    exit = { code, signal };
  });
  return { child, name: `${hostname()}-${child.pid}`, printed: () => printed, exit: () => exit };
}
