/**
 * A combination of the matrix made a cell: its name and id (stable across
 * commits, from its axes only), its flags, image and packages, and whether the
 * catalog can build it (a skip reason when not). Pure.
 */
import { type CompilerRelease, findCompiler, imageTag, SANITIZERS, type Sanitizer, skipReason } from "./catalog.ts";
import type { CompleteAxes } from "./complete-axes.ts";
import { interpolate, matrixContext } from "./interpolate.ts";
import { llvmPackages, llvmSkipReason } from "./llvm.ts";
import type { Cell, Combination } from "./matrix.ts";
import { mergePackages, PACKAGE, packageNameError } from "./packages.ts";
import type { ConfigProblem } from "./problems.ts";
import { type Config, IMAGE_REFERENCE, IMAGE_REFERENCE_ERROR } from "./schema.ts";

/** A sanitizer as cell names and grids show it. */
export const SANITIZER_SHORT: Readonly<Record<Sanitizer, string>> = {
  address: "asan",
  undefined: "ubsan",
  thread: "tsan",
  memory: "msan",
  leak: "lsan",
};

/**
 * What tells a cell apart from the others of its compiler, standard and
 * build type, as its name shows it: `llvm-16`, `shared=ON`, `asan+ubsan`.
 * For grids, whose rows and columns say the rest.
 */
export function cellVariant(cell: Pick<Cell, "llvm" | "customAxes" | "sanitizers" | "coverage">): string[] {
  // Cells queued before the llvm axis or custom axes have neither.
  const tags = [...cell.sanitizers.map((s) => SANITIZER_SHORT[s]), ...(cell.coverage ? ["coverage"] : [])];
  return [
    ...(cell.llvm != null ? [`llvm-${cell.llvm}`] : []),
    ...Object.entries(cell.customAxes ?? {}).map(([axis, value]) => `${axis}=${value}`),
    ...(tags.length > 0 ? [tags.join("+")] : []),
  ];
}

export function makeCell(config: Config, combination: Combination, axes: CompleteAxes): Cell {
  const requested = new Set(combination.sanitizers ?? config.sanitizers);
  const sanitizers = SANITIZERS.filter((s) => requested.has(s));
  const coverage = combination.coverage ?? config.coverage;
  const tests = combination.tests ?? config.tests.enabled;
  // An include entry's image for its cells, else the top level's, else (below) the catalog's.
  const { platform, compiler, cxx_standard: cxxStandard, c_standard: cStandard, llvm, build_type: buildType } = axes;
  const customAxes = combination.custom;
  // `${{ matrix.<axis> }}` in what decides the cell's image and build, written in with its own values.
  const context = matrixContext({ platform, compiler, cxxStandard, cStandard, llvm, buildType, customAxes });
  const written = (text: string) => interpolate(text, context);
  const writtenImage = combination.image ?? config.image;
  const image = writtenImage === undefined ? undefined : written(writtenImage);

  const tags = [...sanitizers.map((s) => SANITIZER_SHORT[s]), ...(coverage ? ["coverage"] : [])];
  const compilerName = `${compiler.family}-${compiler.version}`;
  // The standards the cell has, C++ first: `c++17`, `c11`, or both.
  const standards = [
    ...(cxxStandard !== null ? [`c++${cxxStandard}`] : []),
    ...(cStandard !== null ? [`c${cStandard}`] : []),
  ];
  const llvmName = llvm !== null ? [`llvm-${llvm}`] : [];
  const custom = Object.entries(customAxes);
  const name = [
    platform,
    compilerName,
    ...standards,
    ...llvmName,
    buildType,
    ...custom.map(([axis, value]) => `${axis}=${value}`),
    ...(tags.length ? [tags.join("+")] : []),
  ].join(" / ");
  // A value keeps its case in the id: ON and on are two values.
  const id = [
    platform,
    compilerName,
    ...(cxxStandard !== null ? [`cxx${cxxStandard}`] : []),
    ...(cStandard !== null ? [`c${cStandard}`] : []),
    ...(llvm !== null ? [`llvm${llvm}`] : []),
    buildType.toLowerCase(),
    ...custom.map(([axis, value]) => `${axis}-${value}`),
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
    customAxes,
    sanitizers,
    coverage,
    tests,
    stdFlag: reason || cxxStandard === null ? null : (release.standardFlags[cxxStandard] ?? null),
    cStdFlag: reason || cStandard === null ? null : (release.cStandardFlags[cStandard] ?? null),
    image: platform === "linux" ? (image ?? imageTag(release)) : null,
    // Only an image gets packages: other platforms' cells have none to install them into.
    packages:
      platform === "linux"
        ? mergePackages(
            config.packages.map(written),
            combination.packages?.map(written),
            llvm !== null ? llvmPackages(llvm) : [],
          )
        : [],
    env: Object.fromEntries(Object.entries(combination.env ?? {}).map(([key, value]) => [key, written(value)])),
    configureArgs: (combination.configureArgs ?? []).map(written),
    skipped: reason !== null,
    skipReason: reason,
  };
}

/**
 * An image or package name with `${{ matrix.<axis> }}` is checked again once
 * written in: `libllvm-${{ matrix.llvm }}-dev` is a name only where the
 * cell has an LLVM release.
 */
export function writtenInProblems(config: Config, combination: Combination, cell: Cell): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const written = (text: string | undefined) => text?.includes("${{") ?? false;
  if (cell.image !== null && written(combination.image ?? config.image) && !IMAGE_REFERENCE.test(cell.image)) {
    const path = combination.image !== undefined ? [...combination.origin, "image"] : ["image"];
    problems.push({
      severity: "error",
      path,
      message: `in '${cell.name}' it reads '${cell.image}': ${IMAGE_REFERENCE_ERROR}`,
    });
  }
  if ([...config.packages, ...(combination.packages ?? [])].some(written)) {
    for (const name of cell.packages) {
      if (PACKAGE.test(name)) continue;
      const path = config.packages.some(written) ? ["packages"] : combination.origin;
      problems.push({ severity: "error", path, message: `in '${cell.name}': ${packageNameError(name)}` });
    }
  }
  return problems;
}
