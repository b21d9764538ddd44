import { readFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cacheVolumeName } from "../../src/executor/docker/cache-volume.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { UrlSigner } from "../../src/storage/url-signer.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REPO, until } from "../support/app-harness.ts";
import { requireDocker, uniqueImageTag } from "../support/docker.ts";
import { completedCheckRun, type EndToEnd, endToEndWorkerOptions, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository, failCountsWordsInCxx20 } from "../support/executor.ts";

const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
  cxx_standard: [17, 20]
  build_type: [Debug]
  include:
    - compiler: gcc@7
      cxx_standard: 17
tests:
  ctest_args: [--output-on-failure]
artifacts: [build/hello]
sbom:
  script: printf '{"bomFormat":"CycloneDX","specVersion":"1.6"}' > "$HEIMDALL_SBOM_DIR/project.cdx.json"
`;

let e2e: EndToEnd;
let worker: RunningWorker;
let head: string;
let cloneUrl: string;
let store: FsStore;
const PUBLIC_URL = "https://heimdall.example.com";
const signer = new UrlSigner("the end-to-end test's link secret");

beforeAll(async () => {
  const docker = await requireDocker();
  e2e = await startEndToEnd("e2e", (scratch) => {
    // The workers' store, which the server's API serves.
    store = new FsStore(path.join(scratch, "objects"));
    return { store, signer, publicUrl: PUBLIC_URL };
  });
  // The example, changed so that one test fails in C++20 only.
  ({ head, cloneUrl } = await exampleRepository(path.join(e2e.scratch, "repo"), CONFIG, failCountsWordsInCxx20));
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  worker = await startWorker({
    store,
    signer,
    publicUrl: PUBLIC_URL,
    docker,
    ...endToEndWorkerOptions(e2e),
  });
}, 900_000);

afterAll(async () => {
  await worker?.close();
  // The shared compiler cache the cells made (owner "octo", trusted).
  await new Docker()
    .getVolume(cacheVolumeName("heimdall-build/gcc-12:bookworm", "trusted", OWNER))
    .remove()
    .catch(() => undefined);
  await e2e?.stop();
});

describe("push → worker → check runs", () => {
  test("one passes, one fails with its warning annotated and its failed test named, one is skipped", async () => {
    const { github, server, scratch } = e2e;
    await e2e.push(head, "main", cloneUrl);
    const cells = () => [...github.checkRuns().values()].filter((r) => r.name !== "heimdall-build / matrix");
    await until("three completed cells", () => cells().filter((r) => r.status === "completed").length === 3, 240_000);
    const byName = new Map(cells().map((r) => [r.name, r]));
    const passed = byName.get("linux / gcc-12 / c++17 / Debug");
    const failed = byName.get("linux / gcc-12 / c++20 / Debug");
    const skipped = byName.get("linux / gcc-7 / c++17 / Debug");
    expect(passed, JSON.stringify(passed?.output)).toMatchObject({ conclusion: "success" });
    expect(failed, JSON.stringify(failed?.output)).toMatchObject({ conclusion: "failure" });
    expect(skipped).toMatchObject({ conclusion: "skipped" });
    expect(failed?.output.summary).toContain("greeting.counts_words");
    for (const run of [passed, failed]) {
      expect(run?.annotations).toContainEqual(
        expect.objectContaining({ path: "src/main.cpp", start_line: 7, annotation_level: "warning" }),
      );
    }
    expect(failed?.actions).toEqual([expect.objectContaining({ identifier: "rerun" })]);
    // Each cell's counts as its worker reported them, kept for the API; the skipped cell's unknown.
    const counts = await server.db
      .selectFrom("attempts")
      .innerJoin("cells", "cells.id", "attempts.cell_id")
      .select(["cells.name", "errors", "warnings", "tests_passed", "tests_failed", "tests_skipped"])
      .execute();
    const countsOf = (name: string) => counts.find((c) => c.name === name);
    expect(countsOf("linux / gcc-12 / c++17 / Debug")).toMatchObject({
      errors: 0,
      warnings: 1,
      tests_passed: 2,
      tests_failed: 0,
    });
    expect(countsOf("linux / gcc-12 / c++20 / Debug")).toMatchObject({
      errors: 0,
      warnings: 1,
      tests_passed: 1,
      tests_failed: 1,
    });
    expect(countsOf("linux / gcc-7 / c++17 / Debug")).toMatchObject({ errors: null, tests_passed: null });
    // Each built cell kept its program and a CycloneDX SBOM, linked from its summary.
    const objects = (await store.list("")).map((o) => o.key);
    expect(objects.filter((k) => k.endsWith("/build/hello"))).toHaveLength(2);
    expect(objects.filter((k) => /^sboms\/[^/]+\/[^/]+\/\d+\.cdx\.json$/.test(k))).toHaveLength(2);
    // The project's own SBOM script ran where the build passed (the failing cell stops at its tests).
    expect(objects.filter((k) => k.endsWith("/project/project.cdx.json"))).toHaveLength(1);
    expect(passed?.output.summary).toContain("https://heimdall.example.com/api/v1/objects/artifacts/");
    expect(passed?.output.summary).toContain("https://heimdall.example.com/api/v1/objects/sboms/");
    expect(passed?.output.summary).toContain("https://heimdall.example.com/api/v1/objects/logs/");
    // The standard was asked of CMake and verified from the compile commands, which are kept beside the log.
    expect(passed?.output.summary).toContain("**Standard**: all 3 C++ translation units were built as C++17");
    expect(failed?.output.summary).toContain("**Standard**: all 3 C++ translation units were built as C++20");
    expect(objects.filter((k) => /^logs\/[^/]+\/[^/]+\/\d+\.compile_commands\.json$/.test(k))).toHaveLength(2);
    // The links work: the server's API serves them (signed), a guessed path gets nothing.
    const logLink = /\((https:\/\/heimdall\.example\.com\/api\/v1\/objects\/logs\/[^)\s]+)\)/.exec(
      failed?.output.summary ?? "",
    )?.[1];
    expect(logLink).toBeDefined();
    const served = await fetch((logLink ?? "").replace(PUBLIC_URL, server.url));
    expect(served.status).toBe(200);
    expect(await served.text()).toContain("greeting.counts_words");
    expect((await fetch((logLink ?? "").replace(PUBLIC_URL, server.url).replace(/\?.*/, ""))).status).toBe(403);
    // While they ran, the cells' check runs linked their live logs (when the reporter wrote the
    // in-progress state at all: a fast cell's states coalesce into its completion).
    const inProgress = github
      .requests((r) => (r.body as { status?: string } | undefined)?.status === "in_progress")
      .map((r) => JSON.stringify(r.body))
      .filter((body) => !body.includes("heimdall-build / matrix"));
    for (const body of inProgress) expect(body).toContain("[Live log](https://heimdall.example.com/api/v1/attempts/");
    const logKey = objects.find((k) => k.startsWith("logs/") && k.endsWith(".log")) ?? "";
    expect(await readFile(path.join(scratch, "objects", logKey), "utf8")).toMatch(/Building CXX object|Linking CXX/);
    const sbomKey = objects.find((k) => /^sboms\/[^/]+\/[^/]+\/\d+\.cdx\.json$/.test(k)) ?? "";
    const sbom = JSON.parse(await readFile(path.join(scratch, "objects", sbomKey), "utf8")) as {
      bomFormat: string;
      components: { name: string }[];
    };
    expect(sbom.bomFormat).toBe("CycloneDX");
    expect(sbom.components.map((c) => c.name)).toContain("g++-12");
    await until("the matrix check completed", () =>
      [...github.checkRuns().values()].some((r) => r.name === "heimdall-build / matrix" && r.conclusion === "failure"),
    );
  }, 300_000);

  test("a cell whose config names an image the worker's engine lacks fails, saying so", async () => {
    const { github, scratch } = e2e;
    const absent = uniqueImageTag("worker-absent");
    const config = `version: 1\nmatrix:\n  compiler: [clang@16]\nimage: ${absent}\n`;
    const named = await exampleRepository(path.join(scratch, "repo-named-image"), config);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", named.head, config);
    await e2e.push(named.head, "main", named.cloneUrl);
    const run = await completedCheckRun(github, "linux / clang-16 / c++17 / Release", 120_000);
    expect(run.conclusion, JSON.stringify(run.output)).toBe("failure");
    expect(run.output.summary).toContain(
      `The image '${absent}' is not on this worker's host (no registry is pulled from): its operator must pull or build it first.`,
    );
  }, 180_000);

  test("a cell whose package the archive lacks fails with apt's words, before its source or build", async () => {
    const { github, scratch } = e2e;
    const config = "version: 1\nmatrix:\n  compiler: [gcc@12]\npackages: [libdoesnotexist-dev]\n";
    const unknown = await exampleRepository(path.join(scratch, "repo-unknown-package"), config);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", unknown.head, config);
    await e2e.push(unknown.head, "main", unknown.cloneUrl);
    const run = await completedCheckRun(github, "linux / gcc-12 / c++17 / Release", 300_000);
    expect(run.conclusion, JSON.stringify(run.output)).toBe("failure");

    // apt's words first, the install's last lines after them; no step of the build ran.
    const summary = run.output.summary ?? "";
    expect(summary.split("\n")[0], summary).toBe(
      "The packages could not be installed into heimdall-build/gcc-12:bookworm: E: Unable to locate package libdoesnotexist-dev",
    );
    expect(summary).not.toMatch(/configure step|build step/);
  }, 360_000);
});
