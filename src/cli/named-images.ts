/**
 * The images a config names (`image:`, which no recipe builds): whether this
 * host's Docker engine has them, asked before anything runs, and the lines
 * `validate` and `run` print about them. A cell whose image is missing fails,
 * so saying it up front saves a run that cannot succeed.
 */
import type Docker from "dockerode";
import type { Cell } from "../config/matrix.ts";
import { configNamedImage } from "../executor/docker/cell-image.ts";
import { imagesPresent } from "../executor/docker/image-presence.ts";

/** Whether each named image is on the engine, or why that was not checked. */
export type NamedImagePresence =
  | { readonly checked: true; readonly present: ReadonlyMap<string, boolean> }
  | { readonly checked: false; readonly why: string };

export const NO_ENGINE = "no Docker engine answers (start dockerd, or set DOCKER_HOST)";

/** The images the cells' config names, each once, in the cells' order. */
export function namedImages(cells: readonly Cell[]): string[] {
  return [...new Set(cells.map(configNamedImage).filter((image) => image !== null))];
}

/** Asks the engine (null: none answers) about each image; an engine failing midway leaves them unchecked. */
export async function namedImagePresence(
  images: readonly string[],
  docker: Docker | null,
): Promise<NamedImagePresence> {
  if (!docker) return { checked: false, why: NO_ENGINE };
  try {
    return { checked: true, present: await imagesPresent(docker, images) };
  } catch (error) {
    return { checked: false, why: error instanceof Error ? error.message : String(error) };
  }
}

/** Cells named in a warning at most; more are counted. */
const MAX_NAMED_CELLS = 3;

/**
 * One warning per named image the engine lacks and a cell that is not skipped
 * uses, or one note when presence was not checked; none without named images.
 */
export function namedImageNotices(cells: readonly Cell[], presence: NamedImagePresence): string[] {
  const images = namedImages(cells);
  if (images.length === 0) return [];
  if (!presence.checked) {
    return [
      `note: whether this host has the images the config names (${images.join(", ")}) was not checked: ${presence.why}`,
    ];
  }
  return images.flatMap((image) => {
    if (presence.present.get(image) !== false) return [];
    const users = cells.filter((cell) => !cell.skipped && configNamedImage(cell) === image);
    if (users.length === 0) return [];
    return [
      `warning: image '${image}' is not on this host (docker image inspect found none); ${usedBy(users)} unless the image is pulled or built first`,
    ];
  });
}

function usedBy(users: readonly Cell[]): string {
  const names = users.length <= MAX_NAMED_CELLS ? ` (${users.map((cell) => cell.name).join(", ")})` : "";
  return users.length === 1
    ? `1 cell uses it${names}: it will fail`
    : `${users.length} cells use it${names}: they will fail`;
}
