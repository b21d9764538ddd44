/**
 * The shell script that builds one cell inside its container: configure,
 * build and test with the cell's flags (the catalog's `-std=` spelling, build
 * type, sanitizers, coverage), or the config's own commands, with the config's
 * `env` and the cell's own variables (cell-environment.ts). Pure.
 *
 * Phase markers carry a per-run nonce; a build that forges one only misstates
 * its own phase times. The conclusion never comes from the build's output.
 */
import { compilerCommands } from "../config/catalog.ts";
import { cellVariables, configEnvironment, ENV_NAME } from "../config/cell-environment.ts";
import { settingsForCell } from "../config/cell-settings.ts";
import type { Cell } from "../config/matrix.ts";
import type { Config } from "../config/schema.ts";
import { compilerCheckLines } from "./compiler-check.ts";
import { shellQuote } from "./shell-quote.ts";
import { testCommand } from "./test-phase.ts";

/** What the worker keeps of the config for a build (no matrix: the job carries its cell). */
export type BuildSettings = Omit<Config, "matrix">;

/** The source folder in a container (the default of ScriptOptions.sourceDir). */
export const SOURCE_DIR = "/work/src";
/** Where the script leaves results for the worker to read, relative to the source folder. */
export const RESULTS_SUBDIR = ".heimdall";
/** ctest's JUnit file, relative to the source folder. */
export const JUNIT_PATH = `${RESULTS_SUBDIR}/junit.xml`;
/** Where the config's SBOM script leaves its documents (`$HEIMDALL_SBOM_DIR`), relative to the source folder. */
export const SBOM_PATH = `${RESULTS_SUBDIR}/sbom`;

/** The results folders under a source folder (POSIX paths: the script is bash's). */
export function resultPaths(sourceDir: string): { results: string; junit: string; sbom: string } {
  const base = sourceDir.endsWith("/") ? sourceDir.slice(0, -1) : sourceDir;
  return { results: `${base}/${RESULTS_SUBDIR}`, junit: `${base}/${JUNIT_PATH}`, sbom: `${base}/${SBOM_PATH}` };
}

/** The same, in a container (the workspace mounted at SOURCE_DIR). */
export const RESULTS_DIR = resultPaths(SOURCE_DIR).results;
export const JUNIT_FILE = resultPaths(SOURCE_DIR).junit;
export const SBOM_DIR = resultPaths(SOURCE_DIR).sbom;

export type Phase = "compiler" | "configure" | "build" | "test" | "sbom";

export function phaseMarker(nonce: string, phase: Phase | "end", status?: number): string {
  return `##heimdall[${nonce}] ${phase}${status === undefined ? "" : ` ${status}`}`;
}

/**
 * ccache's counts of this build's own compilations, printed before the build
 * and at the script's exit on marker lines: `##heimdall[<nonce>] ccache
 * before|after <direct hits> <preprocessed hits> <misses>`. The cache folder
 * is shared with other builds, running at the same time too, and its counters
 * count theirs as well; so ccache logs each of this build's results to a file
 * of the build's own (CCACHE_STATSLOG, ccache 4.0 and later), one line a
 * counter, and that file is counted. Nothing is printed when ccache cannot
 * print its statistics (no ccache, or one older than 4.4 without
 * --print-stats): the rate is then unknown, not 0.
 */
const CCACHE_COUNTS = `awk '$0=="direct_cache_hit"{d++} $0=="preprocessed_cache_hit"{p++} $0=="cache_miss"{m++} END{print d+0, p+0, m+0}'`;

export { shellQuote } from "./shell-quote.ts";

const SANITIZER_FLAG: Readonly<Record<string, string>> = {
  address: "address",
  undefined: "undefined",
  thread: "thread",
  memory: "memory",
  leak: "leak",
};

/** Compiler and linker flags for the cell: the standard, sanitizers, coverage. */
export function cellFlags(cell: Cell): { compile: string[]; link: string[] } {
  const compile: string[] = [];
  const link: string[] = [];
  if (cell.sanitizers.length > 0) {
    const list = cell.sanitizers.map((s) => SANITIZER_FLAG[s]).join(",");
    compile.push(`-fsanitize=${list}`, "-fno-omit-frame-pointer");
    link.push(`-fsanitize=${list}`);
    // A sanitizer finding must fail the test, not just print.
    if (cell.sanitizers.includes("undefined")) compile.push("-fno-sanitize-recover=undefined");
  }
  if (cell.coverage) {
    compile.push("--coverage");
    link.push("--coverage");
  }
  return { compile, link };
}

export interface ScriptOptions {
  readonly cell: Cell;
  readonly settings: BuildSettings;
  /** Random per run: marks the phases in the output. */
  readonly nonce: string;
  /** Parallel jobs for the build tool. */
  readonly jobs: number;
  /** The checkout the script builds in: SOURCE_DIR (a container's mount) by default. */
  readonly sourceDir?: string;
}

export function cellScript(options: ScriptOptions): string {
  const { cell, nonce } = options;
  // The attempt passes them written in already; a caller that did not gets the same script.
  const settings = settingsForCell(options.settings, cell);
  const sourceDir = options.sourceDir ?? SOURCE_DIR;
  const results = resultPaths(sourceDir);
  const lines = [
    "set -u",
    `mkdir -p ${shellQuote(results.results)}`,
    `cd ${shellQuote(sourceDir)}`,
    // Sanitizer reports go to the log and fail the process.
    "export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1",
    `export CMAKE_BUILD_PARALLEL_LEVEL=${options.jobs}`,
    // Each phase runs in a subshell; its status is printed with the marker and
    // a failed phase ends the script with that status.
    // The end marker starts on a line of its own even when the phase's output did not end one.
    `phase() { echo ${shellQuote(`##heimdall[${nonce}] `)}"$1"; ( set -e; eval "$2" ); s=$?; printf '\\n%s%s\\n' ${shellQuote(`##heimdall[${nonce}] end `)} "$s"; [ "$s" -eq 0 ] || exit "$s"; }`,
  ];
  // The cell's compiler, whatever the image's defaults, checked before anything is built.
  lines.push(...compilerCheckLines(nonce, cell.compiler.family, cell.compiler.version));
  lines.push(...environmentLines(cell, settings));
  // A CMake build goes through ccache by its compiler launcher; so does a script's own CMake (launcher variables, below).
  if (settings.cache) {
    // The counters before the build, and at exit whichever way the script ends
    // (a failed phase exits early); the exit status is kept.
    lines.push(
      'export CCACHE_STATSLOG="$(mktemp)"',
      `ccache_stats() { ccache --print-stats >/dev/null 2>&1 || return 0; c=$(${CCACHE_COUNTS} < "$CCACHE_STATSLOG"); [ -z "$c" ] || echo ${shellQuote(`##heimdall[${nonce}] ccache `)}"$1 $c"; }`,
      "ccache_stats before",
      `trap 'ccache_stats after; rm -f "$CCACHE_STATSLOG"' EXIT`,
    );
  }
  if (settings.build.kind === "script") {
    const commands = settings.build.script.commands.join("\n");
    const compile = cellFlags(cell).compile;
    lines.push(
      ...scriptCacheLines(settings),
      `export CXXFLAGS=${shellQuote([cell.stdFlag ?? "", ...compile].join(" ").trim())}`,
      `export CFLAGS=${shellQuote([cell.cStdFlag ?? "", ...compile].join(" ").trim())}`,
    );
    lines.push(`phase build ${shellQuote(commands)}`);
    const test = testCommand(cell, settings, results.junit);
    if (test !== null) lines.push(`phase test ${shellQuote(test)}`);
    lines.push(...sbomPhase(settings, sourceDir));
    return `${lines.join("\n")}\n`;
  }

  const cmake = settings.build.cmake;
  const buildDir = cmake.build_dir;
  // The standards go in through CMake's own variables (so a target's compile features are raised
  // to them), and the compile commands are kept to check afterwards what each file was given.
  lines.push(...configureFunction(cell, results.results, buildDir));
  const configure = [
    "heimdall_configure",
    "-S",
    cmake.source_dir,
    "-B",
    buildDir,
    "-G",
    cmake.generator,
    `-DCMAKE_BUILD_TYPE=${cell.buildType}`,
    // The compilers the compiler phase checked (CMake would otherwise take its own pick, or a cache's).
    ...compilerDefines(cell),
    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
    ...(settings.cache ? ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"] : []),
    ...cmake.configure_args,
    // A cell queued before include entries had configure_args has none.
    ...(cell.configureArgs ?? []),
  ];
  const build = [
    "cmake",
    "--build",
    buildDir,
    ...(cmake.targets.length > 0 ? ["--target", ...cmake.targets] : []),
    // make interleaves parallel compilers' lines unless told to keep each job's output together.
    ...withNativeArgs(cmake.build_args, cmake.generator === "Unix Makefiles" ? ["--output-sync=target"] : []),
  ];
  lines.push(`phase configure ${shellQuote(configure.map(shellQuote).join(" "))}`);
  lines.push(`phase build ${shellQuote(build.map(shellQuote).join(" "))}`);
  const test = testCommand(cell, settings, results.junit);
  if (test !== null) lines.push(`phase test ${shellQuote(test)}`);
  lines.push(...sbomPhase(settings, sourceDir));
  return `${lines.join("\n")}\n`;
}

/**
 * `cmake --build`'s arguments from the config, with `native` for the build
 * tool: after the config's own `--` when it has one (past a second `--`, make
 * would take `--output-sync=target` for a variable), before the config's
 * native arguments so that those can override them.
 */
function withNativeArgs(args: readonly string[], native: readonly string[]): string[] {
  if (native.length === 0) return [...args];
  const split = args.indexOf("--");
  if (split < 0) return [...args, "--", ...native];
  return [...args.slice(0, split + 1), ...native, ...args.slice(split + 1)];
}

/**
 * The config's variables (cell-environment.ts), then the cell's own: after the
 * compiler check, which they cannot sway (`PATH`, `LD_PRELOAD`), and before the
 * build. Each value is quoted whole; a name the schema did not let through
 * (a job not made from a parsed config) is refused rather than written unquoted.
 */
function environmentLines(cell: Cell, settings: BuildSettings): string[] {
  const env = { ...configEnvironment(settings, cell), ...cellVariables(cell) };
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new TypeError(`not an environment variable name: ${name}`);
    return `export ${name}=${shellQuote(value)}`;
  });
}

/**
 * A script's own CMake goes through ccache as a CMake build does: CMake 3.17
 * and later read CMAKE_<LANG>_COMPILER_LAUNCHER from the environment. CC and
 * CXX stay the compiler's bare name (scripts pass them to CMake, run
 * `$CC --version`); a script that calls the compiler itself writes
 * `make CC="ccache $CC"`. Not set where the image has no ccache: CMake would
 * fail to configure.
 */
function scriptCacheLines(settings: BuildSettings): string[] {
  if (!settings.cache) return [];
  return [
    "if command -v ccache >/dev/null 2>&1; then export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi",
  ];
}

/** The project's own SBOM script, last, from the repository root; its documents go in $HEIMDALL_SBOM_DIR. */
function sbomPhase(settings: BuildSettings, sourceDir: string): string[] {
  if (!settings.sbom.enabled || !settings.sbom.script) return [];
  return [
    `export HEIMDALL_SBOM_DIR=${shellQuote(resultPaths(sourceDir).sbom)}`,
    `mkdir -p "$HEIMDALL_SBOM_DIR"`,
    `phase sbom ${shellQuote(`cd ${shellQuote(sourceDir)} && ${settings.sbom.script}`)}`,
  ];
}

/** CMake's version of the standards CMake learnt last: 3.20 for C++23, 3.21 for C17 and C23, 3.25 for C++26. */
const CMAKE_KNOWS = { cxx: { 23: "3.20", 26: "3.25" }, c: { 17: "3.21", 23: "3.21" } } as const;

/**
 * `heimdall_configure ARGS...`: cmake with ARGS, the cell's flags and its
 * standards as CMAKE_<LANG>_STANDARD (REQUIRED, no GNU extensions). A CMake
 * that cannot ask the compiler for a standard (older than the standard, or not
 * knowing this compiler's flag for it) fails to configure: the cell then
 * configures again with the catalog's `-std=` in CMAKE_<LANG>_FLAGS, and says
 * so. Either way the compile commands show what each file was given.
 */
function configureFunction(cell: Cell, resultsDir: string, buildDir: string): string[] {
  const flags = cellFlags(cell);
  const link = flags.link.join(" ");
  const standardArgs: string[] = [];
  const known: string[] = [];
  for (const [lang, standard, table] of [
    ["CXX", cell.cxxStandard, CMAKE_KNOWS.cxx],
    ["C", cell.cStandard, CMAKE_KNOWS.c],
  ] as const) {
    if (standard === null) continue;
    standardArgs.push(
      `-DCMAKE_${lang}_STANDARD=${standard}`,
      `-DCMAKE_${lang}_STANDARD_REQUIRED=ON`,
      `-DCMAKE_${lang}_EXTENSIONS=OFF`,
    );
    const since = (table as Readonly<Record<number, string>>)[standard];
    if (since) known.push(since);
  }
  const common = (std: { cxx: string; c: string }) =>
    [
      `-DCMAKE_CXX_FLAGS=${[std.cxx, ...flags.compile].filter(Boolean).join(" ")}`,
      `-DCMAKE_C_FLAGS=${[std.c, ...flags.compile].filter(Boolean).join(" ")}`,
      `-DCMAKE_EXE_LINKER_FLAGS=${link}`,
      `-DCMAKE_SHARED_LINKER_FLAGS=${link}`,
    ]
      .map(shellQuote)
      .join(" ");
  const withFlags = common({ cxx: cell.stdFlag ?? "", c: cell.cStdFlag ?? "" });
  if (standardArgs.length === 0) return [`heimdall_configure() { cmake "$@" ${withFlags}; }`];
  const log = shellQuote(`${resultsDir}/configure.log`);
  const build = shellQuote(buildDir);
  const needed = known.sort().at(-1);
  return [
    "heimdall_configure() {",
    // A CMake older than the standard is not asked at all: it would only fail.
    needed
      ? String.raw`  if ! printf '%s\n' ${needed} "$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p')" | sort -V -C; then echo "heimdall-build: CMake $(cmake --version | head -n 1 | sed 's/.* //') is older than ${needed}, which knows this standard: the catalog's -std= flag is passed in CMAKE_<LANG>_FLAGS instead"; cmake "$@" ${withFlags}; return; fi`
      : "",
    `  cmake "$@" ${standardArgs.map(shellQuote).join(" ")} ${common({ cxx: "", c: "" })} 2>&1 | tee ${log}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's, not a template's
    "  s=${PIPESTATUS[0]}",
    '  [ "$s" -eq 0 ] && return 0',
    `  grep -q -e 'does not know the compile flags to use' -e 'is set to invalid value' ${log} || return "$s"`,
    `  echo "heimdall-build: this CMake cannot ask the compiler for the cell's standard; configuring again with the catalog's -std= flag in CMAKE_<LANG>_FLAGS"`,
    `  rm -rf ${build}/CMakeCache.txt ${build}/CMakeFiles`,
    `  cmake "$@" ${withFlags}`,
    "}",
  ].filter(Boolean);
}

/** `-DCMAKE_C_COMPILER=gcc-12 -DCMAKE_CXX_COMPILER=g++-12` for a cell whose catalog names its commands. */
function compilerDefines(cell: Cell): string[] {
  const commands = compilerCommands(cell.compiler.family, cell.compiler.version);
  return commands ? [`-DCMAKE_C_COMPILER=${commands.cc}`, `-DCMAKE_CXX_COMPILER=${commands.cxx}`] : [];
}
