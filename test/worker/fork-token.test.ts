/**
 * A fork's commit is fetched without a clone token: the token would be minted
 * for the repository the fork names (a fork renamed after a private repository
 * of the installation would get that one's) and would reach its submodules.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { REDIS_URL, until } from "../support/app-harness.ts";
import { type CellQueue, cellQueue } from "../support/cell-queue.ts";
import { requireDocker } from "../support/docker.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";

let docker: Docker;
let queue: CellQueue;
let worker: RunningWorker | undefined;
let scratch: string;
const asked: string[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-fork-token-"));
  queue = cellQueue("fork-token");
  worker = await startWorker({
    redisUrl: REDIS_URL,
    prefix: queue.prefix,
    platform: "linux",
    docker,
    cacheDir: path.join(scratch, "cache"),
    allowFileUrls: true,
    cloneTokens: async (_installation, repository) => {
      asked.push(repository);
      // A file:// clone ignores it; what matters is whether it was asked for.
      return "ghs_not-for-forks";
    },
  });
}, 600_000);

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await rm(scratch, { recursive: true, force: true });
});

test("a trusted commit's worker mints a token for its repository; a fork's never asks for one", async () => {
  const config = scriptConfig("true");
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), config);
  await queue.push("1", config, cloneUrl, head);
  await queue.push("2", config, cloneUrl, head, { fork: true, repository: "forker/secret" });
  for (const id of ["1", "2"]) {
    const finished = await until(`attempt ${id} finished`, () => queue.finished(id), 180_000);
    expect(finished.conclusion, finished.summary).toBe("success");
  }
  expect(asked).toEqual(["octo/lib"]);
}, 300_000);
