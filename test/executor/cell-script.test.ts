/** The build script of a cell, as text: the flags the catalog and config ask for, safely quoted. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { type BuildSettings, cellFlags, cellScript, shellQuote } from "../../src/executor/cell-script.ts";

function first(yaml: string) {
  const parsed = parseConfig(yaml);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  const cell = parsed.cells.find((c) => !c.skipped);
  if (!cell) throw new Error("no runnable cell");
  return { cell, settings: settings as BuildSettings };
}

describe("cellScript", () => {
  test("clang 16 with C++23, asan+ubsan and coverage: the catalog's c++2b spelling and the sanitizer flags", () => {
    const { cell, settings } = first(
      "version: 1\nmatrix:\n  compiler: [clang@16]\n  cxx_standard: [23]\n  build_type: [Debug]\nsanitizers: [address, undefined]\ncoverage: true\n",
    );
    const script = cellScript({ cell, settings, nonce: "n0", jobs: 3 });
    expect(script).toContain(
      "-DCMAKE_CXX_FLAGS=-std=c++2b -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined --coverage",
    );
    expect(script).toContain("-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined --coverage");
    expect(script).toContain("-DCMAKE_BUILD_TYPE=Debug");
    expect(script).toContain("CMAKE_BUILD_PARALLEL_LEVEL=3");
    expect(script).toContain("--output-junit");
    expect(cellFlags(cell).link).toEqual(["-fsanitize=address,undefined", "--coverage"]);
  });

  test("tests: false leaves out the test phase; cache: false leaves out ccache", () => {
    const { cell, settings } = first("version: 1\nmatrix:\n  compiler: [gcc@12]\ntests: false\ncache: false\n");
    const script = cellScript({ cell, settings, nonce: "n1", jobs: 2 });
    expect(script).toContain("phase configure");
    expect(script).toContain("phase build");
    expect(script).not.toContain("phase test");
    expect(script).not.toContain("ccache");
  });

  test("Unix Makefiles keeps each job's output together, also when build_args pass make arguments of their own", () => {
    const buildLine = (buildArgs: string) => {
      const { cell, settings } = first(
        `version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  cmake: {generator: Unix Makefiles, build_args: ${buildArgs}}\n`,
      );
      return cellScript({ cell, settings, nonce: "n", jobs: 2 })
        .split("\n")
        .find((l) => l.startsWith("phase build "));
    };
    const quoted = (...words: string[]) => `phase build ${shellQuote(words.map(shellQuote).join(" "))}`;
    expect(buildLine("[--verbose]")).toBe(
      quoted("cmake", "--build", "build", "--verbose", "--", "--output-sync=target"),
    );
    // Past a second `--`, make would read --output-sync=target as a variable's value, and interleave the output.
    expect(buildLine("[--verbose, --, -k]")).toBe(
      quoted("cmake", "--build", "build", "--verbose", "--", "--output-sync=target", "-k"),
    );
  });

  test("cache: true counts the build's own ccache results (its stats log) before the build and at exit, keeping the exit status", () => {
    const { cell, settings } = first("version: 1\nmatrix:\n  compiler: [gcc@12]\n");
    const script = cellScript({ cell, settings, nonce: "n3", jobs: 2 });
    expect(script).toContain("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
    // The script's preamble with a fake ccache and a failing phase.
    const preamble = script
      .split("\n")
      .filter((l) => !l.startsWith("phase ") && !l.startsWith("cd ") && !l.startsWith("mkdir "));
    /** The ccache lines printed and the exit status; `printsStats`: the fake has --print-stats (ccache 4.4 and later). */
    const runWith = (printsStats: boolean) => {
      const fake = [
        // The cache folder's own counters, other builds' results in them: never what a build is told.
        `ccache() { if [ "$1" = --print-stats ]; then ${printsStats ? "printf 'direct_cache_hit\\t70\\ncache_miss\\t90\\n'" : "return 1"}; return 0; fi; printf '# %s\\n%s\\n' "$2" "$1" >> "$CCACHE_STATSLOG"; }`,
      ];
      // As ccache's stats log has them: a result a line, under its input file's; a link is no result.
      const build = [
        'echo "log $CCACHE_STATSLOG"',
        "ccache cache_miss a.cpp",
        "ccache direct_cache_hit b.cpp",
        "ccache preprocessed_cache_hit c.cpp",
        "ccache direct_cache_hit d.cpp",
        "ccache called_for_link app",
        "exit 3",
      ].join("; ");
      const body = [...fake, ...preamble, `phase build ${shellQuote(build)}`].join("\n");
      try {
        execFileSync("bash", ["-c", body], { encoding: "utf8" });
        throw new Error("the phase's exit 3 did not end the script");
      } catch (error) {
        const failed = error as { stdout: string; status: number };
        const log = /^log (.+)$/m.exec(failed.stdout)?.[1] ?? "";
        return {
          status: failed.status,
          lines: failed.stdout.split("\n").filter((l) => l.includes("ccache ")),
          logLeft: log === "" || existsSync(log),
        };
      }
    };
    expect(runWith(true)).toEqual({
      status: 3,
      lines: ["##heimdall[n3] ccache before 0 0 0", "##heimdall[n3] ccache after 2 1 1"],
      logLeft: false,
    });
    // A ccache that cannot print its statistics: the rate is unknown, no counts are made up.
    expect(runWith(false)).toEqual({ status: 3, lines: [], logLeft: false });
  });

  test("the project's SBOM script runs last, from the repository root, with $HEIMDALL_SBOM_DIR", () => {
    const { cell, settings } = first(
      'version: 1\nmatrix:\n  compiler: [gcc@12]\nsbom:\n  script: ./tools/sbom.sh --out "$HEIMDALL_SBOM_DIR"\n',
    );
    const script = cellScript({ cell, settings, nonce: "n3", jobs: 2 });
    const phases = [...script.matchAll(/^phase (\w+) /gm)].map((m) => m[1]);
    expect(phases).toEqual(["compiler", "configure", "build", "test", "sbom"]);
    expect(script).toContain("export HEIMDALL_SBOM_DIR='/work/src/.heimdall/sbom'");
    const plain = first("version: 1\nmatrix:\n  compiler: [gcc@12]\n");
    expect(cellScript({ cell: plain.cell, settings: plain.settings, nonce: "n4", jobs: 2 })).not.toContain(
      "phase sbom",
    );
  });

  test("the source folder is an option: /work/src by default, any folder on a host", () => {
    const { cell, settings } = first("version: 1\nmatrix:\n  compiler: [gcc@12]\nsbom:\n  script: ./sbom.sh\n");
    const container = cellScript({ cell, settings, nonce: "n5", jobs: 2 });
    expect(container).toContain("cd '/work/src'");
    expect(container).toContain("'/work/src/.heimdall/junit.xml'");
    const host = cellScript({ cell, settings, nonce: "n5", jobs: 2, sourceDir: "/tmp/ws it's" });
    expect(host).toContain(`mkdir -p ${shellQuote("/tmp/ws it's/.heimdall")}`);
    expect(host).toContain(`cd ${shellQuote("/tmp/ws it's")}`);
    expect(host).toContain(`export HEIMDALL_SBOM_DIR=${shellQuote("/tmp/ws it's/.heimdall/sbom")}`);
    expect(host).not.toContain("/work/src");
  });

  test("arguments from the config cannot break out of their quotes", () => {
    const { cell, settings } = first(
      'version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  cmake:\n    configure_args: ["-DX=it\'s $(touch /tmp/pwned) `id`"]\n',
    );
    const script = cellScript({ cell, settings, nonce: "n2", jobs: 2 });
    // Run the configure line with cmake replaced by a printer of its arguments: the one
    // argument arrives whole, and nothing in it runs.
    const configure = /^phase configure .*$/m.exec(script)?.[0] ?? "";
    const define = /^heimdall_configure\(\) \{$[\s\S]*?^\}$/m.exec(script)?.[0] ?? "";
    const words = execFileSync(
      "bash",
      ["-c", `cmake() { printf '%s\\n' "$@"; }; phase() { eval "$2"; }; ${define}\n${configure}`],
      {
        encoding: "utf8",
        cwd: mkdtempSync(path.join(tmpdir(), "cell-script-")),
      },
    );
    expect(define).not.toBe("");
    expect(words.split("\n")).toContain("-DX=it's $(touch /tmp/pwned) `id`");
  });

  /** Runs the script's configure step with `cmake` replaced by `fake` (bash), in a scratch folder; the calls' arguments, one list a call. */
  function configureWith(options: { cell: Cell; settings: BuildSettings }, fake: string): string[][] {
    const dir = mkdtempSync(path.join(tmpdir(), "cell-script-"));
    const script = cellScript({ ...options, nonce: "n", jobs: 2, sourceDir: dir });
    const define = /^heimdall_configure\(\) \{$[\s\S]*?^\}$/m.exec(script)?.[0] ?? "";
    const configure = /^phase configure .*$/m.exec(script)?.[0] ?? "";
    try {
      const out = execFileSync(
        "bash",
        ["-c", `mkdir -p .heimdall; ${fake}\nphase() { eval "$2"; }\n${define}\n${configure}`],
        { encoding: "utf8", cwd: dir },
      );
      return out
        .split("CALL\n")
        .slice(1)
        .map((call) => call.split("\n").filter((line) => line !== "" && !line.startsWith("heimdall-build:")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("CMake cells ask for their standards through CMake's variables and keep the compile commands", () => {
    const options = first("version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [20]\n  c_standard: [11]\n");
    const newCmake = `cmake() { if [ "$1" = --version ]; then echo 'cmake version 3.25.1'; return; fi; echo CALL; printf '%s\\n' "$@"; }`;
    const [args = [], ...more] = configureWith(options, newCmake);
    expect(more).toEqual([]);
    expect(args).toEqual(
      expect.arrayContaining([
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        "-DCMAKE_CXX_STANDARD=20",
        "-DCMAKE_CXX_STANDARD_REQUIRED=ON",
        "-DCMAKE_CXX_EXTENSIONS=OFF",
        "-DCMAKE_C_STANDARD=11",
        "-DCMAKE_C_STANDARD_REQUIRED=ON",
        "-DCMAKE_C_EXTENSIONS=OFF",
        "-DCMAKE_CXX_FLAGS=",
        "-DCMAKE_C_FLAGS=",
      ]),
    );
  });

  test("a CMake older than the standard gets the catalog's -std= in its flags instead", () => {
    const options = first("version: 1\nmatrix:\n  compiler: [gcc@10]\n  c_standard: [17]\n");
    const oldCmake = `cmake() { if [ "$1" = --version ]; then echo 'cmake version 3.18.4'; return; fi; echo CALL; printf '%s\\n' "$@"; }`;
    const [args = [], ...more] = configureWith(options, oldCmake);
    expect(more).toEqual([]);
    expect(args).toContain("-DCMAKE_C_FLAGS=-std=c17");
    expect(args.some((a) => a.startsWith("-DCMAKE_C_STANDARD"))).toBe(false);
    // A C cell has no C++ standard to ask for.
    expect(args).toContain("-DCMAKE_CXX_FLAGS=");
  });

  test("a CMake that does not know the compiler's flag for the standard configures again with -std=", () => {
    const options = first("version: 1\nmatrix:\n  compiler: [gcc@14]\n  cxx_standard: [26]\n");
    const refusing = `cmake() { if [ "$1" = --version ]; then echo 'cmake version 3.31.6'; return; fi; echo CALL; printf '%s\\n' "$@"; case "$*" in *CMAKE_CXX_STANDARD=26*) echo 'CMake Error: Target "x" requires the language dialect "CXX26", but CMake does not know the compile flags to use to enable it.'; return 1;; esac; }`;
    const calls = configureWith(options, refusing);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toContain("-DCMAKE_CXX_STANDARD=26");
    expect(calls[1]).toContain("-DCMAKE_CXX_FLAGS=-std=c++26");
    expect(calls[1]?.some((a) => a.startsWith("-DCMAKE_CXX_STANDARD"))).toBe(false);
  });

  test("a script build gets the cell's standards in CXXFLAGS and CFLAGS", () => {
    const { cell, settings } = first(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [14]\n  c_standard: [23]\nbuild:\n  script:\n    commands: [make]\ntests: false\n",
    );
    const script = cellScript({ cell, settings, nonce: "n9", jobs: 2 });
    expect(script).toContain("export CXXFLAGS='-std=c++14'");
    expect(script).toContain("export CFLAGS='-std=c2x'");
  });

  test("include entries' configure_args come after build.cmake's, quoted whole", () => {
    const options = first(
      'version: 1\nmatrix:\n  compiler: [gcc@12]\n  include:\n    - {compiler: gcc@12, configure_args: ["-DNOTE=it\'s $(id) `id`", -DB=2]}\nbuild:\n  cmake: {configure_args: [-DA=1]}\n',
    );
    const printing = `cmake() { if [ "$1" = --version ]; then echo 'cmake version 3.25.1'; return; fi; echo CALL; printf '%s\\n' "$@"; }`;
    const [args = []] = configureWith(options, printing);
    const at = (arg: string) => args.indexOf(arg);
    expect(at("-DA=1")).toBeGreaterThan(-1);
    expect(at("-DNOTE=it's $(id) `id`")).toBe(at("-DA=1") + 1);
    expect(at("-DB=2")).toBe(at("-DA=1") + 2);
  });

  test("the config's env and the cell's variables reach the build verbatim, after the compiler phase", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's, which must not expand it
    const hostile = 'it\'s "quoted" $(touch pwned) `touch pwned2` ${HOME} \\ ; exit 7 #\nsecond line\n';
    const config = [
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  include:",
      `    - {compiler: gcc@12, env: ${JSON.stringify({ FROM_INCLUDE: hostile, SHARED: "include" })}}`,
      "build:",
      "  script:",
      `    commands: ${JSON.stringify(['printf %s "$FROM_TOP" > top.out', 'printf %s "$FROM_INCLUDE" > include.out', 'printf %s "$SHARED/$CMAKE_BUILD_PARALLEL_LEVEL/$HEIMDALL_CELL" > cell.out'])}`,
      `env: ${JSON.stringify({ FROM_TOP: hostile, SHARED: "top", CMAKE_BUILD_PARALLEL_LEVEL: 1 })}`,
      "cache: false",
      "tests: false",
    ].join("\n");
    const { cell, settings } = first(config);
    const dir = mkdtempSync(path.join(tmpdir(), "cell-script-env-"));
    try {
      const script = cellScript({ cell, settings, nonce: "n", jobs: 2, sourceDir: dir }).split("\n");
      const compiler = script.indexOf("phase compiler check_compilers");
      const firstExport = script.findIndex((l) => l.startsWith("export FROM_TOP="));
      expect(firstExport).toBeGreaterThan(compiler);
      // Without the compiler phase: this test needs no gcc 12.
      const body = script.filter((_, i) => i !== compiler).join("\n");
      execFileSync("bash", ["-c", body], { cwd: dir, encoding: "utf8" });
      const read = (file: string) => readFileSync(path.join(dir, file), "utf8");
      expect(read("top.out")).toBe(hostile);
      expect(read("include.out")).toBe(hostile);
      // The include entry's wins over the top level's; the config's over the script's defaults.
      expect(read("cell.out")).toBe("include/1/linux-gcc-12-cxx17-release");
      expect(existsSync(path.join(dir, "pwned")) || existsSync(path.join(dir, "pwned2"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("shellQuote round-trips any string through bash", () => {
    for (const value of ["plain", "it's", "a b\tc", "$(x) `y` \\z", "'''", "\n"]) {
      expect(execFileSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(value);
    }
  });
});
