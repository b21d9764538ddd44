/**
 * GET /api/v1/status against a real server: its probes (PostgreSQL, Redis, the
 * object store, GitHub through the app's Octokit, here a GitHub Enterprise
 * Server's /api/v3 mocked with nock), and the workers' heartbeats, from a real
 * worker, judged by the server's controllable clock.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HeartbeatSender, heartbeatKey, startHeartbeat } from "../../src/queue/heartbeats.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { type ObjectStore, s3ClientConfig } from "../../src/storage/object-store.ts";
import { S3Store } from "../../src/storage/s3-store.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { REDIS_URL, until } from "../support/app-harness.ts";
import { errorReply, type FakeGitHub, type FakeReply, fakeGitHub } from "../support/github.ts";
import { validateGitHubRequest } from "../support/openapi.ts";
import { freePort } from "../support/own-services.ts";
import { startS3, type TestS3 } from "../support/s3.ts";

const GHE = "https://ghe.example.com/api/v3";
const T0 = Date.parse("2026-03-01T12:00:00.000Z");
// Long enough for a loaded machine's PostgreSQL, short for the probe that hangs.
const PROBE_MS = 1500;
const version = (await import("../../package.json", { with: { type: "json" } })).default.version;

type Status = {
  ok: boolean;
  version: string;
  postgres: { ok: boolean };
  redis: { ok: boolean };
  object_store: { kind: string; ok: boolean; error?: string };
  github: { ok: boolean; api_url: string; status?: number; error?: string };
  workers: { name: string; stale: boolean; last_seen: string; running: { repository: string }[] }[];
};

let scratch: string;
let github: FakeGitHub;
let gitHubAnswer: () => FakeReply | Promise<FakeReply>;
let serverNow = T0;
let h: ApiHarness;
let s3: TestS3;
const redis = new Redis(REDIS_URL);

const APP = { status: 200, body: { id: 1, slug: "heimdall-build", name: "heimdall-build" } };

async function harness(store: ObjectStore): Promise<ApiHarness> {
  return startApiHarness({ baseUrl: GHE, store, now: () => new Date(serverNow), probeTimeoutMs: PROBE_MS });
}

async function status(on: ApiHarness = h): Promise<Status> {
  const answer = await on.api("GET", "/api/v1/status", { token: await on.token(["builds:read"]) });
  expect(answer.status, answer.text).toBe(200);
  return answer.body as Status;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-status-"));
  // The fake checks requests against GitHub's description, read (70 MB, blocking) on first use: read it
  // now, or the first /status's probes would all wait for it past their time.
  validateGitHubRequest("GET", "/app", undefined);
  github = fakeGitHub(GHE);
  gitHubAnswer = () => APP;
  github.reply("GET", "/app", () => gitHubAnswer());
  h = await harness(new FsStore(path.join(scratch, "objects")));
  s3 = await startS3();
});

afterAll(async () => {
  await h?.close();
  await s3?.stop();
  github?.assertAllValid();
  github?.cleanup();
  redis.disconnect();
  await rm(scratch, { recursive: true, force: true });
});

describe("GET /api/v1/status", () => {
  test("everything up: ok, each probe with its latency, the version, GitHub Enterprise's API URL", async () => {
    const body = await status();
    expect(body, JSON.stringify(body)).toMatchObject({
      version,
      ok: true,
      postgres: { ok: true },
      redis: { ok: true },
      object_store: { kind: "fs", ok: true },
      github: { ok: true, api_url: GHE, status: 200 },
    });
    // GitHub was asked as the app (its JWT), at the Enterprise Server's /api/v3.
    const asked = github.requests({ method: "GET" }).filter((r) => r.path === "/app");
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.at(-1)?.headers.authorization).toMatch(/^bearer /i);
  });

  test("GitHub answering 500, or not in time: not ok, saying so; the rest still answers", async () => {
    gitHubAnswer = () => errorReply(500, "Server Error");
    const failing = await status();
    expect(failing.ok).toBe(false);
    expect(failing.github).toMatchObject({ ok: false, status: 500, api_url: GHE });
    expect(failing.postgres.ok && failing.redis.ok && failing.object_store.ok).toBe(true);

    // Nothing answering at all is no HTTP status, whatever Octokit's error says.
    gitHubAnswer = () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    };
    const unreachable = await status();
    expect(unreachable.github).toMatchObject({ ok: false, error: expect.stringContaining("ECONNREFUSED") });
    expect(unreachable.github.status).toBeUndefined();

    let release: () => void = () => undefined;
    gitHubAnswer = () =>
      new Promise<FakeReply>((resolve) => {
        release = () => resolve(APP);
      });
    try {
      const hanging = await status();
      expect(hanging.github).toMatchObject({ ok: false, error: `no answer within ${PROBE_MS} ms` });
      expect(hanging.postgres.ok).toBe(true);
    } finally {
      release();
      gitHubAnswer = () => APP;
    }
  });

  test("an S3 store: a real bucket answers; one at a closed port does not, and /status still answers", async () => {
    const up = await harness(new S3Store({ client: new S3Client(s3ClientConfig(s3.env)), bucket: s3.bucket }));
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await harness(
      new S3Store({ client: new S3Client(s3ClientConfig({ ...s3.env, S3_ENDPOINT: closed })), bucket: s3.bucket }),
    );
    try {
      expect((await status(up)).object_store).toEqual({ kind: "s3", ok: true, latency_ms: expect.any(Number) });
      const body = await status(down);
      expect(body.ok).toBe(false);
      expect(body.object_store).toMatchObject({ kind: "s3", ok: false, error: expect.any(String) });
      expect(body.github.ok).toBe(true);
    } finally {
      await up.close();
      await down.close();
    }
  });

  test("401 without a token, 403 without builds:read", async () => {
    expect((await h.api("GET", "/api/v1/status")).status).toBe(401);
    const other = await h.token(["configurations:write"]);
    const refused = await h.api("GET", "/api/v1/status", { token: other });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "forbidden", details: { required: "builds:read" } } });
  });
});

describe("workers' heartbeats", () => {
  let worker: RunningWorker | undefined;
  let dead: HeartbeatSender | undefined;
  afterAll(async () => {
    await worker?.close();
    await dead?.stop();
  });

  test("a worker is shown from its first beat, beats on, turns stale after 3 missed beats, and is gone once stopped", async () => {
    serverNow = T0;
    let workerNow = T0;
    worker = await startWorker({
      redisUrl: REDIS_URL,
      prefix: h.prefix,
      platform: "linux",
      executor: "host",
      concurrency: 3,
      name: "builder-1",
      cacheDir: path.join(scratch, "cache"),
      heartbeat: { intervalMs: 200, now: () => new Date(workerNow) },
    });
    const shown = (await status()).workers.find((w) => w.name === "builder-1");
    expect(shown).toMatchObject({
      platform: "linux",
      executor: "host",
      concurrency: 3,
      running: [],
      started_at: new Date(T0).toISOString(),
      last_seen: new Date(T0).toISOString(),
      stale: false,
    });
    // It beats on its own: its clock moved, and the next beat says so.
    workerNow = T0 + 5000;
    const seen = new Date(workerNow).toISOString();
    await until("the next beat", async () => (await status()).workers.some((w) => w.last_seen === seen));
    // 3 beats of 200 ms missed by the server's clock: stale just past them, not at them.
    serverNow = workerNow + 600;
    expect((await status()).workers.find((w) => w.name === "builder-1")?.stale).toBe(false);
    serverNow = workerNow + 601;
    expect((await status()).workers.find((w) => w.name === "builder-1")?.stale).toBe(true);
    await worker.close();
    worker = undefined;
    serverNow = T0;
    expect((await status()).workers.map((w) => w.name)).not.toContain("builder-1");
  });

  test("a worker that stopped beating is dropped after 60 beats; its cells shown to the tokens of their repositories only", async () => {
    serverNow = T0;
    // Its own connection, cut below: the worker is gone without a clean stop, its record left behind.
    const connection = new Redis(REDIS_URL);
    dead = await startHeartbeat({
      redis: connection,
      prefix: h.prefix,
      worker: { name: "gone-1", host: "h", platform: "linux", executor: "docker", concurrency: 2 },
      intervalMs: 10_000,
      now: () => new Date(T0),
    });
    dead.update([
      { attempt_id: "7", build_id: "3", repository: "octo/lib", cell: "linux-gcc-12-cxx17-release" },
      { attempt_id: "8", build_id: "4", repository: "other/app", cell: "linux-clang-16-cxx20-release" },
    ]);
    const limited = await h.token(["builds:read"], { repositories: ["octo/lib"] });
    const seenBy = async (token: string) =>
      ((await h.api("GET", "/api/v1/status", { token })).body as Status).workers.find((w) => w.name === "gone-1");
    await until(
      "both cells in its beat",
      async () => (await seenBy(await h.token(["builds:read"])))?.running.length === 2,
    );
    expect((await seenBy(limited))?.running.map((c) => c.repository)).toEqual(["octo/lib"]);
    connection.disconnect();

    serverNow = T0 + 600_000;
    expect((await status()).workers.find((w) => w.name === "gone-1")).toMatchObject({ stale: true });
    serverNow = T0 + 600_001;
    expect((await status()).workers.map((w) => w.name)).not.toContain("gone-1");
    // Dropped from Redis too, not only from the answer.
    expect(await redis.exists(heartbeatKey(h.prefix, "gone-1"))).toBe(0);
  });
});
