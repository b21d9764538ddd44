/**
 * examples/llvm-tool as its two tests (through `run` and through the GitHub
 * App) check it: its 8 cells, what each must have built against (the LLVM
 * release of its axis, by llvm-config, the tool's own headers and its SBOM
 * script), and its 4 derived images (each compiler's image with the config's
 * packages and llvm-N-dev), which both tests share: each is built once by
 * whichever test needs it first, then reused.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { expect } from "vitest";
import { findCompiler } from "../../src/config/catalog.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { ensureImage, imageSpec } from "../../src/executor/docker/images.ts";
import { ensurePackagesImage, packagesImageSpec } from "../../src/executor/docker/packages-image.ts";
import { watchEngineEvents } from "./container-watch.ts";

export const LLVM_EXAMPLE = path.resolve(import.meta.dirname, "../../examples/llvm-tool");
const APT_OPTIONS = process.env.HEIMDALL_APT_OPTIONS ?? "";

/** googletest's tests in tests/inventory_test.cpp, which every cell runs. */
export const LLVM_TOOL_TESTS = 7;
/** Its translation units: src/ (5), the test program and the fixture the tests read. */
export const LLVM_TOOL_UNITS = 7;

export interface LlvmCell {
  readonly id: string;
  readonly name: string;
  readonly compiler: "gcc@12" | "clang@16";
  readonly standard: 17 | 20;
  readonly llvm: 16 | 19;
}

/** The example's cells in the matrix's order: compiler, then standard, then LLVM release. */
export const LLVM_CELLS: readonly LlvmCell[] = (["gcc@12", "clang@16"] as const).flatMap((compiler) =>
  ([17, 20] as const).flatMap((standard) =>
    ([16, 19] as const).map((llvm) => {
      const short = compiler.replace("@", "-");
      return {
        id: `linux-${short}-cxx${standard}-llvm${llvm}-release`,
        name: `linux / ${short} / c++${standard} / llvm-${llvm} / Release`,
        compiler,
        standard,
        llvm,
      };
    }),
  ),
);

/** The example's .heimdall-build.yml, as a push carries it. */
export function llvmExampleConfig(): Promise<string> {
  return readFile(path.join(LLVM_EXAMPLE, ".heimdall-build.yml"), "utf8");
}

export interface LlvmImages {
  /** Each cell's derived image, by cell id. */
  readonly byCell: ReadonlyMap<string, string>;
  /** The derived images, each with its base and packages. */
  readonly made: ReadonlyMap<string, { readonly base: string; readonly packages: readonly string[] }>;
}

/**
 * The derived images the example's cells run in, by tag (a digest of the base
 * image's id and the packages, as the executor names them): the compiler
 * images are built first when missing, so that only these are left to build.
 */
export async function llvmDerivedImages(docker: Docker): Promise<LlvmImages> {
  const parsed = parseConfig(await llvmExampleConfig());
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const byCell = new Map<string, string>();
  const made = new Map<string, { base: string; packages: readonly string[] }>();
  for (const cell of parsed.cells) {
    const release = findCompiler(cell.compiler.family, cell.compiler.version);
    if (!release) throw new Error(`${cell.name}: its compiler is not in the catalog`);
    const base = await ensureImage(docker, imageSpec(release, { aptOptions: APT_OPTIONS }));
    const { tag } = await packagesImageSpec(docker, base, cell.packages);
    byCell.set(cell.id, tag);
    made.set(tag, { base, packages: cell.packages });
  }
  return { byCell, made };
}

/**
 * Builds those of the derived images the engine lacks, as a cell would (the
 * same recipe, and the lock `heimdall-build run` takes, so a run at the same
 * time builds none of them again).
 */
export async function ensureLlvmImages(docker: Docker, images: LlvmImages): Promise<void> {
  for (const { base, packages } of images.made.values()) {
    await ensurePackagesImage(docker, base, packages, { aptOptions: APT_OPTIONS });
  }
}

/** Which of `tags` the engine has now. */
export async function presentImages(docker: Docker, tags: Iterable<string>): Promise<Set<string>> {
  const present = new Set<string>();
  for (const tag of tags) {
    const found = await docker
      .getImage(tag)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (found) present.add(tag);
  }
  return present;
}

export interface ImageTags {
  /** How many times each image name was tagged since recording began: once per build of it. */
  counts(): Map<string, number>;
  stop(): void;
}

/**
 * Records the engine's image `tag` events from now on: every build of a
 * tagged image ends with one, even one whose layers all came from the cache,
 * so their count per name is how many times that image was built.
 */
export async function recordImageTags(docker: Docker): Promise<ImageTags> {
  const names: string[] = [];
  const { stop } = await watchEngineEvents(docker, { type: ["image"], event: ["tag"] }, (event) => {
    const name = event.Actor.Attributes.name;
    if (event.Action === "tag" && name) names.push(name);
  });
  return {
    counts: () => {
      const counts = new Map<string, number>();
      for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
      return counts;
    },
    stop,
  };
}

/** What a cell left: its artifacts build/llvm-version.txt and build/inventory.json, and its SBOM script's document. */
export interface LlvmCellOutputs {
  readonly llvmVersion: string;
  readonly inventory: string;
  readonly projectSbom: string;
}

/**
 * The cell was built against its axis's LLVM release, as llvm-config says, as
 * the tool's own headers say (LLVM_VERSION_STRING in its inventory of itself),
 * and as its SBOM says, which names the Debian packages of what it links.
 */
export function expectBuiltAgainstItsLlvm(cell: LlvmCell, outputs: LlvmCellOutputs): void {
  const version = outputs.llvmVersion.trim();
  expect(version, cell.name).toMatch(new RegExp(`^${cell.llvm}\\.\\d+\\.\\d+$`));
  const inventory = JSON.parse(outputs.inventory) as { format: string; llvm: string; sha256: string };
  expect(inventory, cell.name).toMatchObject({ format: "elf64-x86-64", llvm: version });
  expect(inventory.sha256).toMatch(/^[0-9a-f]{64}$/);
  const sbom = JSON.parse(outputs.projectSbom) as {
    bomFormat: string;
    metadata: { component: { name: string } };
    components: { type: string; name: string; version: string }[];
  };
  expect(sbom.bomFormat).toBe("CycloneDX");
  expect(sbom.metadata.component.name).toBe("llvm-tool");
  expect(sbom.components[0], cell.name).toEqual({ type: "framework", name: "llvm", version });
  // The packages of the libraries it links (DT_NEEDED): LLVM's, OpenSSL's libcrypto, libelf, the C++ runtime.
  expect(
    sbom.components
      .slice(1)
      .map((c) => c.name)
      .sort(),
    cell.name,
  ).toEqual(["libc6", "libelf1", "libgcc-s1", `libllvm${cell.llvm}`, "libssl3", "libstdc++6"]);
}
