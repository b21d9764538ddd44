/**
 * The image a cell runs in: the catalog's, built from its recipe on first use
 * (once, under a lock), or the config's own `image:`, which must already be on
 * the engine (no registry is pulled from).
 */
import type Docker from "dockerode";
import { findCompiler, imageTag } from "../config/catalog.ts";
import type { Cell } from "../config/matrix.ts";
import { ensureImage, type ImageBuildOptions, imageSpec } from "./images.ts";

export interface CellImageOptions extends ImageBuildOptions {
  /** Extra apt options for the recipes (HEIMDALL_APT_OPTIONS). */
  readonly aptOptions?: string;
}

export async function imageForCell(docker: Docker, cell: Cell, options: CellImageOptions = {}): Promise<string> {
  if (!cell.image) throw new Error(`${cell.name} has no image`);
  const release = findCompiler(cell.compiler.family, cell.compiler.version);
  if (release && imageTag(release) === cell.image) {
    const { aptOptions, ...build } = options;
    return ensureImage(docker, imageSpec(release, { aptOptions: aptOptions ?? "" }), build);
  }
  await docker
    .getImage(cell.image)
    .inspect()
    .catch(() => {
      throw new Error(`image ${cell.image} is not on this engine (no registry is pulled from)`);
    });
  return cell.image;
}
