/**
 * One attempt of a cell on the worker's own machine (native macOS, Windows or
 * Linux workers): the cell's script run by bash in the workspace, in a
 * process group of its own, with a minimal environment (none of the worker's
 * secrets). Its output goes through the same OutputObserver as a container's.
 *
 * No isolation beyond that: a host worker is for trusted builds only.
 *
 * Where coreutils' `timeout` is on PATH (Linux; macOS with coreutils as
 * `gtimeout`), the script runs under it, so its process group ends a little
 * past the limit even when the worker is gone (see time-guard.ts).
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Utf8Chunks } from "../../diagnostics/utf8.ts";
import { cellScript } from "../cell-script.ts";
import type { CellRunRequest, CellRunResult } from "../executor.ts";
import { OutputObserver } from "../output-observer.ts";
import { endedByGuard, guardArgs, type LimitClock, realClock } from "../time-guard.ts";
import { hostEnvironment, isOnPath } from "./host-environment.ts";

/** How long the output may stay open after the script's process group was killed. */
const DRAIN_MS = 2000;

export async function runCellOnHost(request: CellRunRequest): Promise<CellRunResult> {
  const workspace = path.resolve(request.workspace);
  const nonce = randomBytes(8).toString("hex");
  const env = hostEnvironment(request, workspace);
  // ccache as the compiler launcher only where it is installed: a missing one would fail the configure.
  const settings =
    request.settings.cache && !isOnPath("ccache", env.PATH) ? { ...request.settings, cache: false } : request.settings;
  // The script's paths are bash's: forward slashes on Windows too.
  const sourceDir = workspace.split(path.sep).join("/");
  const script = cellScript({ cell: request.cell, settings, nonce, jobs: request.jobs ?? 2, sourceDir });
  // Compilers print the paths CMake gave them, which may be the real path (macOS's /var is /private/var).
  const real = await realpath(workspace);
  const sourceDirs = [...new Set([sourceDir, real.split(path.sep).join("/")])];

  const observer = new OutputObserver({ ...request, settings, nonce, sourceDirs });

  let outcome: { exitCode: number; timedOut: boolean; cancelled: boolean; outputBytes: number };
  try {
    outcome = await runScript(script, workspace, env, request, observer);
  } catch (error) {
    await observer.abandon();
    throw error;
  }
  return {
    ...(await observer.conclude(outcome, workspace)),
    outputBytes: outcome.outputBytes,
    oomKilled: false,
  };
}

function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
  limit: { readonly timeoutMs: number; readonly signal?: AbortSignal; readonly clock?: LimitClock },
  observer: OutputObserver,
): Promise<{ exitCode: number; timedOut: boolean; cancelled: boolean; outputBytes: number }> {
  const { timeoutMs, signal } = limit;
  const clock = limit.clock ?? realClock;
  // stderr joins stdout in the same pipe, so the two keep their order.
  const bash = ["bash", "-c", `exec 2>&1\n${script}`];
  const guard = guardCommand(env.PATH);
  const [command = "bash", ...args] = guard ? [guard, ...guardArgs(timeoutMs), ...bash] : bash;
  const started = clock.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
      windowsHide: true,
    });
    const stdout = child.stdout;
    let outputBytes = 0;
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let drainTimer: NodeJS.Timeout | undefined;
    const decoder = new Utf8Chunks();

    stdout.on("data", (chunk: Buffer) => {
      outputBytes += chunk.length;
      const wait = observer.bytes(chunk);
      const text = decoder.write(chunk);
      if (text !== "") observer.text(text);
      if (wait) {
        stdout.pause();
        void wait.then(() => stdout.resume());
      }
    });

    const stop = (why: "timeout" | "cancel") => {
      if (exit) return;
      if (why === "timeout") timedOut = true;
      else cancelled = true;
      killGroup(child.pid);
    };
    const cancelTimer = clock.after(timeoutMs, () => stop("timeout"));
    const onAbort = () => stop("cancel");
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();

    const cleanup = () => {
      cancelTimer();
      clearTimeout(drainTimer);
      signal?.removeEventListener("abort", onAbort);
    };

    child.on("error", (error) => {
      cleanup();
      reject(error);
    });
    child.on("exit", (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      cancelTimer();
      // Whatever the script left running in its group goes with it (and lets the pipe close).
      killGroup(child.pid);
      // A process that left the group could still hold the pipe: stop reading after a while.
      drainTimer = setTimeout(() => stdout.destroy(), DRAIN_MS);
    });
    child.on("close", () => {
      cleanup();
      const rest = decoder.end();
      if (rest !== "") observer.text(rest);
      const ended = exit ?? { code: child.exitCode, signal: child.signalCode };
      const exitCode = ended.code ?? 128 + (ended.signal ? (os.constants.signals[ended.signal] ?? 0) : 1);
      // Ended by its guard while the worker's timer had not fired: timed out all the same.
      if (!cancelled && guard && endedByGuard(exitCode, clock.now() - started, timeoutMs)) timedOut = true;
      resolve({ exitCode, timedOut, cancelled, outputBytes });
    });
  });
}

/** The guard's `timeout` on the build's PATH, if any (none on Windows: its `timeout` is another command). */
function guardCommand(searchPath: string | undefined): string | null {
  if (process.platform === "win32") return null;
  return ["timeout", "gtimeout"].find((name) => isOnPath(name, searchPath)) ?? null;
}

/** Kills the script's whole process group (the script runs detached: its pid is the group's). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  if (process.platform === "win32") {
    // No process groups: the tree, by its root.
    execFile("taskkill", ["/T", "/F", "/PID", String(pid)], () => undefined);
    return;
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
