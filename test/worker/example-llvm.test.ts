/**
 * examples/llvm-tool through the GitHub App: a push of it as the repository,
 * the real server and one real worker with Docker, GitHub faked (every
 * request checked against its OpenAPI description). Its 8 cells (gcc 12 and
 * clang 16 × C++17 and 20 × LLVM 16 and 19) end `success` with their test
 * counts and verified standard, each built against its own LLVM release in
 * its derived image, which no cell builds again; each cell's SBOM and its
 * SBOM script's document are stored.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { cacheVolumeName } from "../../src/executor/docker/cache-volume.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { UrlSigner } from "../../src/storage/url-signer.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REPO, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, endToEndWorkerOptions, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository } from "../support/executor.ts";
import {
  ensureLlvmImages,
  expectBuiltAgainstItsLlvm,
  LLVM_CELLS,
  LLVM_EXAMPLE,
  LLVM_TOOL_TESTS,
  LLVM_TOOL_UNITS,
  type LlvmImages,
  llvmDerivedImages,
  llvmExampleConfig,
  recordImageTags,
} from "../support/llvm-example.ts";

const MATRIX = "heimdall-build / matrix";
const PUBLIC_URL = "https://heimdall.example.com";
const signer = new UrlSigner("the llvm example's link secret");

let docker: Docker;
let e2e: EndToEnd;
let worker: RunningWorker;
let store: FsStore;
let images: LlvmImages;
let head: string;
let cloneUrl: string;

beforeAll(async () => {
  docker = await requireDocker();
  // The derived images, shared with test/cli/example-llvm.test.ts: made here when that test has not made them.
  images = await llvmDerivedImages(docker);
  await ensureLlvmImages(docker, images);
  e2e = await startEndToEnd("llvm", (scratch) => {
    store = new FsStore(path.join(scratch, "objects"));
    return { store, signer, publicUrl: PUBLIC_URL };
  });
  const config = await llvmExampleConfig();
  ({ head, cloneUrl } = await exampleRepository(path.join(e2e.scratch, "repo"), config, undefined, LLVM_EXAMPLE));
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, config);
  worker = await startWorker({
    store,
    signer,
    publicUrl: PUBLIC_URL,
    docker,
    ...endToEndWorkerOptions(e2e),
  });
}, 3_600_000);

afterAll(async () => {
  await worker?.close();
  // The compiler caches the cells made (owner "octo", trusted): a derived image's cells use its base's.
  for (const image of ["heimdall-build/gcc-12:bookworm", "heimdall-build/clang-16:bookworm"]) {
    await new Docker()
      .getVolume(cacheVolumeName(image, "trusted", OWNER))
      .remove()
      .catch(() => undefined);
  }
  await e2e?.stop();
});

test("a push: 8 check runs succeed with 7 tests each and their standard, each against its LLVM; SBOMs stored; no image built again", async () => {
  const { github, scratch } = e2e;
  const tags = await recordImageTags(docker);
  await e2e.push(head, "main", cloneUrl);
  const cells = () => [...github.checkRuns().values()].filter((r) => r.name !== MATRIX);
  await until("8 completed cells", () => cells().filter((r) => r.status === "completed").length === 8, 3_000_000);
  tags.stop();

  const byName = new Map(cells().map((r) => [r.name, r]));
  expect([...byName.keys()].sort()).toEqual(LLVM_CELLS.map((c) => c.name).sort());
  const objects = (await store.list("")).map((o) => o.key);
  const stored = (key: RegExp) => {
    const found = objects.filter((k) => key.test(k));
    expect(found, `${key}: ${objects.join("\n")}`).toHaveLength(1);
    return readFile(path.join(scratch, "objects", found[0] ?? ""), "utf8");
  };
  for (const cell of LLVM_CELLS) {
    const run = byName.get(cell.name);
    expect(run?.conclusion, JSON.stringify(run?.output)).toBe("success");
    expect(run?.output.title).toBe(`Passed: ${LLVM_TOOL_TESTS} tests`);
    const summary = run?.output.summary ?? "";
    expect(summary).toContain(
      `**Standard**: all ${LLVM_TOOL_UNITS} C++ translation units were built as C++${cell.standard} (\`c++${cell.standard}\` ${LLVM_TOOL_UNITS}).`,
    );
    // Its compiler's image with its LLVM release's packages.
    expect(summary).toContain(`| \`${images.byCell.get(cell.id)}\` |`);
    const attempt = `[^/]+/${cell.id}/\\d+`;
    expectBuiltAgainstItsLlvm(cell, {
      llvmVersion: await stored(new RegExp(`^artifacts/${attempt}/build/llvm-version\\.txt$`)),
      inventory: await stored(new RegExp(`^artifacts/${attempt}/build/inventory\\.json$`)),
      projectSbom: await stored(new RegExp(`^sboms/${attempt}/project/llvm-tool\\.cdx\\.json$`)),
    });
    // heimdall-build's own SBOM of the cell, whose image has the LLVM release's packages.
    const sbom = JSON.parse(await stored(new RegExp(`^sboms/${attempt}\\.cdx\\.json$`))) as {
      components: { name: string }[];
    };
    expect(sbom.components.map((c) => c.name)).toContain(`llvm-${cell.llvm}-dev`);
  }
  // Every cell ran in an image that was there: none was built (tagged) again.
  expect([...tags.counts().keys()].filter((name) => images.made.has(name))).toEqual([]);

  const matrix = await until("the matrix check completed", () =>
    [...github.checkRuns().values()].find((r) => r.name === MATRIX && r.status === "completed"),
  );
  expect(matrix.conclusion).toBe("success");
  expect(matrix.output.title).toBe("8 cells: 8 passed, 0 failed, 0 skipped");
  expect(matrix.output.summary).toContain(
    [
      "| Release | C++17 | C++20 |",
      "|---|:---:|:---:|",
      "| linux / gcc-12 / llvm-16 | ✅ | ✅ |",
      "| linux / gcc-12 / llvm-19 | ✅ | ✅ |",
      "| linux / clang-16 / llvm-16 | ✅ | ✅ |",
      "| linux / clang-16 / llvm-19 | ✅ | ✅ |",
    ].join("\n"),
  );
  // Every request GitHub got was one it takes (afterAll checks again, with the server closed).
  github.assertAllValid();
}, 3_600_000);
