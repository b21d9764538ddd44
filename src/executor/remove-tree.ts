/** Removing a folder a build wrote, whatever modes it left (a read-only folder stops a plain rm). */
import { chmod, lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function makeWritable(dir: string): Promise<void> {
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => undefined);
  for (const entry of await readdir(dir).catch(() => [])) await makeWritable(path.join(dir, entry));
}
