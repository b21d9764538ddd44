/**
 * The compiler catalog: which compiler releases heimdall-build knows, the exact
 * `-std=` spelling each accepts for each C++ standard, what it supports
 * (sanitizers, coverage, platforms) and, on Linux, which image recipe provides it.
 *
 * C's spellings, the compilers' default standards and what a spelling names
 * are in standards.ts. Pure data and lookups, no I/O. Spellings were checked against the real
 * compilers (see test/catalog/real-compilers.test.ts); where two spellings work,
 * the catalog keeps the standard's final name (`c++20` over `c++2a`).
 */

import { C_STANDARDS, type CStandard, cStandardFlags } from "./standards.ts";

export const PLATFORMS = ["linux", "macos", "windows"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const COMPILER_FAMILIES = ["gcc", "clang", "apple-clang", "msvc"] as const;
export type CompilerFamily = (typeof COMPILER_FAMILIES)[number];

export const CXX_STANDARDS = [11, 14, 17, 20, 23, 26] as const;
export type CxxStandard = (typeof CXX_STANDARDS)[number];

export const SANITIZERS = ["address", "undefined", "thread", "memory", "leak"] as const;
export type Sanitizer = (typeof SANITIZERS)[number];

export const BUILD_TYPES = ["Debug", "Release", "RelWithDebInfo", "MinSizeRel"] as const;
export type BuildType = (typeof BUILD_TYPES)[number];

/** Debian suites the `images/debian` recipe is built from, oldest first. */
export const DEBIAN_SUITES = ["bullseye", "bookworm", "trixie", "sid"] as const;
export type DebianSuite = (typeof DEBIAN_SUITES)[number];

/** How a Linux image that carries one compiler release is made from `images/`. */
export interface ImageRecipe {
  /** Folder under `images/` holding the Dockerfile. */
  readonly recipe: "debian";
  readonly suite: DebianSuite;
  /** The base image the Dockerfile starts from (built locally, see README). */
  readonly base: string;
  /** Debian packages that bring the compiler and its runtimes. */
  readonly packages: readonly string[];
  readonly cc: string;
  readonly cxx: string;
}

export interface CompilerRelease {
  readonly family: CompilerFamily;
  readonly version: number;
  /** The flag for each supported C++ standard; a standard missing here is not supported. */
  readonly standardFlags: Readonly<Partial<Record<CxxStandard, string>>>;
  /** The same for C (standards.ts). */
  readonly cStandardFlags: Readonly<Partial<Record<CStandard, string>>>;
  readonly sanitizers: readonly Sanitizer[];
  readonly coverage: boolean;
  readonly platforms: readonly Platform[];
  /** Linux image recipe, when one of Debian's suites carries this release. */
  readonly image: ImageRecipe | null;
}

type Spellings = readonly [
  c11: string | null,
  c14: string | null,
  c17: string | null,
  c20: string | null,
  c23: string | null,
  c26: string | null,
];

// One row a release: family, version, the spelling for C++ 11 14 17 20 23 26
// (null: the compiler rejects every spelling of it), and the Debian suite that
// carries it (null: none of bullseye, bookworm, trixie, sid does).
// biome-ignore format: the table is aligned by hand
const ROWS: ReadonlyArray<readonly [CompilerFamily, number, Spellings, DebianSuite | null]> = [
  ["gcc",  7, ["c++11", "c++14", "c++17", null,    null,    null   ], null],
  ["gcc",  8, ["c++11", "c++14", "c++17", "c++2a", null,    null   ], null],
  ["gcc",  9, ["c++11", "c++14", "c++17", "c++2a", null,    null   ], "bullseye"],
  ["gcc", 10, ["c++11", "c++14", "c++17", "c++20", null,    null   ], "bullseye"],
  ["gcc", 11, ["c++11", "c++14", "c++17", "c++20", "c++23", null   ], "bookworm"],
  ["gcc", 12, ["c++11", "c++14", "c++17", "c++20", "c++23", null   ], "bookworm"],
  ["gcc", 13, ["c++11", "c++14", "c++17", "c++20", "c++23", null   ], "trixie"],
  ["gcc", 14, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "trixie"],
  ["gcc", 15, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "sid"],
  ["gcc", 16, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "sid"],
  // clang spells C++23 `c++2b` until 17, which added `c++23` (clang 16 rejects it);
  // 17 also added C++26 as both `c++2c` and `c++26`.
  ["clang",  7, ["c++11", "c++14", "c++17", "c++2a", null,    null   ], null],
  ["clang",  8, ["c++11", "c++14", "c++17", "c++2a", null,    null   ], null],
  ["clang",  9, ["c++11", "c++14", "c++17", "c++2a", null,    null   ], "bullseye"],
  ["clang", 10, ["c++11", "c++14", "c++17", "c++20", null,    null   ], null],
  ["clang", 11, ["c++11", "c++14", "c++17", "c++20", null,    null   ], "bullseye"],
  ["clang", 12, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], null],
  ["clang", 13, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], "bookworm"],
  ["clang", 14, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], "bookworm"],
  ["clang", 15, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], "bookworm"],
  ["clang", 16, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], "bookworm"],
  ["clang", 17, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "trixie"],
  ["clang", 18, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "trixie"],
  ["clang", 19, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "trixie"],
  ["clang", 20, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], null],
  ["clang", 21, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "sid"],
  ["clang", 22, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "trixie"],
  ["clang", 23, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++26"], "sid"],
  // Apple clang N.x tracks an LLVM release: 12 ~ 10, 13 ~ 12, 14 ~ 14, 15 ~ 16, 16 ~ 17, 17 ~ 19.
  // Not checkable here (no macOS), so C++26 keeps `c++2c`, the spelling every LLVM 17+ takes.
  ["apple-clang", 12, ["c++11", "c++14", "c++17", "c++20", null,    null   ], null],
  ["apple-clang", 13, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], null],
  ["apple-clang", 14, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], null],
  ["apple-clang", 15, ["c++11", "c++14", "c++17", "c++20", "c++2b", null   ], null],
  ["apple-clang", 16, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++2c"], null],
  ["apple-clang", 17, ["c++11", "c++14", "c++17", "c++20", "c++23", "c++2c"], null],
  // MSVC has no C++11 mode (C++14 is its floor); VS 2019 16.11 added /std:c++20;
  // 2022 reaches C++23 only through /std:c++latest.
  ["msvc", 2019, [null, "/std:c++14", "/std:c++17", "/std:c++20", null,             null], null],
  ["msvc", 2022, [null, "/std:c++14", "/std:c++17", "/std:c++20", "/std:c++latest", null], null],
];

interface FamilyTraits {
  readonly sanitizers: readonly Sanitizer[];
  readonly coverage: boolean;
  readonly platforms: readonly Platform[];
}

const FAMILY: Readonly<Record<CompilerFamily, FamilyTraits>> = {
  gcc: {
    sanitizers: ["address", "undefined", "thread", "leak"],
    coverage: true,
    platforms: ["linux", "macos"],
  },
  clang: {
    sanitizers: ["address", "undefined", "thread", "memory", "leak"],
    coverage: true,
    platforms: ["linux", "macos", "windows"],
  },
  "apple-clang": {
    sanitizers: ["address", "undefined", "thread"],
    coverage: true,
    platforms: ["macos"],
  },
  msvc: { sanitizers: ["address"], coverage: false, platforms: ["windows"] },
};

/** Suites whose archive splits clang's sanitizer runtime into libclang-rt-N-dev. */
const RT_PACKAGE: Readonly<Record<DebianSuite, readonly number[]>> = {
  bullseye: [16],
  bookworm: [14, 16, 19],
  trixie: [17, 18, 19, 22],
  sid: [19, 21, 22, 23],
};

/**
 * The C and C++ compiler commands of a release, as Linux distributions name
 * them (`gcc-12`/`g++-12`, `clang-16`/`clang++-16`); null where a cell uses the
 * host's own (apple-clang, msvc). A cell sets these for itself and checks what
 * they are, whatever the image's defaults.
 */
export function compilerCommands(family: CompilerFamily, version: number): { cc: string; cxx: string } | null {
  if (family === "gcc") return { cc: `gcc-${version}`, cxx: `g++-${version}` };
  if (family === "clang") return { cc: `clang-${version}`, cxx: `clang++-${version}` };
  return null;
}

function imageRecipe(family: CompilerFamily, version: number, suite: DebianSuite): ImageRecipe {
  const base = `debian:${suite}`;
  const commands = compilerCommands(family, version) ?? { cc: "cc", cxx: "c++" };
  if (family === "gcc") return { recipe: "debian", suite, base, packages: [`g++-${version}`], ...commands };
  // llvm-N brings llvm-cov and llvm-profdata for coverage.
  const packages = [`clang-${version}`, `llvm-${version}`];
  if (RT_PACKAGE[suite].includes(version)) packages.push(`libclang-rt-${version}-dev`);
  return { recipe: "debian", suite, base, packages, ...commands };
}

export const CATALOG: readonly CompilerRelease[] = ROWS.map(([family, version, spellings, suite]) => {
  const standardFlags: Partial<Record<CxxStandard, string>> = {};
  CXX_STANDARDS.forEach((standard, i) => {
    const spelling = spellings[i];
    if (spelling) standardFlags[standard] = spelling.startsWith("/") ? spelling : `-std=${spelling}`;
  });
  const traits = FAMILY[family];
  return {
    family,
    version,
    standardFlags,
    cStandardFlags: cStandardFlags(family, version),
    sanitizers: traits.sanitizers,
    coverage: traits.coverage,
    platforms: traits.platforms,
    image: suite ? imageRecipe(family, version, suite) : null,
  };
});

const BY_KEY = new Map(CATALOG.map((release) => [`${release.family}@${release.version}`, release]));

export function findCompiler(family: CompilerFamily, version: number): CompilerRelease | undefined {
  return BY_KEY.get(`${family}@${version}`);
}

export function knownVersions(family: CompilerFamily): number[] {
  return CATALOG.filter((release) => release.family === family).map((release) => release.version);
}

/** "7-16" or "2019, 2022": the known versions of a family, runs collapsed. */
export function describeVersions(family: CompilerFamily): string {
  return collapseRuns(knownVersions(family));
}

export function collapseRuns(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (const n of [...sorted.slice(1), Number.NaN]) {
    if (start === undefined || previous === undefined) break;
    if (n === previous + 1) {
      previous = n;
      continue;
    }
    parts.push(
      start === previous ? `${start}` : previous === start + 1 ? `${start}, ${previous}` : `${start}-${previous}`,
    );
    start = n;
    previous = n;
  }
  return parts.join(", ");
}

/** Pairs of sanitizers that cannot be linked into one program. */
const INCOMPATIBLE_SANITIZERS: ReadonlyArray<readonly [Sanitizer, Sanitizer]> = [
  ["address", "thread"],
  ["address", "memory"],
  ["thread", "memory"],
  ["thread", "leak"],
  ["memory", "leak"],
];

export interface CellRequest {
  readonly platform: Platform;
  readonly family: CompilerFamily;
  readonly version: number;
  /** Null for a cell with only a C standard. */
  readonly cxxStandard: CxxStandard | null;
  readonly cStandard: CStandard | null;
  readonly sanitizers: readonly Sanitizer[];
  readonly coverage: boolean;
  /** True when the config names its own image, so no catalog recipe is needed. */
  readonly imageOverride: boolean;
}

/**
 * Why the catalog cannot build this cell, or null when it can. The reasons are
 * written for the check run's summary.
 */
export function skipReason(cell: CellRequest): string | null {
  const name = `${cell.family} ${cell.version}`;
  const release = findCompiler(cell.family, cell.version);
  if (!release) return `${name} is not in the compiler catalog`;
  if (!release.platforms.includes(cell.platform)) {
    return `${cell.family} does not target ${cell.platform} (it runs on ${release.platforms.join(", ")})`;
  }
  if (cell.cxxStandard !== null && !release.standardFlags[cell.cxxStandard]) {
    const supported = CXX_STANDARDS.filter((s) => release.standardFlags[s]);
    const note =
      cell.family === "msvc" && cell.cxxStandard === 11 ? "; MSVC has no C++11 mode, /std:c++14 is its oldest" : "";
    return `${name} does not support C++${cell.cxxStandard} (it supports C++${supported.join(", C++")})${note}`;
  }
  if (cell.cStandard !== null && !release.cStandardFlags[cell.cStandard]) {
    const supported = C_STANDARDS.filter((s) => release.cStandardFlags[s]);
    const note =
      cell.family === "msvc" && (cell.cStandard === 90 || cell.cStandard === 99)
        ? "; MSVC has no C90 or C99 mode, /std:c11 is its oldest"
        : "";
    return `${name} does not support C${cell.cStandard} (it supports C${supported.join(", C")})${note}`;
  }
  const unsupported = cell.sanitizers.filter((s) => !release.sanitizers.includes(s));
  if (unsupported.length > 0) {
    return `${name} has no ${unsupported.join(", ")} sanitizer (it has ${release.sanitizers.join(", ")})`;
  }
  for (const [a, b] of INCOMPATIBLE_SANITIZERS) {
    if (cell.sanitizers.includes(a) && cell.sanitizers.includes(b)) {
      return `the ${a} and ${b} sanitizers cannot be combined in one build`;
    }
  }
  if (cell.coverage && !release.coverage) return `${name} has no coverage instrumentation heimdall-build can read`;
  if (cell.platform === "linux" && !release.image && !cell.imageOverride) {
    return `no image recipe provides ${name} on linux (Debian's suites carry ${cell.family} ${describeLinuxVersions(cell.family)}); set \`image:\` to an image that has it`;
  }
  return null;
}

function describeLinuxVersions(family: CompilerFamily): string {
  return collapseRuns(CATALOG.filter((r) => r.family === family && r.image).map((r) => r.version));
}

/** The docker image tag a worker builds from a recipe. */
export function imageTag(release: CompilerRelease): string | null {
  if (!release.image) return null;
  return `heimdall-build/${release.family}-${release.version}:${release.image.suite}`;
}
