/**
 * What a cell's build finds in its environment: the config's own variables
 * (the top level's `env`, a script build's `build.script.env` over it, then
 * the `env` of the include entries that match or make the cell, later entries
 * winning) and the variables heimdall-build sets for every cell, which say
 * what the cell is (`CXX_STANDARD=20`, `BUILD_TYPE=Debug`, ...).
 *
 * A config may not set the names heimdall-build sets: the cell's own variables,
 * its compiler (`CC`, `CXX`, checked before the build) and flags, the worker's
 * cache settings, bash's read-only variables. Naming one is a config error at
 * its key, never a value silently lost or a cell that lies about itself.
 * Every other name is the config's, `PATH` included: values are literal (no
 * `$VAR` expansion) and reach only the cell's own build, after its compiler
 * was checked. Pure.
 */
import { llvmEnvironment } from "./llvm.ts";
import type { Cell } from "./matrix.ts";
import type { ConfigProblem } from "./problems.ts";
import type { Config } from "./schema.ts";

/** A name `export NAME=...` takes as it is. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variables every cell gets, besides `CC` and `CXX` (the compiler phase's, or the host's). */
export const CELL_VARIABLES = [
  "HEIMDALL_CELL",
  "HEIMDALL_CELL_NAME",
  "PLATFORM",
  "COMPILER_TYPE",
  "COMPILER_VERSION",
  "CXX_STANDARD",
  "C_STANDARD",
  "BUILD_TYPE",
  "ENABLE_TESTS",
  "ENABLE_COVERAGE",
  "ENABLE_SANITIZERS",
  "SANITIZERS",
  "LLVM_VERSION",
  "LLVM_CONFIG",
  "LLVM_DIR",
] as const;
export type CellVariable = (typeof CELL_VARIABLES)[number];

/**
 * The cell's own variables. ENABLE_TESTS is whether the cell has a test step:
 * its own `tests` (an include entry's, else the config's), as test-phase.ts
 * decides, so an include entry's `tests: true` under a top-level `tests: false`
 * says `true` in the cell that runs its tests.
 */
export function cellVariables(cell: Cell): Record<CellVariable, string> {
  // One per custom axis: `shared` is MATRIX_SHARED (a cell queued before custom axes existed has none).
  const custom = Object.entries(cell.customAxes ?? {}).map(([axis, value]) => [`MATRIX_${axis.toUpperCase()}`, value]);
  return {
    ...Object.fromEntries(custom),
    HEIMDALL_CELL: cell.id,
    HEIMDALL_CELL_NAME: cell.name,
    PLATFORM: cell.platform,
    COMPILER_TYPE: cell.compiler.family,
    COMPILER_VERSION: String(cell.compiler.version),
    CXX_STANDARD: cell.cxxStandard === null ? "" : String(cell.cxxStandard),
    // A cell queued before C standards existed has none.
    C_STANDARD: cell.cStandard == null ? "" : String(cell.cStandard),
    BUILD_TYPE: cell.buildType,
    ENABLE_TESTS: String(cell.tests),
    ENABLE_COVERAGE: String(cell.coverage),
    ENABLE_SANITIZERS: String(cell.sanitizers.length > 0),
    SANITIZERS: cell.sanitizers.join(","),
    // Empty without the llvm axis (a cell queued before it existed has none either).
    ...(cell.llvm == null ? { LLVM_VERSION: "", LLVM_CONFIG: "", LLVM_DIR: "" } : llvmEnvironment(cell.llvm)),
  } as Record<CellVariable, string>;
}

/** The config's variables for a cell, by precedence: top level, then `build.script.env`, then include entries'. */
export function configEnvironment(
  settings: Pick<Config, "env" | "build">,
  cell: Pick<Cell, "env">,
): Record<string, string> {
  return {
    ...settings.env,
    ...(settings.build.kind === "script" ? settings.build.script.env : {}),
    // A cell queued before include entries had `env` has none.
    ...(cell.env ?? {}),
  };
}

const WHAT_CELL_VARIABLE_SAYS: Readonly<Record<CellVariable, string>> = {
  HEIMDALL_CELL: "the cell's id",
  HEIMDALL_CELL_NAME: "the cell's name",
  PLATFORM: "the cell's platform",
  COMPILER_TYPE: "the cell's compiler family",
  COMPILER_VERSION: "the cell's compiler version",
  CXX_STANDARD: "the cell's C++ standard",
  C_STANDARD: "the cell's C standard",
  BUILD_TYPE: "the cell's build type",
  ENABLE_TESTS: "whether the cell runs its tests",
  ENABLE_COVERAGE: "whether the cell measures coverage",
  ENABLE_SANITIZERS: "whether the cell has sanitizers",
  SANITIZERS: "the cell's sanitizers",
  LLVM_VERSION: "the cell's LLVM release (matrix.llvm)",
  LLVM_CONFIG: "the cell's llvm-config",
  LLVM_DIR: "the cell's LLVM CMake package folder",
};

const SET_BY_HEIMDALL: Readonly<Record<string, string>> = {
  CC: "the cell's C compiler, checked before the build (choose it with matrix.compiler)",
  CXX: "the cell's C++ compiler, checked before the build (choose it with matrix.compiler)",
  CFLAGS: "the cell's C standard, sanitizer and coverage flags",
  CXXFLAGS: "the cell's C++ standard, sanitizer and coverage flags",
  CCACHE_DIR: "the worker's compiler cache",
  CCACHE_MAXSIZE: "the worker's cap on the compiler cache",
};

/** Assigning one of these fails in bash: the value would never arrive. */
const BASH_READ_ONLY = ["BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"];

/** The names a config's `env` may not set, besides those starting HEIMDALL_ or MATRIX_ (for editors, through the JSON schema). */
export const RESERVED_ENV_NAMES: readonly string[] = [
  ...CELL_VARIABLES,
  ...Object.keys(SET_BY_HEIMDALL),
  ...BASH_READ_ONLY,
];

/** Why a config's `env` may not set `name`, or null when it may. */
export function reservedEnvReason(name: string): string | null {
  const set = (WHAT_CELL_VARIABLE_SAYS as Readonly<Record<string, string>>)[name] ?? SET_BY_HEIMDALL[name];
  if (set) return `heimdall-build sets it for every cell: ${set}; env cannot change it`;
  if (name.startsWith("HEIMDALL_")) return "names starting HEIMDALL_ are heimdall-build's own";
  if (name.startsWith("MATRIX_"))
    return "names starting MATRIX_ are the custom axes' (matrix.axes), set for every cell";
  if (BASH_READ_ONLY.includes(name)) return "read-only in bash, which runs the build: it cannot be set";
  return null;
}

/** Bytes of a cell's variables as `NAME=value`: they travel in the cell's script, which one exec argument holds. */
export function environmentBytes(env: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(env)) bytes += Buffer.byteLength(`${name}=${value}`, "utf8");
  return bytes;
}

/**
 * The config's variables of a cell are bounded as a whole (each value is
 * bounded by the schema, but the include entries' add up): the script carrying
 * them must stay well under Linux's 128 KiB for one argument, even quoted
 * (a `'` takes five characters in the script).
 */
export const ENV_BYTES = 16 * 1024;

/** Environments over ENV_BYTES: once at `env` when the top level's alone is, else once per cell at `matrix.include`. */
export function environmentProblems(config: Config, cells: readonly Cell[]): ConfigProblem[] {
  const limit = `the limit is ${ENV_BYTES} bytes of NAME=value`;
  const base = environmentBytes(configEnvironment(config, { env: {} }));
  if (base > ENV_BYTES) {
    const message = `the environment of every cell (env and build.script.env) is ${base} bytes; ${limit}`;
    return [{ severity: "error", path: ["env"], message }];
  }
  return cells.flatMap((cell): ConfigProblem[] => {
    const bytes = environmentBytes(configEnvironment(config, cell));
    if (bytes <= ENV_BYTES) return [];
    const message = `the environment of '${cell.name}' with its include entries' env is ${bytes} bytes; ${limit}`;
    return [{ severity: "error", path: ["matrix", "include"], atKey: true, message }];
  });
}
