/**
 * Language standards as compilers spell them: which C standards each release
 * accepts and how, which standard a release uses when given no `-std=`, and
 * which standard a spelling names (`c++2a` and `gnu++20` are both C++20).
 * The C++ spellings per release are the catalog's (catalog.ts); this file
 * holds what a cell's standard check needs beside them. Pure data, no I/O.
 */
import type { CompilerFamily } from "./catalog.ts";

export type Language = "c" | "c++";

export const C_STANDARDS = [90, 99, 11, 17, 23] as const;
export type CStandard = (typeof C_STANDARDS)[number];

/**
 * The flag for each C standard a release accepts, its final name where it has
 * one (`c23` from GCC 14 and Clang 18; `c2x` before). GCC 8 and Clang 6 added
 * `c17`; GCC 9 and Clang 9 `c2x`. MSVC has no C90/C99 mode and reaches C23
 * only through `/std:clatest` (2022).
 */
export function cStandardFlags(family: CompilerFamily, version: number): Partial<Record<CStandard, string>> {
  switch (family) {
    case "gcc":
      return gnuStyle(version >= 8, version >= 14 ? "c23" : version >= 9 ? "c2x" : null);
    case "clang":
      return gnuStyle(version >= 6, version >= 18 ? "c23" : version >= 9 ? "c2x" : null);
    case "apple-clang":
      // Apple clang 12 tracks LLVM 10, 17 tracks LLVM 19 (the first of them with `c23`).
      return gnuStyle(true, version >= 17 ? "c23" : "c2x");
    case "msvc":
      return version >= 2022
        ? { 11: "/std:c11", 17: "/std:c17", 23: "/std:clatest" }
        : { 11: "/std:c11", 17: "/std:c17" };
  }
}

function gnuStyle(c17: boolean, c23: string | null): Partial<Record<CStandard, string>> {
  return {
    90: "-std=c90",
    99: "-std=c99",
    11: "-std=c11",
    ...(c17 ? { 17: "-std=c17" } : {}),
    ...(c23 ? { 23: `-std=${c23}` } : {}),
  };
}

/**
 * The standard a release compiles a translation unit as when it is given no
 * `-std=` (null: not known here, as for Apple clang, whose defaults are not
 * checkable on Linux). Checked against the real compilers in
 * test/catalog/real-compilers.test.ts.
 */
export function defaultStandard(family: CompilerFamily, version: number, language: Language): string | null {
  switch (family) {
    case "gcc":
      if (language === "c++") return version >= 16 ? "gnu++20" : version >= 11 ? "gnu++17" : "gnu++14";
      return version >= 15 ? "gnu23" : version >= 8 ? "gnu17" : "gnu11";
    case "clang":
      if (language === "c++") return version >= 16 ? "gnu++17" : "gnu++14";
      return version >= 11 ? "gnu17" : "gnu11";
    case "apple-clang":
      return null;
    case "msvc":
      // MSVC's C++ mode without /std is C++14; its C without /std is no standard's.
      return language === "c++" ? "c++14" : null;
  }
}

/** A standard as a cell names it: `c++20`, `c11`. */
export function standardName(language: Language, standard: number): string {
  return `${language === "c++" ? "c++" : "c"}${standard}`;
}

const CXX_YEARS: Readonly<Record<string, number>> = {
  "98": 98,
  "03": 98,
  "0x": 11,
  "11": 11,
  "1y": 14,
  "14": 14,
  "1z": 17,
  "17": 17,
  "2a": 20,
  "20": 20,
  "2b": 23,
  "23": 23,
  "2c": 26,
  "26": 26,
};

const C_YEARS: Readonly<Record<string, number>> = {
  "89": 90,
  "90": 90,
  "9x": 99,
  "99": 99,
  "1x": 11,
  "11": 11,
  "17": 17,
  "18": 17,
  "2x": 23,
  "23": 23,
};

const ISO_C_YEARS: Readonly<Record<string, number>> = {
  "1990": 90,
  "199409": 90,
  "1999": 99,
  "2011": 11,
  "2017": 17,
  "2018": 17,
  "2024": 23,
};

/**
 * The language and standard a `-std=` value (or MSVC's `/std:` value) names,
 * with whether it is a GNU dialect; null when it names none we know
 * (`c++latest` is resolved by the caller, which knows the compiler).
 */
export function parseStandardSpelling(spelling: string): { language: Language; standard: number; gnu: boolean } | null {
  const lower = spelling.toLowerCase();
  const cxx = /^(c|gnu)\+\+(\w\w)$/.exec(lower);
  if (cxx) {
    const standard = CXX_YEARS[cxx[2] as string];
    return standard === undefined ? null : { language: "c++", standard, gnu: cxx[1] === "gnu" };
  }
  const c = /^(c|gnu)(\w\w)$/.exec(lower);
  if (c) {
    const standard = C_YEARS[c[2] as string];
    return standard === undefined ? null : { language: "c", standard, gnu: c[1] === "gnu" };
  }
  const iso = /^iso9899:(\d+)$/.exec(lower);
  if (iso) {
    const standard = ISO_C_YEARS[iso[1] as string];
    return standard === undefined ? null : { language: "c", standard, gnu: false };
  }
  return null;
}

/** A cell's standards (either may be absent, not both). */
export interface CellStandards {
  readonly cxxStandard: number | null;
  /** Absent in cells made before the C axis existed. */
  readonly cStandard?: number | null;
}

/** `c++17`, `c11`, or `c++17 c11`: a grid's column for the cell. */
export function standardsLabel(cell: CellStandards): string {
  return [
    ...(cell.cxxStandard !== null ? [standardName("c++", cell.cxxStandard)] : []),
    ...(cell.cStandard != null ? [standardName("c", cell.cStandard)] : []),
  ].join(" ");
}

/** Columns in the standards' order: C++ by age, then C by age (C90 before C11). */
export function compareStandards(a: CellStandards, b: CellStandards): number {
  const cxx = (s: CellStandards) => (s.cxxStandard === null ? Number.MAX_SAFE_INTEGER : s.cxxStandard);
  const c = (s: CellStandards) => (s.cStandard == null ? -1 : C_STANDARDS.indexOf(s.cStandard as CStandard));
  return cxx(a) - cxx(b) || c(a) - c(b);
}
