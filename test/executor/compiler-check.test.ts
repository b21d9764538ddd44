/**
 * The cell's compiler, set and verified in real containers: the cell's own
 * compiler where the image has it, whatever the image's defaults; a clear
 * failure where it does not, or where a command of that name is another
 * compiler. Never a pass for a compiler the cell did not use.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findCompiler } from "../../src/config/catalog.ts";
import { parseCompilerMarker } from "../../src/executor/compiler-check.ts";
import { DockerExecutor } from "../../src/executor/docker/docker-executor.ts";
import { ensureImage, imageSpec } from "../../src/executor/docker/images.ts";
import { requireDocker } from "../support/docker.ts";
import { attemptFirstCell, copyExample, gcc12Image } from "../support/executor.ts";

const SWAPPED = "heimdall-build-test/gcc-named-clang:16";
let docker: Docker;
let scratch: string;
let clang16: string;

beforeAll(async () => {
  docker = await requireDocker();
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-compiler-check-"));
  await gcc12Image(docker);
  const release = findCompiler("clang", 16);
  if (!release) throw new Error("clang 16 missing from the catalog");
  clang16 = await ensureImage(docker, imageSpec(release, { aptOptions: process.env.HEIMDALL_APT_OPTIONS ?? "" }));
  // An image whose gcc-12 and g++-12 are clang 16 under another name.
  const context = path.join(scratch, "swapped");
  await mkdir(context, { recursive: true });
  await writeFile(
    path.join(context, "Dockerfile"),
    `FROM ${clang16}\nUSER root\nRUN ln -s /usr/bin/clang-16 /usr/local/bin/gcc-12 && ln -s /usr/bin/clang++-16 /usr/local/bin/g++-12\nUSER builder\n`,
  );
  const stream = await docker.buildImage({ context, src: ["Dockerfile"] }, { t: SWAPPED });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error, output) => (error ? reject(error) : resolve(output))),
  );
}, 900_000);

afterAll(async () => {
  await docker
    ?.getImage(SWAPPED)
    .remove({ force: true })
    .catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});

async function attempt(yaml: string, image: string, name: string) {
  const workspace = await copyExample(path.join(scratch, name));
  return attemptFirstCell(yaml, workspace, new DockerExecutor({ docker, network: false }).inImage(image));
}

describe("the cell's compiler", () => {
  test("gcc 12 in gcc 12's image: CMake is given gcc-12 and g++-12, and the summary names them as they identified themselves", async () => {
    const { report, log } = await attempt(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\ncache: false\nsbom: false\n",
      await gcc12Image(docker),
      "gcc",
    );
    expect(report.result.conclusion, log).toBe("success");
    expect(report.result.compilers.map((c) => [c.language, c.command, c.family])).toEqual([
      ["c", "gcc-12", "gcc"],
      ["c++", "g++-12", "gcc"],
    ]);
    expect(report.result.compilers[1]?.version).toMatch(/^12\.\d+\.\d+$/);
    expect(log).toMatch(/The CXX compiler identification is GNU 12\./);
    expect(report.summary.summary).toContain(report.result.compilers[1]?.versionLine ?? "?");
  }, 300_000);

  test("gcc 12 in an image without it (clang 16's, whose CC and CXX are clang): a failure saying what the image has", async () => {
    const { report, log } = await attempt(
      `version: 1\nmatrix:\n  compiler: [gcc@12]\nimage: ${clang16}\ncache: false\nsbom: false\n`,
      clang16,
      "missing",
    );
    expect(report.result.conclusion, log).toBe("failure");
    expect(report.result.failedPhase).toBe("compiler");
    expect(report.result.phases.configure).toBeUndefined();
    expect(report.summary.title).toMatch(
      /^Failed: the image has no gcc-12 \(its \$CXX, clang\+\+-16, is clang 16\.\d+\.\d+\)$/,
    );
  }, 300_000);

  test("an image whose g++-12 is clang 16 under another name: a failure naming what it is, never a gcc 12 pass", async () => {
    const { report, log } = await attempt(
      `version: 1\nmatrix:\n  compiler: [gcc@12]\nimage: ${SWAPPED}\ncache: false\nsbom: false\n`,
      SWAPPED,
      "swapped",
    );
    expect(report.result.conclusion, log).toBe("failure");
    expect(report.result.failedPhase).toBe("compiler");
    expect(report.summary.title).toMatch(/^Failed: gcc-12 is clang 16\.\d+\.\d+, not gcc 12$/);
    expect(report.result.compilers[0]).toMatchObject({ command: "gcc-12", family: "clang" });
  }, 300_000);
});

describe("parseCompilerMarker", () => {
  test("reads the language, command, family, version and version line; refuses anything else", () => {
    expect(
      parseCompilerMarker(["c++", "g++-12", "gcc", "12.2.0", "g++-12", "(Debian", "12.2.0-14)", "12.2.0"]),
    ).toEqual({
      language: "c++",
      command: "g++-12",
      family: "gcc",
      version: "12.2.0",
      versionLine: "g++-12 (Debian 12.2.0-14) 12.2.0",
    });
    expect(parseCompilerMarker(["c", "cc", "icc", "2021.1.0"])).toMatchObject({ family: "unknown" });
    expect(parseCompilerMarker(["fortran", "gfortran", "gcc", "12.2.0"])).toBeNull();
    expect(parseCompilerMarker(["c", "gcc-12", "gcc", "twelve"])).toBeNull();
  });
});
