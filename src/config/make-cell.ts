/**
 * A combination of the matrix made a cell: its name and id (stable across
 * commits, from its axes only), its flags, image and packages, and whether the
 * catalog can build it (a skip reason when not). Pure.
 */
import { type CompilerRelease, findCompiler, imageTag, SANITIZERS, type Sanitizer, skipReason } from "./catalog.ts";
import { llvmPackages, llvmSkipReason } from "./llvm.ts";
import type { Cell, Combination, CompleteAxes } from "./matrix.ts";
import { mergePackages } from "./packages.ts";
import type { Config } from "./schema.ts";

/** A sanitizer as cell names and grids show it. */
export const SANITIZER_SHORT: Readonly<Record<Sanitizer, string>> = {
  address: "asan",
  undefined: "ubsan",
  thread: "tsan",
  memory: "msan",
  leak: "lsan",
};

export function makeCell(config: Config, combination: Combination, axes: CompleteAxes): Cell {
  const requested = new Set(combination.sanitizers ?? config.sanitizers);
  const sanitizers = SANITIZERS.filter((s) => requested.has(s));
  const coverage = combination.coverage ?? config.coverage;
  const tests = combination.tests ?? config.tests.enabled;
  // An include entry's image for its cells, else the top level's, else (below) the catalog's.
  const image = combination.image ?? config.image;
  const { platform, compiler, cxx_standard: cxxStandard, c_standard: cStandard, llvm, build_type: buildType } = axes;

  const tags = [...sanitizers.map((s) => SANITIZER_SHORT[s]), ...(coverage ? ["coverage"] : [])];
  const compilerName = `${compiler.family}-${compiler.version}`;
  // The standards the cell has, C++ first: `c++17`, `c11`, or both.
  const standards = [
    ...(cxxStandard !== null ? [`c++${cxxStandard}`] : []),
    ...(cStandard !== null ? [`c${cStandard}`] : []),
  ];
  const llvmName = llvm !== null ? [`llvm-${llvm}`] : [];
  const name = [
    platform,
    compilerName,
    ...standards,
    ...llvmName,
    buildType,
    ...(tags.length ? [tags.join("+")] : []),
  ].join(" / ");
  const id = [
    platform,
    compilerName,
    ...(cxxStandard !== null ? [`cxx${cxxStandard}`] : []),
    ...(cStandard !== null ? [`c${cStandard}`] : []),
    ...(llvm !== null ? [`llvm${llvm}`] : []),
    buildType.toLowerCase(),
    ...tags,
  ].join("-");

  const catalogReason = skipReason({
    platform,
    family: compiler.family,
    version: compiler.version,
    cxxStandard,
    cStandard,
    sanitizers,
    coverage,
    imageOverride: image !== undefined,
  });
  // The compiler's own reasons first; then whether its image's suite carries the LLVM release.
  const reason =
    catalogReason ??
    (llvm === null
      ? null
      : llvmSkipReason(compiler.family, compiler.version, llvm, { platform, imageOverride: image !== undefined }));
  const release = findCompiler(compiler.family, compiler.version) as CompilerRelease;
  return {
    id,
    name,
    platform,
    compiler,
    cxxStandard,
    cStandard,
    llvm,
    buildType,
    sanitizers,
    coverage,
    tests,
    stdFlag: reason || cxxStandard === null ? null : (release.standardFlags[cxxStandard] ?? null),
    cStdFlag: reason || cStandard === null ? null : (release.cStandardFlags[cStandard] ?? null),
    image: platform === "linux" ? (image ?? imageTag(release)) : null,
    // Only an image gets packages: other platforms' cells have none to install them into.
    packages:
      platform === "linux"
        ? mergePackages(config.packages, combination.packages, llvm !== null ? llvmPackages(llvm) : [])
        : [],
    env: combination.env ?? {},
    configureArgs: combination.configureArgs ?? [],
    skipped: reason !== null,
    skipReason: reason,
  };
}
