/**
 * Matrix expansion with GitHub Actions' semantics: the axes are multiplied,
 * `exclude` removes every combination it partially matches, then each
 * `include` entry is merged into every original combination whose axis values
 * it does not contradict, or becomes a new combination when it fits none.
 * Each combination becomes a cell (make-cell.ts); the catalog decides which
 * cells are skipped.
 */
import type { BuildType, CxxStandard, Platform, Sanitizer } from "./catalog.ts";
import { type CompilerRef, compilerKey } from "./compiler-schema.ts";
import { completeAxes, completeCustomAxes } from "./complete-axes.ts";
import { entryAxisValues } from "./custom-axes.ts";
import { LIMITS } from "./limits.ts";
import { makeCell, writtenInProblems } from "./make-cell.ts";
import { mergePackages, PACKAGE_LIMITS } from "./packages.ts";
import { type ConfigProblem, type FieldPath, formatPath } from "./problems.ts";
import { AXES, type AxisName, type Config } from "./schema.ts";
import type { CStandard } from "./standards.ts";

export interface Cell {
  /** Stable across commits: derived from the axes only. */
  readonly id: string;
  /** The check run's name, e.g. `linux / gcc-12 / c++17 / Release`, `linux / gcc-12 / c11 / Release`. */
  readonly name: string;
  readonly platform: Platform;
  readonly compiler: CompilerRef;
  /** Null in a cell with only a C standard. */
  readonly cxxStandard: CxxStandard | null;
  /** Null in a cell without a C standard (its C is compiled as the project or compiler chooses). */
  readonly cStandard: CStandard | null;
  /** The LLVM release the cell builds against (its llvm-N-dev in the image), null without the axis. */
  readonly llvm: number | null;
  readonly buildType: BuildType;
  /** The custom axes' values (`matrix.axes`), in their declared order; {} without them. */
  readonly customAxes: Readonly<Record<string, string>>;
  readonly sanitizers: readonly Sanitizer[];
  readonly coverage: boolean;
  readonly tests: boolean;
  /** The catalog's flag for the C++ standard (`-std=c++2b`), null when skipped or without one. */
  readonly stdFlag: string | null;
  /** The catalog's flag for the C standard (`-std=c2x`), null when skipped or without one. */
  readonly cStdFlag: string | null;
  /** The image the cell runs in on Linux: the config's override or the catalog's. */
  readonly image: string | null;
  /** Packages installed into its image (Linux): the top level's and its include entries', sorted; [] elsewhere. */
  readonly packages: readonly string[];
  /** The `env` of the include entries that match or make the cell, later entries winning (cell-environment.ts). */
  readonly env: Readonly<Record<string, string>>;
  /** Their `configure_args`, in order: appended to `build.cmake.configure_args`. */
  readonly configureArgs: readonly string[];
  readonly skipped: boolean;
  readonly skipReason: string | null;
}

export interface Expansion {
  readonly cells: Cell[];
  readonly problems: ConfigProblem[];
}

export type AxisValue = Platform | CompilerRef | CxxStandard | CStandard | BuildType;

/** A combination: axis values plus the properties include entries added. */
export interface Combination {
  axes: Partial<Record<AxisName, AxisValue>>;
  /** The custom axes' values it has so far. */
  custom: Record<string, string>;
  sanitizers?: readonly Sanitizer[];
  coverage?: boolean;
  tests?: boolean;
  /** An include entry's image for this combination. */
  image?: string;
  /** The packages of every include entry merged into it (added to the top level's). */
  packages?: readonly string[];
  /** What the include entries add to the build (merged and appended, not overwritten). */
  env?: Record<string, string>;
  configureArgs?: string[];
  /** Where it came from, for error positions. */
  origin: FieldPath;
}

export function valueKey(axis: AxisName, value: AxisValue): string {
  return axis === "compiler" ? compilerKey(value as CompilerRef) : String(value);
}

export function expandMatrix(config: Config): Expansion {
  const problems: ConfigProblem[] = [];
  const { matrix } = config;
  const declared = AXES.filter((axis) => matrix[axis] !== undefined);
  const values = (axis: AxisName): readonly AxisValue[] => (matrix[axis] ?? []) as readonly AxisValue[];
  const customAxes: Readonly<Record<string, readonly string[]>> = matrix.axes ?? {};
  const custom = Object.keys(customAxes);

  const product = [
    ...declared.map((axis) => values(axis).length),
    ...custom.map((name) => customAxes[name]?.length ?? 0),
  ].reduce((n, length) => n * length, declared.length > 0 ? 1 : 0);
  if (product > LIMITS.combinations) {
    problems.push({
      severity: "error",
      path: ["matrix"],
      message: `the axes multiply to ${product} combinations; the limit is ${LIMITS.combinations} (and ${LIMITS.cells} cells after exclude and include)`,
    });
    return { cells: [], problems };
  }

  let combinations: Combination[] = [];
  if (declared.length > 0) {
    combinations = [{ axes: {}, custom: {}, origin: ["matrix"] }];
    for (const axis of declared) {
      combinations = combinations.flatMap((c) => values(axis).map((v) => ({ ...c, axes: { ...c.axes, [axis]: v } })));
    }
    for (const name of custom) {
      combinations = combinations.flatMap((c) =>
        (customAxes[name] ?? []).map((v) => ({ ...c, custom: { ...c.custom, [name]: v } })),
      );
    }
  }

  (matrix.exclude ?? []).forEach((entry, index) => {
    const path = ["matrix", "exclude", index];
    const keys = AXES.filter((axis) => entry[axis] !== undefined);
    const stray = keys.filter((axis) => !declared.includes(axis));
    for (const axis of stray) {
      problems.push({
        severity: "error",
        path: [...path, axis],
        atKey: true,
        message: `exclude names '${axis}', which is not an axis of this matrix (axes: ${declared.join(", ") || "none"})`,
      });
    }
    if (stray.length > 0) return;
    const named = entryAxisValues(entry, custom);
    const matches = (c: Combination) =>
      keys.every((axis) => valueKey(axis, c.axes[axis] as AxisValue) === valueKey(axis, entry[axis] as AxisValue)) &&
      Object.entries(named).every(([name, value]) => c.custom[name] === value);
    const before = combinations.length;
    combinations = combinations.filter((c) => !matches(c));
    if (combinations.length === before) {
      problems.push({ severity: "warning", path, message: "this exclude entry matches no combination" });
    }
  });

  const originals = combinations;
  const added: Combination[] = [];
  (matrix.include ?? []).forEach((entry, index) => {
    const path = ["matrix", "include", index];
    if (entry.configure_args !== undefined && config.build.kind === "script") {
      const message = "configure_args are arguments to CMake's configure, and this config builds with build.script";
      problems.push({ severity: "error", path: [...path, "configure_args"], atKey: true, message });
    }
    const entryAxes = AXES.filter((axis) => entry[axis] !== undefined);
    const named = entryAxisValues(entry, custom);
    const fits = (c: Combination) =>
      entryAxes.every(
        (axis) =>
          !declared.includes(axis) ||
          valueKey(axis, c.axes[axis] as AxisValue) === valueKey(axis, entry[axis] as AxisValue),
      ) && Object.entries(named).every(([name, value]) => c.custom[name] === value);
    let matched = false;
    for (const c of originals) {
      if (!fits(c)) continue;
      matched = true;
      mergeInto(c, entry, entryAxes, named);
    }
    if (!matched) {
      const created: Combination = { axes: {}, custom: {}, origin: path };
      mergeInto(created, entry, entryAxes, named);
      added.push(created);
    }
  });

  const cells: Cell[] = [];
  const seen = new Map<string, FieldPath>();
  for (const combination of [...originals, ...added]) {
    const axes = completeAxes(combination, declared, values, problems);
    const complete = completeCustomAxes(combination, customAxes, problems);
    if (!axes || !complete) continue;
    const cell = makeCell(config, { ...combination, custom: complete }, axes);
    const previous = seen.get(cell.id);
    if (previous) {
      problems.push({
        severity: "error",
        path: combination.origin,
        message: `this makes the cell '${cell.name}' a second time (first made by ${formatPath(previous)})`,
      });
      continue;
    }
    seen.set(cell.id, combination.origin);
    cells.push(cell);
    problems.push(...writtenInProblems(config, combination, cell));
    if (cell.packages.length > PACKAGE_LIMITS.packages) {
      problems.push({
        severity: "error",
        path: combination.origin,
        message: `'${cell.name}' gets ${cell.packages.length} packages (top level and include entries); the limit is ${PACKAGE_LIMITS.packages}`,
      });
    }
  }

  if (cells.length === 0 && !problems.some((p) => p.severity === "error")) {
    problems.push({
      severity: "error",
      path: ["matrix"],
      message: "the matrix has no cells: list at least one compiler, e.g. compiler: [gcc@12]",
    });
  }
  if (cells.length > LIMITS.cells) {
    problems.push({
      severity: "error",
      path: ["matrix"],
      message: `the matrix expands to ${cells.length} cells; the limit is ${LIMITS.cells}`,
    });
  }
  return { cells, problems };
}

function mergeInto(
  target: Combination,
  entry: NonNullable<Config["matrix"]["include"]>[number],
  axes: readonly AxisName[],
  custom: Readonly<Record<string, string>>,
) {
  for (const axis of axes) target.axes[axis] = entry[axis] as AxisValue;
  Object.assign(target.custom, custom);
  if (entry.sanitizers !== undefined) target.sanitizers = entry.sanitizers;
  if (entry.coverage !== undefined) target.coverage = entry.coverage;
  if (entry.tests !== undefined) target.tests = entry.tests;
  if (entry.image !== undefined) target.image = entry.image;
  // Packages add up, unlike the keys above: every entry that matches a cell may need its own.
  if (entry.packages !== undefined) target.packages = mergePackages(target.packages, entry.packages);
  if (entry.env !== undefined) target.env = { ...target.env, ...entry.env };
  if (entry.configure_args !== undefined)
    target.configureArgs = [...(target.configureArgs ?? []), ...entry.configure_args];
}
