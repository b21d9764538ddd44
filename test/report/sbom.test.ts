/**
 * A cell's CycloneDX SBOM, from the real package list of the gcc 12 image (read
 * by dpkg-query in a hardened container) and two artifacts collected from a
 * workspace, validated against the CycloneDX JSON schema by the library's own
 * strict validator.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Validation } from "@cyclonedx/cyclonedx-library";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { collectArtifacts } from "../../src/executor/artifacts.ts";
import { runContainer } from "../../src/executor/docker/container.ts";
import { imagePackagesOf } from "../../src/executor/docker/image-packages.ts";
import {
  type CellSbomInput,
  cellSbom,
  DPKG_LIMITS,
  type ImagePackage,
  parseDpkgQuery,
  SBOM_SPEC_VERSION,
} from "../../src/report/sbom.ts";
import { requireDocker } from "../support/docker.ts";
import { gcc12Image } from "../support/executor.ts";

const HEAD = "0123456789abcdef0123456789abcdef01234567";
const validator = new Validation.JsonStrictValidator(SBOM_SPEC_VERSION);

let docker: Docker;
let image: string;
let scratch: string;

interface Json {
  [key: string]: unknown;
}

beforeAll(async () => {
  docker = await requireDocker();
  image = await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-sbom-"));
}, 900_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A field of one package, asked of dpkg-query directly (not through imagePackagesOf). */
async function dpkgField(pkg: string, field: string): Promise<string> {
  const result = await runContainer(docker, {
    image,
    cmd: ["dpkg-query", "-W", `-f=\${${field}}`, pkg],
    timeoutMs: 60_000,
  });
  expect(result.exitCode, result.output).toBe(0);
  return result.output;
}

function input(overrides: Partial<CellSbomInput> = {}): CellSbomInput {
  return {
    repository: "octo-org/hello-cpp",
    headSha: HEAD,
    cell: { name: "linux / gcc-12 / c++20 / Debug", compiler: "gcc", version: 12, stdFlag: "-std=c++20", image },
    imagePackages: [],
    artifacts: [],
    tool: { name: "heimdall-build", version: "0.1.0" },
    ...overrides,
  };
}

describe("imagePackagesOf", () => {
  test("the gcc 12 image's packages, g++-12 at the version dpkg-query gives", async () => {
    const packages = await imagePackagesOf(docker, image, { "dev.heimdall-build.test": "sbom" });
    const gpp = packages.find((p) => p.name === "g++-12");
    expect(gpp).toEqual({
      name: "g++-12",
      version: await dpkgField("g++-12", "Version"),
      arch: await dpkgField("g++-12", "Architecture"),
    });
    expect(gpp?.version).toMatch(/^12\./);
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["libc6", "gcc-12", "cmake", "dpkg"]));
    expect(new Set(packages.map((p) => `${p.name}:${p.arch}`)).size).toBe(packages.length);
    expect(packages.length).toBeGreaterThan(50);
  }, 120_000);
});

describe("parseDpkgQuery: untrusted output", () => {
  test("installed packages only, each once; dpkg's warnings skipped", () => {
    const output = [
      "libc6\t2.36-9+deb12u14\tamd64\tii ",
      "dpkg-query: warning: parsing file '/var/lib/dpkg/status' near line 5",
      "old-tool\t1.0-1\tamd64\trc ",
      "libc6\t2.36-9+deb12u14\tamd64\tii ",
      "libc6\t2.36-9+deb12u14\ti386\tii ",
      "tzdata\t2025b-0+deb12u1\tall\tii ",
      "libfoo\t1:2.0~rc1-3\tamd64\thi ",
      "",
    ].join("\n");
    expect(parseDpkgQuery(output)).toEqual([
      { name: "libc6", version: "2.36-9+deb12u14", arch: "amd64" },
      { name: "libc6", version: "2.36-9+deb12u14", arch: "i386" },
      { name: "tzdata", version: "2025b-0+deb12u1", arch: "all" },
      { name: "libfoo", version: "1:2.0~rc1-3", arch: "amd64" },
    ]);
  });

  test.each([
    ["a line without the status", "libc6\t2.36\tamd64"],
    ["an extra field", "libc6\t2.36\tamd64\tii \textra"],
    ["a name with a space", "lib c6\t2.36\tamd64\tii "],
    ["an upper-case name", "LibC6\t2.36\tamd64\tii "],
    ["a version with a slash", "libc6\t2.36/../x\tamd64\tii "],
    ["an escape in the version", "libc6\t2.36\u001b[31m\tamd64\tii "],
    ["a long architecture", `libc6\t2.36\t${"a".repeat(40)}\tii `],
    ["a purl-breaking name", "libc6?arch=x\t2.36\tamd64\tii "],
  ])("%s is refused", (_what, line) => {
    expect(() => parseDpkgQuery(`${line}\n`)).toThrow();
  });

  test("at most DPKG_LIMITS.packages packages", () => {
    const line = (i: number) => `pkg${i}\t1.0\tamd64\tii `;
    const ok = Array.from({ length: DPKG_LIMITS.packages }, (_, i) => line(i)).join("\n");
    expect(parseDpkgQuery(ok)).toHaveLength(DPKG_LIMITS.packages);
    expect(() => parseDpkgQuery(`${ok}\n${line(DPKG_LIMITS.packages)}`)).toThrow(/more than/);
  });
});

describe("cellSbom", () => {
  let packages: ImagePackage[];
  let document: string;
  let bom: Json;
  let artifacts: Awaited<ReturnType<typeof collectArtifacts>>["artifacts"];

  beforeAll(async () => {
    packages = await imagePackagesOf(docker, image, { "dev.heimdall-build.test": "sbom" });
    const workspace = path.join(scratch, "ws");
    await mkdir(path.join(workspace, "build"), { recursive: true });
    await writeFile(path.join(workspace, "build/hello"), "\u007fELF pretend program\n");
    await writeFile(path.join(workspace, "build/libgreeting.so"), "\u007fELF pretend library\n");
    ({ artifacts } = await collectArtifacts(workspace, ["build/*"]));
    expect(artifacts).toHaveLength(2);
    document = cellSbom(
      input({
        imagePackages: packages,
        artifacts: artifacts.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })),
        timestamp: new Date("2026-01-02T03:04:05Z"),
      }),
    );
    bom = JSON.parse(document) as Json;
  }, 120_000);

  test("validates against the CycloneDX JSON schema (strict)", async () => {
    expect(await validator.validate(document)).toBeNull();
    expect(bom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1 });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  test("the validator is not a formality: a broken hash fails it", async () => {
    const broken = document.replace(artifacts[0]?.sha256 ?? "?", "not-a-hash");
    expect(broken).not.toBe(document);
    expect(await validator.validate(broken)).not.toBeNull();
  });

  test("metadata: timestamp, the tool, the repository at the commit with its VCS reference", () => {
    expect(bom.metadata).toMatchObject({
      timestamp: "2026-01-02T03:04:05.000Z",
      tools: { components: [{ type: "application", name: "heimdall-build", version: "0.1.0" }] },
      component: {
        type: "application",
        name: "octo-org/hello-cpp",
        version: HEAD,
        purl: `pkg:github/octo-org/hello-cpp@${HEAD}`,
        externalReferences: [
          { type: "vcs", url: "https://github.com/octo-org/hello-cpp.git", comment: `commit ${HEAD}` },
        ],
      },
      properties: expect.arrayContaining([
        { name: "heimdall-build:cell", value: "linux / gcc-12 / c++20 / Debug" },
        { name: "heimdall-build:image", value: image },
      ]),
    });
  });

  test("the artifacts as files with their SHA-256", () => {
    const components = bom.components as Json[];
    const files = components.filter((c) => c.type === "file");
    expect(files).toEqual(
      artifacts.map((a) => ({
        type: "file",
        name: a.path,
        "bom-ref": `artifact:${a.path}`,
        hashes: [{ alg: "SHA-256", content: a.sha256 }],
        properties: [{ name: "heimdall-build:size", value: String(a.size) }],
      })),
    );
  });

  test("the compiler, and every image package as a library with its deb purl", async () => {
    const components = bom.components as Json[];
    expect(components.find((c) => c.type === "application")).toMatchObject({
      name: "gcc",
      version: "12",
      properties: [{ name: "heimdall-build:std-flag", value: "-std=c++20" }],
    });
    const libraries = components.filter((c) => c.type === "library");
    expect(libraries).toHaveLength(packages.length);
    const version = await dpkgField("g++-12", "Version");
    const arch = await dpkgField("g++-12", "Architecture");
    const gpp = libraries.find((c) => c.name === "g++-12");
    // `+` is percent-encoded in a purl's name; the version is Debian's, as dpkg-query gives it.
    expect(gpp).toMatchObject({ version, purl: `pkg:deb/debian/g%2B%2B-12@${version}?arch=${arch}` });
    expect(libraries.find((c) => c.name === "libc6")?.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=[a-z0-9]+$/);
    // The dependency graph ties the repository to the compiler and the compiler to its packages.
    const dependencies = bom.dependencies as { ref: string; dependsOn?: string[] }[];
    expect(dependencies.find((d) => d.ref === "toolchain:gcc@12")?.dependsOn).toEqual(
      expect.arrayContaining([gpp?.["bom-ref"]]),
    );
    expect(dependencies.find((d) => d.ref === `repository:octo-org/hello-cpp@${HEAD}`)?.dependsOn).toEqual([
      "toolchain:gcc@12",
    ]);
  }, 120_000);

  test("an SBOM without packages or artifacts still validates", async () => {
    expect(await validator.validate(cellSbom(input({ cell: { ...input().cell, stdFlag: null } })))).toBeNull();
  });

  test.each([
    ["a repository that is not owner/name", { repository: "../etc" }],
    ["a repository named '..'", { repository: "octo-org/.." }],
    ["a repository with a query", { repository: "octo-org/x?y" }],
    ["a commit that is not hex", { headSha: "HEAD" }],
    ["an artifact hash that is not SHA-256", { artifacts: [{ path: "a", size: 1, sha256: "abc" }] }],
    ["a negative size", { artifacts: [{ path: "a", size: -1, sha256: "0".repeat(64) }] }],
    ["a package name with a newline", { imagePackages: [{ name: "lib\nc6", version: "1.0" }] }],
  ] as [string, Partial<CellSbomInput>][])("%s is refused", (_what, overrides) => {
    expect(() => cellSbom(input(overrides))).toThrow(TypeError);
  });
});
