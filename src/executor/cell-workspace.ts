/** A cell's writable copy of a checkout, removed when the cell is done with it. */
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { cp, mkdir } from "node:fs/promises";
import path from "node:path";
import { removeTree } from "./remove-tree.ts";
import { runProcess } from "./run-process.ts";
import { SourceError } from "./source-error.ts";
import { markUsed, type SourceLayout } from "./source-layout.ts";

export interface Workspace {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Copies a checkout for one cell to write into (builds write build/ under the
 * source) and returns its path; release() removes it. Every file is a copy
 * (a reflink where the filesystem has them, else bytes), never a hard link:
 * the cell's container may own the workspace (run-cell chowns it), and a
 * chown through a hard link would hand the mirror's objects to the build.
 * The copy may take `timeoutMs`.
 */
export async function copyWorkspace(
  layout: SourceLayout,
  checkoutPath: string,
  name: string,
  timeoutMs: number,
): Promise<Workspace> {
  const source = path.resolve(checkoutPath);
  if (!layout.isCheckout(source)) {
    throw new SourceError(`${checkoutPath} is not a checkout of this cache (${layout.checkouts})`);
  }
  await markUsed(source);
  await mkdir(layout.workspaces, { recursive: true });
  const safe =
    name
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[.-]+/, "")
      .slice(0, 80) || "workspace";
  const dest = path.join(layout.workspaces, `${safe}-${randomBytes(4).toString("hex")}`);
  try {
    await copyTree(source, dest, Date.now() + timeoutMs);
  } catch (error) {
    await removeTree(dest);
    throw error;
  }
  let released: Promise<void> | null = null;
  return {
    path: dest,
    release: () => {
      released ??= removeTree(dest);
      return released;
    },
  };
}

async function copyTree(source: string, dest: string, deadline: number): Promise<void> {
  if (process.platform !== "linux") {
    await cp(source, dest, {
      recursive: true,
      mode: fsConstants.COPYFILE_FICLONE,
      verbatimSymlinks: true,
      preserveTimestamps: true,
    });
    return;
  }
  // GNU cp: reflinks on btrfs/XFS, a plain copy elsewhere; modes, times and links kept.
  const result = await runProcess("cp", ["-a", "--reflink=auto", "--", source, dest], {
    env: process.env,
    deadline,
  });
  if (result.code !== 0) throw new SourceError(`copying ${source} failed: ${result.stderr.trim()}`);
}
