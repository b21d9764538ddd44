/**
 * A cell's image with its config's `packages:` installed: derived FROM the
 * cell's image by the `images/packages` recipe, once per base image and set
 * of packages (the tag is a digest of both), under the lock and the
 * reuse-while-current rule every recipe's image has (images.ts).
 *
 * The build runs the distribution's installer as root with network, so only
 * the recipe's Dockerfile is its context: nothing of the repository enters
 * it, the names (checked by config/packages.ts) are its only input.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import type Docker from "dockerode";
import { DEFAULT_IMAGES_DIR, ensureImage, ImageBuildError, type ImageBuildOptions, type ImageSpec } from "./images.ts";

export const PACKAGES_REPOSITORY = "heimdall-build/with-packages";
/** Labels saying what a derived image is made of, for its operator (`docker image ls --filter label=…`). */
export const PACKAGES_LABELS = {
  base: "dev.heimdall-build.packages.base",
  baseId: "dev.heimdall-build.packages.base-id",
  packages: "dev.heimdall-build.packages",
} as const;

export interface PackagesImageOptions extends ImageBuildOptions {
  readonly imagesDir?: string;
  /** Extra apt options (HEIMDALL_APT_OPTIONS), as the catalog's recipes take them. */
  readonly aptOptions?: string;
}

/** The installer refused the packages (one unknown, a version not in the archive): its own words. */
export class PackagesInstallError extends Error {
  readonly packages: readonly string[];
  readonly log: readonly string[];
  constructor(base: string, packages: readonly string[], said: string, log: readonly string[]) {
    super(`the packages could not be installed into ${base}: ${said}\n${log.slice(-20).join("\n")}`);
    this.name = "PackagesInstallError";
    this.packages = packages;
    this.log = log;
  }
}

/** The derived image's recipe for `base` (which must be on the engine) and the packages. */
export async function packagesImageSpec(
  docker: Docker,
  base: string,
  packages: readonly string[],
  options: Pick<PackagesImageOptions, "imagesDir" | "aptOptions"> = {},
): Promise<ImageSpec> {
  const inspected = await docker.getImage(base).inspect();
  const names = [...new Set(packages)].sort();
  // The base's id, not its tag: a rebuilt base (a new recipe, a new compiler patch) gets its own derived image.
  const digest = createHash("sha256").update(inspected.Id).update("\0").update(names.join(" ")).digest("hex");
  return {
    tag: `${PACKAGES_REPOSITORY}:${digest.slice(0, 24)}`,
    recipeDir: path.join(options.imagesDir ?? DEFAULT_IMAGES_DIR, "packages"),
    base,
    buildArgs: {
      BASE: base,
      PACKAGES: names.join(" "),
      APT_OPTIONS: options.aptOptions ?? "",
      BASE_USER: inspected.Config?.User || "root",
    },
    labels: {
      [PACKAGES_LABELS.base]: base,
      [PACKAGES_LABELS.baseId]: inspected.Id,
      [PACKAGES_LABELS.packages]: names.join(" "),
    },
  };
}

/** The tag of `base` with the packages installed, built first when missing; PackagesInstallError when refused. */
export async function ensurePackagesImage(
  docker: Docker,
  base: string,
  packages: readonly string[],
  options: PackagesImageOptions = {},
): Promise<string> {
  const { imagesDir, aptOptions, ...build } = options;
  const spec = await packagesImageSpec(docker, base, packages, {
    ...(imagesDir ? { imagesDir } : {}),
    ...(aptOptions ? { aptOptions } : {}),
  });
  try {
    return await ensureImage(docker, spec, build);
  } catch (error) {
    if (!(error instanceof ImageBuildError)) throw error;
    const said = installerErrors(error.log);
    if (said === null) throw error;
    throw new PackagesInstallError(base, packages, said, error.log);
  }
}

/**
 * What apt (`E: Unable to locate package x`) or dnf (`Error: Unable to find a
 * match: x`) said went wrong, on one line; null when neither said anything
 * (the build failed for another reason: the engine, the network).
 */
export function installerErrors(log: readonly string[]): string | null {
  const said = [
    ...new Set(log.map((line) => line.trim()).filter((line) => /^(E|Error): /.test(line) && line.length < 500)),
  ];
  return said.length > 0 ? said.join("; ") : null;
}
