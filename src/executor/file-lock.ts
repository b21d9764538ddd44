/**
 * An exclusive lock file (`open(…, "wx")`) for work that processes on one host
 * must not do twice at once (a git mirror's fetch, an image's first build).
 */

import { open, readFile, stat, unlink } from "node:fs/promises";
import os from "node:os";

/**
 * Takes the lock, polling until `deadline`. A lock left by a dead process on
 * this host, or older than the time any holder may take (`holdMs`), is broken.
 * Returns the function that releases it.
 */
export async function lockFile(
  file: string,
  deadline: number,
  holdMs: number,
  timedOut: (file: string) => Error = (f) => new Error(`${f} is held by another process past the time limit`),
): Promise<() => Promise<void>> {
  const me = `${process.pid} ${os.hostname()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, "wx");
      try {
        await handle.writeFile(`${me}\n`);
      } finally {
        await handle.close();
      }
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await isStale(file, holdMs)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) throw timedOut(file);
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** Math.min(attempt, 3), 400)));
  }
}

async function isStale(file: string, holdMs: number): Promise<boolean> {
  const [content, info] = await Promise.all([readFile(file, "utf8").catch(() => null), stat(file).catch(() => null)]);
  if (content === null || info === null) return false; // released meanwhile: just try again
  if (Date.now() - info.mtimeMs > holdMs + 60_000) return true;
  const [pid, host] = content.trim().split(" ");
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
