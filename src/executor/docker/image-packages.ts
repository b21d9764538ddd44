/** The Debian packages of an image, for the SBOM: dpkg-query run in a container (the parsing is report/sbom.ts's). */
import type Docker from "dockerode";
import { DPKG_FORMAT, DPKG_LIMITS, type ImagePackage, parseDpkgQuery } from "../../report/sbom.ts";
import { runContainer } from "./container.ts";

/**
 * The Debian packages installed in an image, read by dpkg-query in a
 * throw-away hardened container (no network, non-root, small limits).
 * Throws when the image has no dpkg, the output is cut short, or a line is
 * not what dpkg-query prints. Labelled as the caller's other containers (its
 * deployment), so a worker never removes another deployment's.
 */
export async function imagePackagesOf(
  docker: Docker,
  image: string,
  labels: Readonly<Record<string, string>>,
): Promise<ImagePackage[]> {
  const result = await runContainer(docker, {
    image,
    labels,
    cmd: ["dpkg-query", "-W", `-f=${DPKG_FORMAT}`],
    env: { LC_ALL: "C" },
    network: false,
    limits: { memoryBytes: 256 * 1024 * 1024, pids: 64, cpus: 1 },
    timeoutMs: 60_000,
    keepBytes: DPKG_LIMITS.outputBytes,
  });
  if (result.timedOut) throw new Error(`dpkg-query in ${image} did not finish in time`);
  if (result.exitCode !== 0)
    throw new Error(`dpkg-query in ${image} failed (exit ${result.exitCode}): ${result.output.slice(-500)}`);
  if (result.truncated) throw new Error(`dpkg-query in ${image} printed more than ${DPKG_LIMITS.outputBytes} bytes`);
  return parseDpkgQuery(result.output);
}

/** imagePackagesOf once per image tag: later asks get the first read's packages; a failed read is tried again. */
export function rememberedImagePackages(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
): (image: string) => Promise<ImagePackage[]> {
  const known = new Map<string, Promise<ImagePackage[]>>();
  return (image) => {
    let packages = known.get(image);
    if (!packages) {
      packages = imagePackagesOf(docker, image, labels);
      packages.catch(() => known.delete(image));
      known.set(image, packages);
    }
    return packages;
  };
}
