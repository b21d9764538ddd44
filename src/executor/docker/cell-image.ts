/**
 * The image a cell runs in: the catalog's, built from its recipe on first use
 * (once, under a lock), or the config's own `image:`, which must already be on
 * the engine (no registry is pulled from).
 */
import type Docker from "dockerode";
import { type CompilerRelease, findCompiler, imageTag } from "../../config/catalog.ts";
import type { Cell } from "../../config/matrix.ts";
import { imagesPresent } from "./image-presence.ts";
import { ensureImage, type ImageBuildOptions, imageSpec } from "./images.ts";

export interface CellImageOptions extends ImageBuildOptions {
  /** Extra apt options for the recipes (HEIMDALL_APT_OPTIONS). */
  readonly aptOptions?: string;
}

/** A config's image that is not on the engine: nothing can make it, so its cells cannot run. */
export class ImageMissingError extends Error {
  readonly image: string;
  constructor(image: string) {
    super(`image '${image}' is not on this host (no registry is pulled from): pull or build it first`);
    this.name = "ImageMissingError";
    this.image = image;
  }
}

/** The catalog release whose recipe builds the cell's image, or null when the config names its own. */
function recipeOf(cell: Cell): CompilerRelease | null {
  const release = findCompiler(cell.compiler.family, cell.compiler.version);
  return release && cell.image !== null && imageTag(release) === cell.image ? release : null;
}

/**
 * The cell's image when the config names it and no recipe builds it, else null
 * (the catalog's image of the cell's compiler, or no image: not a Linux cell).
 * A config naming exactly that catalog tag gets it built like any catalog cell.
 */
export function configNamedImage(cell: Cell): string | null {
  return cell.image !== null && recipeOf(cell) === null ? cell.image : null;
}

export async function imageForCell(docker: Docker, cell: Cell, options: CellImageOptions = {}): Promise<string> {
  const { image } = cell;
  if (!image) throw new Error(`${cell.name} has no image`);
  const release = recipeOf(cell);
  if (release) {
    const { aptOptions, ...build } = options;
    return ensureImage(docker, imageSpec(release, { aptOptions: aptOptions ?? "" }), build);
  }
  if (!(await imagesPresent(docker, [image])).get(image)) throw new ImageMissingError(image);
  return image;
}
