/** `extends`: the merge rule, and every problem placed in the text it comes from (pure: the base is handed in). */
import { describe, expect, test } from "vitest";
import { type BaseConfig, extendsName, ONE_LEVEL } from "../../src/config/extends.ts";
import { type ParseOptions, parseConfig } from "../../src/config/parse.ts";
import { formatProblem } from "../../src/config/problems.ts";
import { yaml } from "./helpers.ts";

const ORG = yaml(
  "version: 1", //                                  1
  "matrix:", //                                      2
  "  compiler: [gcc@12, clang@16]", //               3
  "  cxx_standard: [17, 20]", //                     4
  "image: org/ci:2", //                              5
  "packages: [libfmt-dev, libssl-dev]", //           6
  "env: {MODE: ci, LEVEL: 1}", //                    7
  "build:", //                                       8
  "  cmake: {configure_args: [-DORG=ON], build_dir: out}", // 9
  "timeout_minutes: 30", //                          10
);
const base = (text = ORG, version = 3): BaseConfig => ({ name: "org", version, text });

function parsed(text: string, options: ParseOptions = { base: base() }) {
  const result = parseConfig(text, options);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result;
}

function problems(text: string, options: ParseOptions = { base: base() }): string[] {
  const result = parseConfig(text, options);
  if (result.ok) throw new Error(`expected problems, got ${result.cells.length} cells`);
  return result.problems.map(formatProblem);
}

describe("the merge rule", () => {
  test("a file of `extends` alone is its base", () => {
    const { config, cells } = parsed(yaml("extends: org"));
    expect(cells.map((c) => c.id)).toEqual([
      "linux-gcc-12-cxx17-release",
      "linux-gcc-12-cxx20-release",
      "linux-clang-16-cxx17-release",
      "linux-clang-16-cxx20-release",
    ]);
    expect(config).toMatchObject({ extends: "org", image: "org/ci:2", timeout_minutes: 30 });
  });

  test("mappings merge key by key: the file's matrix.compiler, the base's cxx_standard; env merged, the file's value winning", () => {
    const { config, cells } = parsed(
      yaml("extends: org", "matrix:", "  compiler: [gcc@13]", "env: {LEVEL: 2, MINE: x}"),
    );
    expect(cells.map((c) => c.id)).toEqual(["linux-gcc-13-cxx17-release", "linux-gcc-13-cxx20-release"]);
    expect(config.env).toEqual({ MODE: "ci", LEVEL: "2", MINE: "x" });
  });

  test("lists replace the base's whole: packages, build.cmake.configure_args (the cmake mapping's other keys kept)", () => {
    const { config } = parsed(
      yaml("extends: org", "packages: [libgtest-dev]", "build:", "  cmake: {configure_args: [-DMINE=ON]}"),
    );
    expect(config.packages).toEqual(["libgtest-dev"]);
    expect(config.build).toMatchObject({ kind: "cmake", cmake: { configure_args: ["-DMINE=ON"], build_dir: "out" } });
  });

  test("build is replaced whole: a script over the base's CMake build is a script build, not both", () => {
    const { config } = parsed(
      yaml("extends: org", "build:", "  script: {commands: [./build.sh]}", "tests: {command: ./test.sh}"),
    );
    expect(config.build).toEqual({ kind: "script", script: { commands: ["./build.sh"] } });
    expect(config.tests).toEqual({ enabled: true, command: "./test.sh" });
  });

  test("a key set to null removes the base's value: the catalog's images again", () => {
    const { config, cells } = parsed(yaml("extends: org", "image:"));
    expect(config.image).toBeUndefined();
    expect(cells[0]?.image).toBe("heimdall-build/gcc-12:bookworm");
  });

  test("a base given to a file that does not extend is not used", () => {
    const { cells } = parsed(yaml("version: 1", "matrix: {compiler: [gcc@13]}"));
    expect(cells.map((c) => c.id)).toEqual(["linux-gcc-13-cxx17-release"]);
  });
});

describe("problems, each in its own text", () => {
  test("the file's problem keeps the file's position; the base's is at its own, under configurations/<name>@v<version>", () => {
    const broken = yaml("version: 1", "matrix:", "  compiler: [gcc@12]", "  cxx_standrd: [17]", "timeout_minutes: 0");
    expect(problems(yaml("# mine", "extends: org", "timeout_minutes: 900"), { base: base(broken, 7) })).toEqual([
      ".heimdall-build.yml:3:18: error: timeout_minutes: must be at most 720; got 900",
      "configurations/org@v7:4:3: error: matrix: unknown key 'cxx_standrd'; did you mean 'cxx_standard'?",
    ]);
  });

  test("a problem the merge makes in the base's part is placed in the base", () => {
    const withAxis = yaml(
      "version: 1",
      "matrix:",
      "  compiler: [gcc@12]",
      "  axes: {shared: [ON, OFF]}",
      "build:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's expression, not a template's
      "  cmake: {configure_args: ['-DBUILD_SHARED_LIBS=${{ matrix.shared }}']}",
    );
    // The file removes the axis; the base's configure_args still name it.
    const lines = problems(yaml("extends: org", "matrix:", "  axes:", "    shared:", "    lto: [ON]"), {
      base: base(withAxis, 1),
    });
    expect(lines).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's expression, not a template's
      "configurations/org@v1:6:28: error: build.cmake.configure_args[0]: '${{ matrix.shared }}' names no axis of this matrix (axes: platform, compiler, compiler.name, compiler.version, cxx_standard, c_standard, llvm, build_type, lto)",
    ]);
  });

  test("a YAML error in the base is the base's", () => {
    expect(problems(yaml("extends: org"), { base: base("version: 1\nmatrix: [\n", 2) })[0]).toMatch(
      /^configurations\/org@v2:\d+:\d+: error: YAML: /,
    );
  });

  test("a base that itself extends is refused at its own extends: one level", () => {
    expect(problems(yaml("extends: org"), { base: base(yaml("extends: other", "version: 1"), 4) })).toEqual([
      `configurations/org@v4:1:10: error: extends: ${ONE_LEVEL}`,
    ]);
  });

  test("a base the caller could not find is said at the file's extends, in the caller's words", () => {
    expect(
      problems(yaml("version: 1", "extends: nope"), {
        base: { unresolved: "no stored configuration is named 'nope'" },
      }),
    ).toEqual([".heimdall-build.yml:2:10: error: extends: no stored configuration is named 'nope'"]);
    expect(problems(yaml("version: 1", "extends: nope"), {})[0]).toMatch(
      /^\.heimdall-build\.yml:2:10: error: extends: 'nope' is a stored configuration/,
    );
  });

  test("a name no configuration can have", () => {
    expect(problems(yaml("extends: Org Defaults"), {})).toEqual([
      ".heimdall-build.yml:1:10: error: extends: names a stored configuration (lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters); got 'Org Defaults'",
    ]);
  });
});

describe("extendsName", () => {
  test("the name, or null: none, one no configuration can have, a text that is no YAML mapping", () => {
    expect(extendsName(yaml("version: 1", "extends: org-defaults.v2"))).toBe("org-defaults.v2");
    expect(extendsName(yaml("version: 1"))).toBeNull();
    expect(extendsName(yaml("extends: ../etc"))).toBeNull();
    expect(extendsName("extends: [\n")).toBeNull();
    expect(extendsName("- extends: org\n")).toBeNull();
  });
});
