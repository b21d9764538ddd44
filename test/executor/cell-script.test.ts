/** The build script of a cell, as text: the flags the catalog and config ask for, safely quoted. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
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

  test("cache: true prints ccache's counters before the build and at exit, keeping the exit status", () => {
    const { cell, settings } = first("version: 1\nmatrix:\n  compiler: [gcc@12]\n");
    const script = cellScript({ cell, settings, nonce: "n3", jobs: 2 });
    expect(script).toContain("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
    const dir = mkdtempSync(path.join(tmpdir(), "heimdall-cell-script-"));
    // The script's preamble with a fake ccache (its counters growing each call) and a failing phase.
    const preamble = script
      .split("\n")
      .filter((l) => !l.startsWith("phase ") && !l.startsWith("cd ") && !l.startsWith("mkdir "));
    const fake = [
      // Called in a command substitution (a subshell): the count lives in a file.
      `calls=${shellQuote(path.join(dir, "calls"))}`,
      `ccache() { echo >> "$calls"; n=$(wc -l < "$calls"); printf 'cache_miss\\t%d\\ndirect_cache_hit\\t%d\\npreprocessed_cache_hit\\t1\\nfiles_in_cache\\t9\\n' $((n*5)) $((n*2)); }`,
    ];
    const body = [...fake, ...preamble, "phase build 'exit 3'"].join("\n");
    let output = "";
    let status = 0;
    try {
      execFileSync("bash", ["-c", body], { encoding: "utf8" });
    } catch (error) {
      const failed = error as { stdout: string; status: number };
      output = failed.stdout;
      status = failed.status;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(status).toBe(3);
    const lines = output.split("\n").filter((l) => l.includes("ccache"));
    expect(lines).toEqual(["##heimdall[n3] ccache before 2 1 5", "##heimdall[n3] ccache after 4 1 10"]);
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
    const words = execFileSync(
      "bash",
      ["-c", `cmake() { printf '%s\\n' "$@"; }; phase() { eval "$2"; }; ${configure}`],
      {
        encoding: "utf8",
      },
    );
    expect(words.trim().split("\n").at(-1)).toBe("-DX=it's $(touch /tmp/pwned) `id`");
  });

  test("shellQuote round-trips any string through bash", () => {
    for (const value of ["plain", "it's", "a b\tc", "$(x) `y` \\z", "'''", "\n"]) {
      expect(execFileSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(value);
    }
  });
});
