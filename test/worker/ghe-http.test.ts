/**
 * A worker of a GitHub Enterprise Server over plain http: its cell's clone URL
 * is http:// on the server's host (the job carries it, as the server writes
 * it), and the worker clones it with the token the app minted, then builds.
 * The host executor, so the test is about the clone, not a container.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { clearRedisPrefix, REDIS_URL, until } from "../support/app-harness.ts";
import { type CellQueue, cellQueue } from "../support/cell-queue.ts";
import { git } from "../support/git.ts";
import { type GitHttpServer, publish, startGitHttpServer } from "../support/git-http.ts";

const TOKEN = "ghs_gheWorkerToken0123456789abcdef";
const CONFIG = `version: 1
matrix:
  compiler: [gcc@12]
build:
  script:
    commands: ["grep -q 'over http' README"]
tests: false
cache: false
sbom: false
`;
let scratch: string;
let server: GitHttpServer;
let queue: CellQueue;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-ghe-http-"));
  await mkdir(path.join(scratch, "served"));
  server = await startGitHttpServer(path.join(scratch, "served"));
  queue = cellQueue("ghe-http");
});

afterAll(async () => {
  await worker?.close();
  await server?.close();
  await queue?.close();
  if (queue) await clearRedisPrefix(queue.prefix);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test("the worker clones http:// from the configured GitHub host with its token, and builds", async () => {
  const sha = await publish(scratch, "lib", async (dir) => {
    await writeFile(path.join(dir, "README"), "over http\n");
    await git(dir, "add", "README");
  });
  worker = await startWorker({
    redisUrl: REDIS_URL,
    prefix: queue.prefix,
    platform: "linux",
    executor: "host",
    cacheDir: path.join(scratch, "cache"),
    plainHttpHost: server.host,
    cloneTokens: async () => TOKEN,
  });
  await queue.push("11", CONFIG, `http://${server.host}/lib.git`, sha);
  const finished = await until("the cell finished", () => queue.finished("11"), 120_000);
  expect(finished.conclusion, finished.summary).toBe("success");
  const basic = `basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;
  expect(server.requests.length).toBeGreaterThan(0);
  expect(server.requests.every((r) => r.authorization === basic)).toBe(true);

  // Another http host in a job is refused, saying where http is allowed.
  await queue.push("12", CONFIG, `http://localhost:${server.port}/lib.git`, sha);
  const refused = await until("the refused cell finished", () => queue.finished("12"), 60_000);
  expect(refused.conclusion).toBe("failure");
  expect(refused.summary).toContain(`http:// is fetched only from http://${server.host}`);
  expect(server.requests.filter((r) => r.host !== server.host)).toEqual([]);
}, 180_000);
