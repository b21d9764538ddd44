/**
 * The image recipes that cannot be built here (their bases are on registries
 * this machine cannot reach): what a build would get wrong without saying so,
 * checked by reading them. The checker is tested first on broken recipes, so a
 * pass means something.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { finalStage, parseDockerfile, problems } from "./dockerfile.ts";

const IMAGES = path.resolve(import.meta.dirname, "../../images");
const recipe = (name: string) => readFileSync(path.join(IMAGES, name, "Dockerfile"), "utf8");
const readme = readFileSync(path.join(IMAGES, "README.md"), "utf8");

const MINIMAL = `ARG BASE=debian:bookworm
FROM \${BASE}
ARG CC
RUN echo "\${CC}"
USER builder
`;

describe("the recipe checker finds what a build would get wrong", () => {
  test("a correct recipe has no problems", () => {
    expect(problems(MINIMAL)).toEqual([]);
  });
  test("an ARG used in a stage that does not declare it (it expands to nothing there)", () => {
    const text = `ARG V=1\nFROM debian:bookworm AS a\nARG V\nRUN echo $V\nFROM a\nRUN make CC=gcc-\${V}\n`;
    expect(problems(text)).toEqual(["line 6: RUN uses V, which this stage does not declare"]);
  });
  test("a build variable cmd or PowerShell reads that nothing declares", () => {
    expect(problems("FROM w:ltsc2022\nRUN curl https://x/%CHANNEL%/a.exe\n")).toEqual([
      "line 2: RUN uses CHANNEL, which this stage does not declare",
    ]);
    expect(problems("FROM w:ltsc2022\nRUN Invoke-WebRequest $env:URL\n")).toHaveLength(1);
  });
  test("a shell's own lower-case variables are not the build's", () => {
    expect(problems(`FROM debian:bookworm\nRUN for p in a b; do echo "\${p}"; done\n`)).toEqual([]);
  });
  test("latest, untagged and unresolved bases", () => {
    expect(problems(MINIMAL.replace("debian:bookworm", "debian:latest"))).toEqual([
      `FROM \${BASE}: debian:latest uses the latest tag`,
    ]);
    expect(problems(MINIMAL.replace("debian:bookworm", "debian"))).toEqual([`FROM \${BASE}: debian has no tag`]);
    expect(problems(MINIMAL.replace("ARG BASE=debian:bookworm", "ARG BASE"))).toEqual([
      `FROM \${BASE}: no value for <BASE?>`,
    ]);
  });
  test("unused ARGs, unknown instructions, a lost line continuation", () => {
    expect(problems(`${MINIMAL}ARG UNUSED\n`)).toEqual(["stage 0: ARG UNUSED is declared and never used"]);
    expect(problems(MINIMAL.replace("USER", "USR"))).toEqual(["line 5: unknown instruction USR"]);
    const broken =
      "FROM debian:bookworm\nRUN apt-get update \\\n && apt-get install -y \\\n    cmake\n    ninja-build\n";
    expect(problems(broken)).toEqual(["line 5: unknown instruction NINJA-BUILD"]);
  });
  test("Windows recipes continue lines with the escape directive's backtick", () => {
    const windows = "# escape=`\nFROM w:ltsc2022\nRUN a `\n  b C:\\x\\\nUSER ContainerUser\n";
    expect(problems(windows)).toEqual([]);
    expect(parseDockerfile(windows).stages[0]?.instructions[0]?.args).toBe("a b C:\\x\\");
  });
});

/** `gcc 9 10 11` rows of the README's tables: {"22.04": {gcc: [...], clang: [...]}}. */
function readmeTable(heading: string): Record<string, Record<string, number[]>> {
  const lines = readme.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`| ${heading} |`));
  expect(start, `images/README.md has a table headed ${heading}`).toBeGreaterThanOrEqual(0);
  const columns = (lines[start] ?? "")
    .split("|")
    .slice(2, -1)
    .map((c) => c.trim());
  const table: Record<string, Record<string, number[]>> = {};
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [release = "", ...cells] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    table[release] = Object.fromEntries(
      columns.map((column, i) => [column, (cells[i] ?? "").split(/\s+/).map(Number)]),
    );
  }
  return table;
}

/** The Dockerfile's own comment table: `#   UBUNTU=22.04  gcc 9 10 11 12  clang 11 12 13 14 15`. */
function commentTable(text: string, arg: string): Record<string, Record<string, number[]>> {
  const table: Record<string, Record<string, number[]>> = {};
  for (const match of text.matchAll(new RegExp(`^#\\s+${arg}=(\\S+)\\s+((?:gcc|clang) .*)$`, "gm"))) {
    const row: Record<string, number[]> = {};
    for (const [, family = "", versions = ""] of (match[2] ?? "").matchAll(/(gcc|clang)\s+([\d ]+\d)/g)) {
      row[family] = versions.trim().split(/\s+/).map(Number);
    }
    table[match[1] ?? ""] = row;
  }
  return table;
}

// The Debian recipe takes the compiler's packages as arguments; the others pick a stage by COMPILER.
const LINUX: [string, Record<string, string>][] = [
  ["debian", {}],
  ["ubuntu", { COMPILER: "gcc" }],
  ["ubuntu", { COMPILER: "clang" }],
  ["rocky", { COMPILER: "gcc" }],
  ["rocky", { COMPILER: "clang" }],
];

describe("Linux recipes", () => {
  test.each(LINUX)("images/%s %o: no problems, and a cell's container finds what it expects", (name, values) => {
    const text = recipe(name);
    expect(problems(text, values)).toEqual([]);
    const final = finalStage(text, values);
    expect(final.user).toBe("builder");
    expect(final.workdir).toBe("/work");
    for (const key of ["CC", "CXX", "CCACHE_DIR"]) expect(final.env, key).toContain(key);
    expect(final.runs.some((run) => /useradd\b.*--uid 1000\b.*\bbuilder\b/.test(run))).toBe(true);
    for (const tool of ["cmake", "ninja-build", "make", "ccache", "git"]) {
      expect(
        final.runs.some((run) => new RegExp(`\\s${tool}\\s`).test(run)),
        tool,
      ).toBe(true);
    }
  });
});

describe("images/ubuntu", () => {
  const text = recipe("ubuntu");
  test("the releases it lists are images/README.md's, and its defaults are among them", () => {
    const table = readmeTable("Ubuntu");
    expect(commentTable(text, "UBUNTU")).toEqual(table);
    const file = parseDockerfile(text);
    const ubuntu = file.globalArgs.get("UBUNTU") ?? "";
    const compiler = file.globalArgs.get("COMPILER") ?? "";
    expect(table[ubuntu]?.[compiler]).toContain(Number(file.globalArgs.get("VERSION")));
    expect(finalStage(text).base).toBe(`ubuntu:${ubuntu}`);
  });
  test("a release it lists by name: gcc-N via g++-N, clang-N with llvm-N", () => {
    expect(text).toContain(`gcc) packages="g++-\${VERSION}"`);
    expect(text).toContain(`clang) packages="clang-\${VERSION} llvm-\${VERSION}"`);
    expect(finalStage(text, { COMPILER: "gcc" }).runs.join("\n")).toContain("g++");
  });
});

describe("images/rocky", () => {
  const text = recipe("rocky");
  test("the toolsets it lists are images/README.md's, and its defaults are among them", () => {
    const table = readmeTable("Rocky");
    expect(commentTable(text, "ROCKY")).toEqual(table);
    const file = parseDockerfile(text);
    expect(table[file.globalArgs.get("ROCKY") ?? ""]?.gcc).toContain(Number(file.globalArgs.get("VERSION")));
    expect(finalStage(text).base).toBe(`rockylinux:${file.globalArgs.get("ROCKY")}`);
  });
  test("gcc-toolset-N is first on PATH in the gcc image, and its packages are gcc-toolset-N-*", () => {
    const gcc = parseDockerfile(text).stages.find((s) => s.name === "gcc");
    const env = gcc?.instructions.find((i) => i.keyword === "ENV")?.args ?? "";
    expect(env).toMatch(/^PATH=\/opt\/rh\/gcc-toolset-\$\{VERSION\}\/root\/usr\/bin:\$\{PATH\}/);
    expect(text).toContain(`gcc-toolset-\${VERSION}-gcc-c++`);
    // PowerTools on 8, CRB on 9: ninja-build lives there; EPEL brings ccache.
    expect(text).toMatch(/8\*\) crb=powertools ;; \*\) crb=crb ;;/);
    expect(text).toContain("epel-release");
  });
});

describe("images/windows", () => {
  const text = recipe("windows");
  test("no problems; MSVC 2022 by default, a non-admin user, the developer environment around every command", () => {
    expect(problems(text)).toEqual([]);
    const file = parseDockerfile(text);
    expect(file.escapeChar).toBe("`");
    expect(file.stages[0]?.base).toBe("mcr.microsoft.com/windows/servercore:ltsc2022");
    const final = finalStage(text);
    expect(final.user).toBe("ContainerUser");
    expect(final.runs.join("\n")).toContain("https://aka.ms/vs/%VS_CHANNEL%/release/vs_buildtools.exe");
    expect(final.runs.join("\n")).toContain("Microsoft.VisualStudio.Workload.VCTools");
    expect(
      file.stages[0]?.instructions.find((i) => i.keyword === "ARG" && i.args.startsWith("VS_CHANNEL="))?.args,
    ).toBe("VS_CHANNEL=17");
    expect(JSON.parse(final.entrypoint ?? "[]")).toContain("C:\\BuildTools\\Common7\\Tools\\VsDevCmd.bat");
    for (const key of ["CC", "CXX", "CCACHE_DIR"]) expect(final.env, key).toContain(key);
  });
});

describe("images/app", () => {
  const text = recipe("app");
  test("no problems; Node 24, runs as node, the CLI as entrypoint and the server by default", () => {
    expect(problems(text)).toEqual([]);
    const final = finalStage(text);
    expect(final.base).toBe("node:24-bookworm-slim");
    expect(final.user).toBe("node");
    expect(JSON.parse(final.entrypoint ?? "")).toEqual(["node", "dist/cli/main.js"]);
    expect(JSON.parse(final.cmd ?? "")).toEqual(["server"]);
    for (const folder of ["migrations", "images", "schema", "node_modules", "dist"]) {
      expect(
        final.copies.some((copy) => copy.split(/\s+/).includes(`./${folder}`)),
        folder,
      ).toBe(true);
    }
    expect(final.runs.join("\n")).toMatch(/install -y --no-install-recommends git\b/);
  });
});
