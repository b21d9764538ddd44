import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import {
  clearRedisPrefix,
  OWNER,
  pushPayload,
  REDIS_URL,
  REPO,
  SECRET,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { exampleRepository } from "../support/executor.ts";
import { type FakeGitHub, fakeGitHub, sendWebhook } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [17]\ncache: false\n";
const prefix = `heimdall-host-${randomBytes(4).toString("hex")}`;
let scratch: string | undefined;
let database: TestDatabase | undefined;
let server: RunningServer | undefined;
let worker: RunningWorker | undefined;
let github: FakeGitHub | undefined;

afterAll(async () => {
  await worker?.close();
  await server?.close();
  github?.assertAllValid();
  github?.cleanup();
  await database?.drop();
  await clearRedisPrefix(prefix);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test("a push is built on the host and its check run completes with the warning annotated", async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-host-"));
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);

  database = await freshDatabase(false);
  github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  server = await startTestServer({ databaseUrl: database.url, prefix });
  worker = await startWorker({
    redisUrl: REDIS_URL,
    prefix,
    platform: "linux",
    executor: "host",
    cacheDir: path.join(scratch, "cache"),
    allowFileUrls: true,
  });
  const status = await sendWebhook(
    `${server.url}/api/github/webhooks`,
    SECRET,
    "push",
    pushPayload(head, "main", cloneUrl) as never,
  );
  expect(status).toBeLessThan(300);
  const fake = github;
  const run = await until(
    "the cell completed",
    () =>
      [...fake.checkRuns().values()].find(
        (r) => r.name === "linux / gcc-12 / c++17 / Release" && r.status === "completed",
      ),
    120_000,
  );
  expect(run.conclusion, run.output.summary ?? "").toBe("success");
  expect(run.annotations).toContainEqual(
    expect.objectContaining({ path: "src/main.cpp", start_line: 7, annotation_level: "warning" }),
  );
  expect(run.output.summary).toContain("host");
}, 180_000);
