import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, expect, test } from "vitest";
import { appCloneTokens } from "../../src/github/clone-tokens.ts";
import { readLiveLog } from "../../src/queue/live-log.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { INSTALLATION, OWNER, REDIS_URL, REPO } from "../support/app-harness.ts";
import { completedCheckRun, type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository } from "../support/executor.ts";
import { testPrivateKey } from "../support/github.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standard: [17]\ncache: false\n";
let e2e: EndToEnd | undefined;
let worker: RunningWorker | undefined;

afterAll(async () => {
  await e2e?.stop(worker);
});

test("a push is built on the host, cloned with a read-only token for the one repository, its live tail readable, and its check run completes with the warning annotated", async () => {
  e2e = await startEndToEnd("host");
  const { scratch, github, prefix } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  // A git that notes whether each command carried the token header.
  const gitLog = path.join(scratch, "git.log");
  const git = path.join(scratch, "git-logged");
  await writeFile(
    git,
    `#!/bin/sh\nif env | grep -q '^GIT_CONFIG_VALUE_[0-9]*=AUTHORIZATION'; then k=TOKEN; else k=PLAIN; fi\nprintf '%s %s\\n' "$k" "$1" >> '${gitLog}'\nexec git "$@"\n`,
  );
  await chmod(git, 0o755);
  worker = await startWorker({
    gitBinary: git,
    cloneTokens: appCloneTokens({ appId: "1", privateKey: testPrivateKey(), baseUrl: github.baseUrl }),
    redisUrl: REDIS_URL,
    prefix,
    platform: "linux",
    executor: "host",
    cacheDir: path.join(scratch, "cache"),
    allowFileUrls: true,
  });
  await e2e.push(head, "main", cloneUrl);
  const run = await completedCheckRun(github, "linux / gcc-12 / c++17 / Release", 120_000);
  expect(run.conclusion, run.output.summary ?? "").toBe("success");
  expect(run.annotations).toContainEqual(
    expect.objectContaining({ path: "src/main.cpp", start_line: 7, annotation_level: "warning" }),
  );
  expect(run.output.summary).toContain("host");
  // The worker's finished event carried its counts, and the server kept them on the attempt.
  const counts = await e2e.server.db
    .selectFrom("attempts")
    .select(["errors", "warnings", "tests_passed", "tests_failed", "tests_skipped"])
    .executeTakeFirstOrThrow();
  expect(counts).toEqual({ errors: 0, warnings: 1, tests_passed: 2, tests_failed: 0, tests_skipped: 0 });

  // The token: minted for the one repository, contents read only, and given to git's fetches.
  const minted = github.requests({ method: "POST" }).filter((r) => r.path.endsWith("/access_tokens"));
  expect(minted.map((r) => r.body)).toContainEqual({ repositories: [REPO], permissions: { contents: "read" } });
  expect(minted.some((r) => r.path === `/app/installations/${INSTALLATION}/access_tokens`)).toBe(true);
  const gitLines = (await readFile(gitLog, "utf8")).trim().split("\n");
  expect(gitLines.filter((line) => line.startsWith("TOKEN ")).map((line) => line.split(" ")[1])).toContain("fetch");
  expect(gitLines.filter((line) => line.startsWith("TOKEN ")).every((line) => line === "TOKEN fetch")).toBe(true);

  // The live tail: what the build printed, and its end.
  const redis = new Redis(REDIS_URL);
  try {
    const attempt = await e2e.server.db.selectFrom("attempts").select("id").executeTakeFirstOrThrow();
    const tail = await readLiveLog(redis, prefix, String(attempt.id));
    expect(tail?.ended).toBe("success");
    expect(tail?.text).toMatch(/Built target hello|Linking CXX executable/);
  } finally {
    redis.disconnect();
  }
}, 180_000);
