/**
 * The GCC/Clang parser against real compilers, checked by the compilers' own
 * structured output. For each compiler image, one container builds the project
 * in fixtures/real (made to trigger many kinds of diagnostic) three ways (Ninja;
 * Ninja with colour and hyperlinks forced; Makefiles, keeping going) and
 * compiles every translation unit once more with GCC's JSON or Clang's SARIF
 * and one-line output (fixtures/real-build.sh). The annotations the engine
 * makes of each log must be exactly those the structured output calls for
 * (structured-output.ts): no error lost, none on a wrong line, no note made an
 * annotation of its own, no duplicate.
 *
 * HEIMDALL_DIAGNOSTICS_COMPILERS=gcc@11,clang@16 picks the compilers (each
 * needs its Debian base image, see scripts/seed-base-image.sh);
 * HEIMDALL_REGENERATE_LOGS=1 also rewrites fixtures/logs (see
 * fixtures/regenerate-real.sh), which gcc-clang.test.ts reads without Docker.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { beforeAll, describe, expect, test } from "vitest";
import { type CompilerFamily, findCompiler } from "../../src/config/catalog.ts";
import { runContainer } from "../../src/executor/docker/container.ts";
import { ensureImage, imageSpec } from "../../src/executor/docker/images.ts";
import type { Annotation } from "../../src/report/annotations.ts";
import { requireDocker } from "../support/docker.ts";
import {
  annotateLog,
  CONTAINER_ROOT,
  comparable,
  type Expected,
  expectedAnnotations,
  expectedFor,
  type Family,
  FIXTURE_DIR,
  LOGS_DIR,
  normaliseMessage,
  type SavedStructured,
  type StructuredUnit,
  sortExpected,
  unitDiagnostics,
} from "./structured-output.ts";

const compilers = (process.env.HEIMDALL_DIAGNOSTICS_COMPILERS ?? "gcc@11,gcc@12,clang@14,clang@16")
  .split(",")
  .map((spec) => {
    const [family, version] = spec.trim().split("@");
    const release = findCompiler(family as CompilerFamily, Number(version));
    if (!release || (release.family !== "gcc" && release.family !== "clang")) {
      throw new Error(`HEIMDALL_DIAGNOSTICS_COMPILERS names ${spec}, which is not a GCC or Clang in the catalog`);
    }
    return { release, family: release.family as Family, label: `${release.family}-${release.version}` };
  });
const regenerate = process.env.HEIMDALL_REGENERATE_LOGS === "1";

const LOGS = ["ninja", "colour", "make"] as const;
type LogName = (typeof LOGS)[number];

interface RealRun {
  readonly version: string;
  readonly logs: Readonly<Record<LogName, string>>;
  readonly units: readonly StructuredUnit[];
}

/** The project as `PATH BASE64` lines, how real-build.sh unpacks it (no bind mount needed). */
function fixtureFiles(): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else lines.push(`${path.relative(FIXTURE_DIR, file)} ${readFileSync(file).toString("base64")}`);
    }
  };
  walk(FIXTURE_DIR);
  return lines.sort().join("\n");
}

async function build(docker: Docker, image: string, family: Family): Promise<RealRun> {
  const script = readFileSync(path.join(path.dirname(FIXTURE_DIR), "real-build.sh"), "utf8");
  const run = await runContainer(docker, {
    image,
    cmd: ["bash", "-c", script],
    env: { COMPILER: family, FIXTURE_FILES: fixtureFiles() },
    timeoutMs: 600_000,
    keepBytes: 64 * 1024 * 1024,
  });
  expect(run.timedOut, "the build timed out").toBe(false);
  expect(run.truncated, "the container printed more than was kept").toBe(false);
  expect(run.exitCode, run.output.slice(-4000)).toBe(0);

  const files = new Map<string, string>();
  let name: string | null = null;
  for (const line of run.output.split("\n")) {
    if (line.startsWith("@@file ")) name = line.slice("@@file ".length);
    else if (name !== null) {
      files.set(name, Buffer.from(line, "base64").toString("utf8"));
      name = null;
    }
  }
  const log = (n: LogName) => {
    const text = files.get(`${n}.log`);
    if (text === undefined) throw new Error(`the container made no ${n}.log:\n${run.output.slice(-4000)}`);
    return text;
  };
  const units: StructuredUnit[] = [];
  for (const [file, source] of files) {
    const index = /^structured\/(\d+)\.file$/.exec(file)?.[1];
    if (index === undefined) continue;
    const outputs: Record<string, { stderr: string; exitCode: string }> = {};
    for (const tag of ["json", "sarif", "oneline"]) {
      const stderr = files.get(`structured/${index}.${tag}`);
      if (stderr !== undefined) outputs[tag] = { stderr, exitCode: files.get(`structured/${index}.${tag}.rc`) ?? "" };
    }
    units.push({ file: source, outputs });
  }
  units.sort((a, b) => (a.file < b.file ? -1 : 1));
  return {
    version: (files.get("version") ?? "").trim(),
    logs: { ninja: log("ninja"), colour: log("colour"), make: log("make") },
    units,
  };
}

let docker: Docker;
beforeAll(async () => {
  docker = await requireDocker();
});

describe.each(compilers.map((c) => [c.label, c] as const))("%s", (label, { release, family }) => {
  let real: RealRun;
  let expected: Expected[];
  const annotated = new Map<LogName, ReturnType<typeof annotateLog>>();

  beforeAll(async () => {
    const tag = await ensureImage(docker, imageSpec(release, { aptOptions: process.env.HEIMDALL_APT_OPTIONS ?? "" }));
    real = await build(docker, tag, family);
    expected = expectedAnnotations(real.units, { family, root: CONTAINER_ROOT });
    for (const name of LOGS) annotated.set(name, annotateLog(real.logs[name], label));
    if (regenerate) {
      writeFileSync(path.join(LOGS_DIR, `${label}-ninja.log`), real.logs.ninja);
      const saved: SavedStructured = {
        compiler: label,
        family,
        version: real.version,
        root: CONTAINER_ROOT,
        units: real.units,
      };
      writeFileSync(path.join(LOGS_DIR, `${label}-structured.json`), `${JSON.stringify(saved, null, 1)}\n`);
    }
  }, 1_200_000);

  const annotationsOf = (name: LogName): Annotation[] => annotated.get(name)?.annotations ?? [];

  test("every translation unit was compiled again with structured output", () => {
    const sources = real.units.map((u) => path.posix.relative(CONTAINER_ROOT, u.file));
    expect(sources).toEqual([
      "src/core/basics.cpp",
      "src/core/chain.cpp",
      "src/core/conversions.cpp",
      "src/features/macros.cpp",
      "src/features/missing.cpp",
      "src/features/overloads.cpp",
      "src/features/strict.cpp",
      "src/features/syntax.cpp",
      "src/features/templates.cpp",
      "src/main.cpp",
    ]);
    for (const unit of real.units) {
      const { source, disagreements } = unitDiagnostics(family, unit);
      // Clang 14 has no SARIF (`invalid value 'sarif'`); 16 prints it for every unit here.
      if (family === "clang" && release.version >= 16) expect(source, unit.file).toBe("clang-sarif+one-line");
      expect(disagreements, `Clang's SARIF and one-line output disagree on ${unit.file}`).toEqual([]);
    }
  });

  test("the structured output has every kind of diagnostic the fixture is made to trigger", () => {
    const codes = new Set(expected.map((e) => e.code));
    for (const code of [
      "-Wunused-variable",
      "-Wunused-parameter",
      "-Wunused-function",
      "-Wsign-compare",
      "-Wshadow",
      "-Wreturn-type",
      "-Wdeprecated-declarations",
      "-Wfloat-conversion",
    ]) {
      expect(codes, code).toContain(code);
    }
    const one = (...options: string[]) =>
      expect(
        options.filter((o) => codes.has(o)),
        options.join(" or "),
      ).toHaveLength(1);
    one("-Wformat", "-Wformat=");
    one("-Wimplicit-fallthrough", "-Wimplicit-fallthrough=");
    one("-Wuninitialized", "-Wmaybe-uninitialized");
    const at = (file: string) => expected.filter((e) => e.path === file);
    // The header's warning from two translation units, once; the include chain two deep.
    expect(at("include/util/shared.h")).toHaveLength(1);
    expect(at("include/util/inner.h")).toHaveLength(1);
    expect(at("src/features/strict.cpp")).toEqual([
      expect.objectContaining({ level: "failure", code: "-Wunused-variable" }),
    ]);
    expect(at("src/features/missing.cpp")).toEqual([expect.objectContaining({ level: "failure", line: 1 })]);
    expect(at("src/features/syntax.cpp")).toEqual([expect.objectContaining({ level: "failure", line: 2 })]);
    expect(at("src/features/overloads.cpp").filter((e) => e.level === "failure")).toHaveLength(2);
    expect(at("src/features/macros.cpp").some((e) => e.code === "-Wsign-compare")).toBe(true);
    const templates = at("src/features/templates.cpp");
    expect(templates.some((e) => e.line === 7 && e.level === "failure")).toBe(true);
    expect(
      templates.filter((e) => /\(in \/usr\/include\/c\+\+\/\d+\/\S+, reached from here\)$/.test(e.message)),
    ).not.toHaveLength(0);
  });

  test.each(LOGS)("%s log: the annotations are exactly what the structured output calls for", (name) => {
    expect(sortExpected(annotationsOf(name).map(comparable))).toEqual(expected);
  });

  test.each(LOGS)("%s log: each annotation keeps its notes and is titled for the cell", (name) => {
    const annotations = annotationsOf(name);
    const byKey = new Map(annotations.map((a) => [JSON.stringify(comparable(a)), a]));
    for (const a of annotations) {
      const word = { failure: "error", warning: "warning", notice: "note" }[a.annotation_level];
      expect(a.title).toBe(`${label}: ${a.code ?? word}`);
      expect(a.tool).toBe(family);
    }
    // Every note (and GCC's nested `invalid conversion` errors) the structured
    // output puts under a diagnostic is in that annotation's raw details.
    for (const unit of real.units) {
      for (const d of unitDiagnostics(family, unit).diagnostics) {
        const key = JSON.stringify(expectedFor(d, unit, { family, root: CONTAINER_ROOT }));
        const details = normaliseMessage(byKey.get(key)?.raw_details ?? "");
        for (const child of d.children) {
          expect(details, `the note "${child.message}" of "${d.message}"`).toContain(normaliseMessage(child.message));
        }
      }
    }
  });

  test.each(LOGS)("%s log: no compiler diagnostic that names a place is left unplaced", (name) => {
    const unplaced = (annotated.get(name)?.unplaced ?? []).filter((d) => d.tool === "gcc" || d.tool === "clang");
    // Only driver lines (`cc1plus: some warnings being treated as errors`) name no file.
    expect(unplaced.filter((d) => d.location !== null)).toEqual([]);
  });

  test("the logs are what each build prints", () => {
    expect(real.version).toMatch(new RegExp(`${family === "gcc" ? "g\\+\\+" : "clang"}.* ${release.version}\\.`));
    expect(real.logs.ninja).not.toContain("\u001b");
    // Bold, as each compiler spells it.
    expect(real.logs.colour).toContain(family === "gcc" ? "\u001b[01m" : "\u001b[1m");
    // GCC's -fdiagnostics-urls=always: OSC 8 hyperlinks on the option names.
    if (family === "gcc") expect(real.logs.colour).toContain("\u001b]8;;https://gcc.gnu.org/");
    expect(real.logs.make).toMatch(/^make\[\d\]: Entering directory '\/home\/builder\/repo\/build-make'$/m);
    for (const name of LOGS) expect(real.logs[name], name).toMatch(/Building CXX object/);
  });
});
