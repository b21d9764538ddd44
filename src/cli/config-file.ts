/** The config file read as a command does: bounded by the size limit, with a one-line reason when it cannot be. */
import { open } from "node:fs/promises";
import { LIMITS } from "../config/limits.ts";

/** Reads at most the config size limit (+1 byte to notice a larger file). */
export async function readConfigText(file: string): Promise<string | { error: string }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === "ENOENT" ? "no such file" : `cannot open: ${code ?? String(error)}` };
  }
  try {
    const buffer = Buffer.alloc(LIMITS.fileBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } catch (error) {
    return { error: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  } finally {
    await handle.close();
  }
}
