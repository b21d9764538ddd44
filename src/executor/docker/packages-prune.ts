/**
 * Derived images (`packages:`) accumulate: one per base image and set of
 * packages, and a new one whenever a base is rebuilt. `heimdall-build images
 * prune` removes those made from a base image that is no longer the one its
 * tag names (stale: no cell will use them again), or, with `all`, every one
 * no container uses (the next cell that needs one builds it again). An image
 * a container still uses is kept, never forced.
 */
import type Docker from "dockerode";
import { PACKAGES_LABELS, PACKAGES_REPOSITORY } from "./packages-image.ts";

export interface PrunedImage {
  readonly tag: string;
  readonly base: string;
  readonly packages: string;
  readonly bytes: number;
}

export interface PruneResult {
  readonly removed: readonly PrunedImage[];
  /** Images that were to go but stay, and why (a container uses one). */
  readonly kept: readonly (PrunedImage & { readonly reason: string })[];
  /** Current images left alone (without `all`). */
  readonly current: number;
}

export interface PruneOptions {
  /** Every derived image, not only the stale ones. */
  readonly all?: boolean;
  /** The derived images' repository (tests use their own). */
  readonly repository?: string;
}

/** Whether the image `base` names is still the one the derived image was made from. */
async function baseIsCurrent(docker: Docker, base: string, baseId: string | undefined): Promise<boolean> {
  if (!base || !baseId) return false;
  const inspected = await docker
    .getImage(base)
    .inspect()
    .catch(() => null);
  return inspected?.Id === baseId;
}

export async function pruneDerivedImages(docker: Docker, options: PruneOptions = {}): Promise<PruneResult> {
  const repository = options.repository ?? PACKAGES_REPOSITORY;
  const images = await docker.listImages({ filters: { reference: [repository] } });
  const removed: PrunedImage[] = [];
  const kept: (PrunedImage & { reason: string })[] = [];
  let current = 0;
  for (const image of images) {
    const labels = image.Labels ?? {};
    const described: PrunedImage = {
      tag: image.RepoTags?.find((t) => t.startsWith(`${repository}:`)) ?? image.Id,
      base: labels[PACKAGES_LABELS.base] ?? "",
      packages: labels[PACKAGES_LABELS.packages] ?? "",
      bytes: image.Size,
    };
    if (!options.all && (await baseIsCurrent(docker, described.base, labels[PACKAGES_LABELS.baseId]))) {
      current++;
      continue;
    }
    try {
      // By id, unforced: the engine refuses while a container (running or stopped) uses it.
      await docker.getImage(image.Id).remove();
      removed.push(described);
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      const reason = status === 409 ? "a container uses it" : String((error as Error).message ?? error).split("\n")[0];
      kept.push({ ...described, reason: reason ?? "" });
    }
  }
  return { removed, kept, current };
}
