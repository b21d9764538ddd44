/** What `heimdall-build run` says of the source it builds: here, a submodule it cannot include. */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runHarness } from "../support/run-harness.ts";

const exec = promisify(execFile);
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-run-source-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const commit = (dir: string, message: string) =>
  exec("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message]);

it("warns, naming it, about a submodule that is not initialised", async () => {
  const lib = path.join(scratch, "lib");
  await mkdir(lib);
  await exec("git", ["init", "-q", lib]);
  await writeFile(path.join(lib, "lib.c"), "int lib;\n");
  await exec("git", ["-C", lib, "add", "."]);
  await commit(lib, "lib");
  const repo = path.join(scratch, "repo");
  await mkdir(repo);
  await exec("git", ["init", "-q", repo]);
  // Only a cell the catalog skips (gcc 7 has no image): nothing is built, the source is still listed.
  await writeFile(path.join(repo, ".heimdall-build.yml"), "version: 1\nmatrix:\n  compiler: [gcc@7]\n");
  await exec("git", ["-C", repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib, "vendor/lib"]);
  await exec("git", ["-C", repo, "add", "."]);
  await commit(repo, "app");
  await exec("git", ["-C", repo, "submodule", "deinit", "-q", "--force", "vendor/lib"]);
  const cli = runHarness({ docker: null });
  await cli.run(repo, ["--executor", "host"]);
  expect(cli.err).toContain(
    "heimdall-build run: submodule vendor/lib is not initialised, so its files are not in the source (git submodule update --init --recursive)",
  );
});
