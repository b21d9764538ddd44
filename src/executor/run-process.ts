/**
 * A child process of the source cache (git, cp): its output kept within
 * bounds, and killed, with all it started, at a deadline.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { SourceError } from "./source-error.ts";

const KEEP_STDERR = 8 * 1024;
const KEEP_STDOUT = 16 * 1024 * 1024;

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * One child process, in its own process group so a timeout kills what it
 * started too (git's remote helpers, index-pack, ...).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; deadline: number; cwd?: string },
): Promise<ProcessResult> {
  const remaining = options.deadline - Date.now();
  if (remaining <= 0) {
    return Promise.reject(new SourceError(`${command} ${args[0] ?? ""} not started: over the time limit`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (stdout.length < KEEP_STDOUT) stdout += chunk;
    });
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-KEEP_STDERR);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, remaining);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new SourceError(`${command} could not be run: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1), stdout, stderr, timedOut });
    });
  });
}
