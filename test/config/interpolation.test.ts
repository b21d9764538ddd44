// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the configs here spell ${{ matrix.<axis> }}, GitHub Actions' syntax.
/**
 * `${{ matrix.<axis> }}`: written in with each cell's own values in every
 * field the README lists, refused (at the string) when it names no axis, uses
 * another context, is not closed, or stands where nothing is written in; an
 * image or package name checked again once written in; a fork's custom value
 * never chooses the default branch's image.
 */
import { describe, expect, test } from "vitest";
import { settingsForCell } from "../../src/config/cell-settings.ts";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfigOrThrow } from "../../src/config/parse.ts";
import { forkConfig } from "../../src/config/trust.ts";
import { cellScript } from "../../src/executor/cell-script.ts";
import { problemLines, yaml } from "./helpers.ts";

function byName(cells: readonly Cell[], name: string): Cell {
  const cell = cells.find((c) => c.name === name);
  if (!cell) throw new Error(`no cell ${name} in ${cells.map((c) => c.name).join(", ")}`);
  return cell;
}

describe("a script build", () => {
  const { config, cells } = parseConfigOrThrow(
    yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12, clang@16]",
      "  cxx_standard: [20]",
      "  llvm: [16]",
      "  axes: {shared: [ON, OFF]}",
      "  include:",
      "    - {shared: OFF, env: {LINK: 'static-${{ matrix.compiler.name }}'}, packages: ['libz${{ matrix.llvm }}-dev']}",
      "image: 'registry.local/ci-${{ matrix.compiler }}:llvm${{ matrix.llvm }}'",
      "packages: ['libllvm${{ matrix.llvm }}']",
      "env: {OPTS: '--shared=${{ matrix.shared }} --std=${{matrix.cxx_standard}}'}",
      "build:",
      "  script:",
      "    commands: ['./build.sh --compiler ${{ matrix.compiler.name }} --version ${{ matrix.compiler.version }}']",
      "    env: {TYPE: '${{ matrix.build_type }}-${{ matrix.platform }}'}",
      "tests:",
      "  command: 'out/${{ matrix.shared }}/test --gtest_output=xml:out/${{ matrix.shared }}/'",
      "  junit: ['out/${{ matrix.shared }}/*.xml']",
      "artifacts: ['out/${{ matrix.shared }}/lib*']",
      "sbom: {script: './sbom.sh ${{ matrix.c_standard }}-${{ matrix.shared }}'}",
    ),
  );
  const off = byName(cells, "linux / clang-16 / c++20 / llvm-16 / Release / shared=OFF");
  const on = byName(cells, "linux / gcc-12 / c++20 / llvm-16 / Release / shared=ON");

  test("the image, packages and include entries' env are written in when the cell is made", () => {
    expect([on.image, off.image]).toEqual(["registry.local/ci-gcc-12:llvm16", "registry.local/ci-clang-16:llvm16"]);
    expect(off.packages).toEqual(["libllvm16", "libz16-dev", "llvm-16-dev"]);
    expect(on.packages).toEqual(["libllvm16", "llvm-16-dev"]);
    expect([on.env, off.env]).toEqual([{}, { LINK: "static-clang" }]);
  });

  test("the build, tests, artifacts and SBOM settings are written in for the attempt", () => {
    const settings = settingsForCell(config, off);
    expect(settings.env).toEqual({ OPTS: "--shared=OFF --std=20" });
    expect(settings.build).toEqual({
      kind: "script",
      script: { commands: ["./build.sh --compiler clang --version 16"], env: { TYPE: "Release-linux" } },
    });
    expect(settings.tests).toEqual({
      enabled: true,
      command: "out/OFF/test --gtest_output=xml:out/OFF/",
      junit: ["out/OFF/*.xml"],
    });
    expect(settings.artifacts).toEqual(["out/OFF/lib*"]);
    // A cell without a C standard writes in nothing for it.
    expect(settings.sbom).toEqual({ enabled: true, script: "./sbom.sh -OFF" });
  });

  test("the cell's script carries the written-in commands and variables, and no ${{", () => {
    const script = cellScript({ cell: on, settings: config, nonce: "n", jobs: 2 });
    expect(script).toContain("./build.sh --compiler gcc --version 12");
    expect(script).toContain("export OPTS='--shared=ON --std=20'");
    expect(script).toContain("export MATRIX_SHARED='ON'");
    expect(script).not.toContain("${{");
  });
});

describe("a CMake build", () => {
  const { config, cells } = parseConfigOrThrow(
    yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  build_type: [Debug]",
      "  axes: {shared: [ON, OFF]}",
      "  include:",
      "    - {shared: ON, configure_args: ['-DPIC=${{ matrix.shared }}']}",
      "build:",
      "  cmake:",
      "    configure_args: ['-DBUILD_SHARED_LIBS=${{ matrix.shared }}']",
      "    build_args: ['--target=all-${{ matrix.build_type }}']",
      "    targets: ['lib-${{ matrix.shared }}']",
      "tests: {ctest_args: [-L, '${{ matrix.shared }}'], test_dir: 'build-${{ matrix.shared }}'}",
    ),
  );
  test("configure and build arguments, targets, ctest's arguments and folder, per cell", () => {
    const on = byName(cells, "linux / gcc-12 / c++17 / Debug / shared=ON");
    expect(on.configureArgs).toEqual(["-DPIC=ON"]);
    const settings = settingsForCell(config, on);
    expect(settings.build).toMatchObject({
      cmake: { configure_args: ["-DBUILD_SHARED_LIBS=ON"], build_args: ["--target=all-Debug"], targets: ["lib-ON"] },
    });
    expect(settings.tests).toMatchObject({ ctest_args: ["-L", "ON"], test_dir: "build-ON" });
    const script = cellScript({ cell: on, settings: config, nonce: "n", jobs: 2 });
    // The configure line, quoted twice (phase's argument): the config's arguments, then the entry's.
    expect(script).toMatch(/-DBUILD_SHARED_LIBS=ON\W+-DPIC=ON\W+$/m);
    expect(script).not.toContain("${{");
  });
});

describe("refused where written", () => {
  test("an unknown axis (with a guess), another context, an unclosed expression, a field nothing is written in", () => {
    expect(
      problemLines(
        yaml(
          "version: 1",
          "matrix:",
          "  compiler: [gcc@12]",
          "  axes: {shared: [ON]}",
          "env: {A: '${{ matrix.shraed }}', B: '${{ secrets.TOKEN }}', C: 'x ${{ matrix.shared'}",
          "build:",
          "  cmake: {source_dir: 'src-${{ matrix.shared }}'}",
        ),
      ),
    ).toEqual([
      "5:10 env.A: '${{ matrix.shraed }}' names no axis of this matrix; did you mean 'matrix.shared'? (axes: platform, compiler, compiler.name, compiler.version, cxx_standard, c_standard, llvm, build_type, shared)",
      "5:37 env.B: '${{ secrets.TOKEN }}': only ${{ matrix.<axis> }} is written in here (an environment variable is $NAME in a command)",
      "5:64 env.C: '${{' opens an expression that is not closed with '}}' (write ${{ matrix.<axis> }})",
      "7:23 build.cmake.source_dir: ${{ }} is not written in here; it is in env values, image, packages, artifacts, build and tests commands and arguments, sbom.script, and include entries' env, configure_args, image and packages",
    ]);
  });

  test("an image or package name that is not one once written in, naming the cell", () => {
    expect(
      problemLines(
        yaml(
          "version: 1",
          "matrix:",
          "  compiler: [gcc@12]",
          "  axes: {shared: [ON]}",
          "image: 'ci:${{ matrix.compiler }}-${{ matrix.shared }}'",
          "packages: ['libfoo-${{ matrix.shared }}']",
        ),
      ),
    ).toEqual([
      "5:8 image: in 'linux / gcc-12 / c++17 / Release / shared=ON' it reads 'ci:gcc-12-ON': an image is a docker reference such as debian:bookworm",
      "6:11 packages: in 'linux / gcc-12 / c++17 / Release / shared=ON': 'libfoo-ON' is not a package name: write a Debian package name such as libfmt-dev (lower case letters, digits, + - .), optionally with =VERSION",
    ]);
  });
});

describe("a fork", () => {
  test("keeps the default branch's image, written in only with values the default branch lists", () => {
    const base = parseConfigOrThrow(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12]",
        "  axes: {flavor: [lean]}",
        "image: 'ci-${{ matrix.flavor }}:1'",
      ),
    );
    const head = parseConfigOrThrow(
      yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  axes: {flavor: [lean, evil]}", "image: 'mine:latest'"),
    );
    const fork = forkConfig(head.config, base.config);
    expect(fork.cells.map((c) => [c.name, c.image, c.skipReason])).toEqual([
      ["linux / gcc-12 / c++17 / Release / flavor=lean", "ci-lean:1", null],
      [
        "linux / gcc-12 / c++17 / Release / flavor=evil",
        "ci-evil:1",
        "the default branch's image ci-${{ matrix.flavor }}:1 names matrix.flavor, and 'evil' is not one of its values there (lean): a fork does not choose the image",
      ],
    ]);
    expect(fork.cells[1]?.skipped).toBe(true);
  });
});
