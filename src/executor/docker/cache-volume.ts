/**
 * The compiler cache shared between a Docker backend's builds: a named volume
 * mounted at /ccache, one per image, trust and repository owner, handed to
 * the build's user before its first use.
 */
import { createHash } from "node:crypto";
import type Docker from "dockerode";

export interface CellCache {
  /** The named volume (made and handed to the build user on first use). */
  readonly volume: string;
  /** ccache's size cap (CCACHE_MAXSIZE, e.g. `5G`); DEFAULT_CACHE_MAX_SIZE by default. */
  readonly maxSize?: string;
}

export const CACHE_DIR = "/ccache";

/**
 * The shared cache's volume: one per image and trust, so a fork's build never
 * writes where a trusted build reads (a poisoned entry would be compiled in).
 */
export function cacheVolumeName(image: string, trust: "trusted" | "fork", owner: string): string {
  // One cache per image, trust and repository owner: a repository can write
  // entries under another's keys, so caches are shared only where the code is.
  const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);
  return `heimdall-ccache-${hash(image)}-${hash(owner.toLowerCase())}-${trust}`;
}

/** A cache volume to hand to the build's user, with the image and labels of the container that does it. */
export interface CacheVolumeHandover {
  readonly docker: Docker;
  /** The build's image: its `chown` does the work. */
  readonly image: string;
  readonly volume: string;
  /** uid:gid of the build. */
  readonly user: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Volumes (by name and creation time) already handed to the build user by this process. */
const preparedVolumes = new Map<string, Promise<void>>();

/**
 * Makes the cache volume if it is missing and gives its root folder to the
 * build's user. A new named volume is root's and the build never is, so a
 * one-shot container does it: root, but with every capability dropped except
 * CAP_CHOWN (no DAC override, no setuid), no network, a read-only root, its
 * entrypoint replaced by `chown <user> /ccache` (not recursive: only the
 * volume's root). Once per volume per process: a volume removed and made again
 * (another creation time) is handed over again.
 */
export async function prepareCacheVolume(handover: CacheVolumeHandover): Promise<void> {
  const { docker, volume, user } = handover;
  await docker.createVolume({ Name: volume, Labels: { "heimdall-build.cache": "ccache" } });
  const info = (await docker.getVolume(volume).inspect()) as { CreatedAt?: string };
  const key = `${volume}@${info.CreatedAt ?? ""}:${user}`;
  let prepared = preparedVolumes.get(key);
  if (!prepared) {
    prepared = chownVolume(handover);
    prepared.catch(() => preparedVolumes.delete(key));
    preparedVolumes.set(key, prepared);
  }
  await prepared;
}

async function chownVolume({ docker, image, volume, user, labels }: CacheVolumeHandover): Promise<void> {
  const container = await docker.createContainer({
    Image: image,
    // The attempt's labels, as on its build container: its deployment's own.
    Labels: { ...labels },
    Entrypoint: ["chown"],
    Cmd: [user, CACHE_DIR],
    User: "0:0",
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      CapDrop: ["ALL"],
      CapAdd: ["CHOWN"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
      PidsLimit: 16,
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      LogConfig: { Type: "none", Config: {} },
      Binds: [`${volume}:${CACHE_DIR}`],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0)
      throw new Error(`could not give the cache volume ${volume} to ${user} (chown: ${StatusCode})`);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
