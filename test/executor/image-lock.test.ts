/** Two processes asking for the same missing image on one host: one builds, the other waits and reuses it. */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { requireDocker } from "../support/docker.ts";

const run = promisify(execFile);
const tag = `heimdall-build/lock-test:${process.pid}`;
let dir: string;

afterAll(async () => {
  const docker = await requireDocker();
  await docker
    .getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("concurrent first builds of one image in two processes build it once", async () => {
  await requireDocker();
  dir = await mkdtemp(path.join(tmpdir(), "heimdall-image-lock-"));
  const recipe = path.join(dir, "debian");
  await run("mkdir", ["-p", recipe]);
  // A recipe that takes a moment and records each build in its label.
  await writeFile(
    path.join(recipe, "Dockerfile"),
    [
      "ARG BASE=debian:bookworm",
      "FROM $BASE",
      "ARG PACKAGES",
      "ARG CC",
      "ARG CXX",
      "ARG APT_OPTIONS",
      "RUN sleep 2",
      "",
    ].join("\n"),
  );
  const images = path.resolve(import.meta.dirname, "../../src/executor/docker/images.ts");
  const script = `
    import Docker from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("dockerode")).href)};
    import { ensureImage } from ${JSON.stringify(pathToFileURL(images).href)};
    const docker = new Docker();
    const spec = { tag: ${JSON.stringify(tag)}, recipeDir: ${JSON.stringify(recipe)}, base: "debian:bookworm", buildArgs: { BASE: "debian:bookworm" } };
    let built = false;
    await ensureImage(docker, spec, { onProgress: (line) => { if (line.includes("sleep 2")) built = true; } });
    console.log(built ? "built" : "reused");
  `;
  const runner = path.join(dir, "runner.mjs");
  await writeFile(runner, script);
  const results = await Promise.all(
    [1, 2].map(() => run(process.execPath, [runner], { cwd: path.resolve(import.meta.dirname, "../..") })),
  );
  expect(results.map((r) => r.stdout.trim()).sort()).toEqual(["built", "reused"]);
}, 300_000);
