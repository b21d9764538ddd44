/**
 * The LLVM axis: which LLVM releases' development packages (`llvm-N-dev`)
 * each Debian suite carries, so that a cell built by one compiler against
 * another LLVM release (gcc 12 with LLVM 16's libraries) gets an image that
 * has both, or is skipped saying why. Pure data, checked against the archive
 * (`apt-cache search '^llvm-[0-9]+-dev$'` in each suite's base image).
 */
import { type CompilerFamily, DEBIAN_SUITES, type DebianSuite, findCompiler } from "./catalog.ts";

// biome-ignore format: one suite a line
export const LLVM_BY_SUITE: Readonly<Record<DebianSuite, readonly number[]>> = {
  bullseye: [9, 11, 13, 16],
  bookworm: [13, 14, 15, 16, 19],
  trixie:   [17, 18, 19, 22],
  sid:      [19, 21, 22, 23],
};

/** Every LLVM release some suite carries, oldest first. */
export const LLVM_VERSIONS: readonly number[] = [...new Set(Object.values(LLVM_BY_SUITE).flat())].sort((a, b) => a - b);

/** The packages a cell of `llvm` gets in its image. */
export function llvmPackages(llvm: number): string[] {
  return [`llvm-${llvm}-dev`];
}

/** What a cell of `llvm` is told: the release, its llvm-config and its CMake package folder (Debian's layout). */
export function llvmEnvironment(llvm: number): Record<string, string> {
  return {
    LLVM_VERSION: String(llvm),
    LLVM_CONFIG: `/usr/bin/llvm-config-${llvm}`,
    LLVM_DIR: `/usr/lib/llvm-${llvm}/lib/cmake/llvm`,
  };
}

/**
 * Why a cell of this compiler cannot have LLVM `llvm`, or null. A config's own
 * image is trusted to have it (its install then says otherwise); a catalog
 * image comes from one suite, which must carry the release.
 */
export function llvmSkipReason(
  family: CompilerFamily,
  version: number,
  llvm: number,
  options: { platform: string; imageOverride: boolean },
): string | null {
  if (options.platform !== "linux")
    return `LLVM ${llvm} comes from Debian's packages: the llvm axis is for Linux cells`;
  // A config's own image is trusted to have it (its install then says otherwise).
  if (options.imageOverride) return null;
  if (!LLVM_VERSIONS.includes(llvm)) {
    return `no Debian suite carries LLVM ${llvm} (llvm-${llvm}-dev; they carry LLVM ${LLVM_VERSIONS.join(", ")}): name an image that has it`;
  }
  const suite = findCompiler(family, version)?.image?.suite;
  if (!suite) return null; // No catalog image: the catalog's own skip reason says so.
  if (LLVM_BY_SUITE[suite].includes(llvm)) return null;
  const together = DEBIAN_SUITES.filter((s) => LLVM_BY_SUITE[s].includes(llvm));
  return `${family} ${version}'s image is Debian ${suite}, which carries LLVM ${LLVM_BY_SUITE[suite].join(", ")}, not ${llvm} (LLVM ${llvm} is in ${together.join(", ")}); set an include entry's image that has both`;
}
