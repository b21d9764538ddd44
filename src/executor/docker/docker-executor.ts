/**
 * The Docker backend: a Linux cell in a hardened container (run-cell.ts) from
 * its image (cell-image.ts: the catalog's, built on first use, or the
 * config's own, already on the engine). One executor serves one caller's
 * builds of a kind (a local run's cells, a worker's attempt): what differs
 * between callers (labels, network, the cache's volume) is given to it.
 */
import type Docker from "dockerode";
import type { Cell } from "../../config/matrix.ts";
import type { ImagePackage } from "../../report/sbom.ts";
import type { CellRunRequest, Executor, Preparation, PreparedExecutor } from "../executor.ts";
import type { CellCache } from "./cache-volume.ts";
import { ImageMissingError, imageForCell } from "./cell-image.ts";
import { type ContainerLimits, DEFAULT_LIMITS } from "./container.ts";
import { rememberedImagePackages } from "./image-packages.ts";
import { ensurePackagesImage, PackagesInstallError } from "./packages-image.ts";
import { runCell } from "./run-cell.ts";

export interface DockerExecutorOptions {
  readonly docker: Docker;
  /** Extra apt options for the catalog's recipes (HEIMDALL_APT_OPTIONS). */
  readonly aptOptions?: string;
  /** Where image builds are locked: a folder every process using this engine sees (see images.ts). */
  readonly lockDir?: string;
  /** Labels on every container it starts, so that its owner can find and remove them. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Network inside the build's container: only for trusted builds whose config asks for it. */
  readonly network: boolean;
  /** The compiler cache shared between builds in `image` (used only when the config asks for a cache). */
  readonly cache?: (image: string) => CellCache;
  /** An image's packages for the SBOM; by default read once per image by this executor. */
  readonly packages?: (image: string) => Promise<ImagePackage[]>;
  /** The container's limits; DEFAULT_LIMITS (4 GiB of memory) by default. */
  readonly limits?: ContainerLimits;
}

export class DockerExecutor implements Executor {
  readonly #options: DockerExecutorOptions;
  readonly #packages: (image: string) => Promise<ImagePackage[]>;

  constructor(options: DockerExecutorOptions) {
    this.#options = options;
    this.#packages = options.packages ?? rememberedImagePackages(options.docker, options.labels ?? {});
  }

  unavailableReason(cell: Cell): string | null {
    return cell.platform === "linux"
      ? null
      : `${cell.platform} cells run on a ${cell.platform} machine: there, use --executor host`;
  }

  async prepare(cell: Cell, onProgress?: (line: string) => void): Promise<Preparation> {
    onProgress?.(cell.image ?? "");
    const options = {
      aptOptions: this.#options.aptOptions ?? "",
      ...(this.#options.lockDir ? { lockDir: this.#options.lockDir } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    try {
      const image = await imageForCell(this.#options.docker, cell, options);
      if (cell.packages.length === 0) return { ready: true, executor: this.inImage(image) };
      onProgress?.(`${image} + ${cell.packages.join(" ")}`);
      const derived = await ensurePackagesImage(this.#options.docker, image, cell.packages, options);
      // The compiler cache stays the base image's: the compiler is the same, and ccache hashes the headers.
      return { ready: true, executor: this.inImage(derived, image) };
    } catch (error) {
      // A config's image is not made here, only looked for: its absence is the reason itself.
      if (error instanceof ImageMissingError) return { ready: false, reason: error.message, missing: error.image };
      // apt's own words ("E: Unable to locate package …") are the reason: the config must change, not the host.
      if (error instanceof PackagesInstallError) return { ready: false, reason: error.message, missing: null };
      return {
        ready: false,
        reason: `the image could not be made: ${error instanceof Error ? error.message : String(error)}`,
        missing: null,
      };
    }
  }

  /**
   * This executor ready to run in `image`, whichever cell it is (tests run
   * cells in images of their own), with the compiler cache of `cacheImage`.
   */
  inImage(image: string, cacheImage = image): PreparedExecutor {
    const { docker, network, labels, limits = DEFAULT_LIMITS } = this.#options;
    const cache = this.#options.cache?.(cacheImage) ?? null;
    return {
      ranOn: image,
      memoryLimit: limits.memoryBytes,
      run: (request: CellRunRequest) =>
        runCell({ ...request, docker, image, network, limits, cache, ...(labels ? { labels } : {}) }),
      packages: () => this.#packages(image),
    };
  }
}
