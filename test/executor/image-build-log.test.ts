/** An image build's log is its lines as printed, however the engine cuts the output into messages. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { ensureImage, ImageBuildError } from "../../src/executor/docker/images.ts";
import { installerErrors } from "../../src/executor/docker/packages-image.ts";
import { requireDocker } from "../support/docker.ts";

const tag = `heimdall-build/build-log-test:${process.pid}`;
let dir: string;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a line printed in pieces is one line of the log, and apt's error line is found in it", async () => {
  const docker = await requireDocker();
  dir = await mkdtemp(path.join(tmpdir(), "heimdall-build-log-"));
  const recipe = path.join(dir, "recipe");
  await mkdir(recipe);
  // "E" and the rest a second apart: the engine sends them as two messages.
  await writeFile(
    path.join(recipe, "Dockerfile"),
    "ARG BASE=debian:bookworm\nFROM $BASE\nRUN printf 'E'; sleep 1; printf ': Unable to locate package nope\\n'; exit 100\n",
  );
  const error = await ensureImage(docker, { tag, recipeDir: recipe, base: "debian:bookworm", buildArgs: {} }).catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageBuildError);
  const { log } = error as ImageBuildError;
  expect(log).toContain("E: Unable to locate package nope");
  expect(installerErrors(log)).toBe("E: Unable to locate package nope");
}, 120_000);
