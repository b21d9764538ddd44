/**
 * A combination made by an include entry may lack axes: each is filled in with
 * its only value or its default, or the entry is an error saying which value
 * it must name. Pure.
 */
import type { BuildType, CxxStandard, Platform } from "./catalog.ts";
import type { CompilerRef } from "./compiler-schema.ts";
import { type AxisValue, type Combination, valueKey } from "./matrix.ts";
import { type ConfigProblem, formatPath } from "./problems.ts";
import { AXES, type AxisName } from "./schema.ts";
import type { CStandard } from "./standards.ts";

/**
 * Values of an axis an undeclared axis takes. The C++ standard's default (17)
 * is for cells without a C standard: a C cell has no C++ standard.
 */
const AXIS_DEFAULTS = {
  platform: "linux",
  cxx_standard: 17,
  c_standard: null,
  llvm: null,
  build_type: "Release",
} as const satisfies Partial<Record<AxisName, unknown>>;

export interface CompleteAxes {
  platform: Platform;
  compiler: CompilerRef;
  cxx_standard: CxxStandard | null;
  c_standard: CStandard | null;
  llvm: number | null;
  build_type: BuildType;
}

/**
 * A combination made by an include entry may lack axes. An undeclared axis
 * takes its default, a declared one with a single value takes that value; a
 * declared one with several values cannot be guessed.
 */
export function completeAxes(
  combination: Combination,
  declared: readonly AxisName[],
  values: (axis: AxisName) => readonly AxisValue[],
  problems: ConfigProblem[],
): CompleteAxes | null {
  const axes = { ...combination.axes };
  let complete = true;
  for (const axis of AXES) {
    if (axes[axis] !== undefined) continue;
    const options = values(axis);
    const only = options.length === 1 ? options[0] : undefined;
    if (only !== undefined) {
      axes[axis] = only;
    } else if (!declared.includes(axis) && axis !== "compiler") {
      const fallback = axis === "cxx_standard" && axes.c_standard != null ? null : AXIS_DEFAULTS[axis];
      if (fallback !== null) axes[axis] = fallback;
    } else {
      complete = false;
      const listed = options.map((v) => valueKey(axis, v)).join(", ");
      const fromInclude = combination.origin[1] === "include";
      const message =
        axis === "compiler" && options.length === 0
          ? fromInclude
            ? "this include entry makes a new cell but names no compiler"
            : "the matrix has no compiler axis and no include entry gives its combinations one: add compiler, e.g. compiler: [gcc@12]"
          : `this include entry matches no combination, so it makes a new cell, but it does not say which ${axis} (the matrix has ${listed}); add ${axis} to it`;
      // Every combination of the matrix lacks the compiler alike: say so once.
      const path = formatPath(combination.origin);
      if (!problems.some((p) => p.message === message && formatPath(p.path) === path)) {
        problems.push({ severity: "error", path: combination.origin, message });
      }
    }
  }
  if (!complete) return null;
  return { cxx_standard: null, c_standard: null, llvm: null, ...axes } as unknown as CompleteAxes;
}

/** The custom axes of a combination an include entry made: as completeAxes, a single-valued axis filled in. */
export function completeCustomAxes(
  combination: Combination,
  axes: Readonly<Record<string, readonly string[]>>,
  problems: ConfigProblem[],
): Record<string, string> | null {
  const complete: Record<string, string> = {};
  for (const [name, options] of Object.entries(axes)) {
    const value = combination.custom[name] ?? (options.length === 1 ? options[0] : undefined);
    if (value !== undefined) {
      complete[name] = value;
      continue;
    }
    const message = `this include entry matches no combination, so it makes a new cell, but it does not say which ${name} (the matrix has ${options.join(", ")}); add ${name} to it`;
    problems.push({ severity: "error", path: combination.origin, message });
    return null;
  }
  return complete;
}
