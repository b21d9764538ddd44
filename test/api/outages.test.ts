/**
 * The API while its services are away, on a PostgreSQL and a Redis of the
 * test's own, stopped and started for real: Redis away is a /status that says
 * so (the per-token limit lets calls through rather than failing them);
 * PostgreSQL away is 503 with when to try again (tokens cannot be checked),
 * and both come back without a restart of the server.
 */

import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mintToken } from "../../src/api/tokens.ts";
import { connect } from "../../src/db/connect.ts";
import { insertToken } from "../../src/db/tokens.ts";
import type { RunningServer } from "../../src/server.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { openApiValidator } from "../support/api-harness.ts";
import { startTestServer, until } from "../support/app-harness.ts";
import { type FakeGitHub, fakeGitHub } from "../support/github.ts";
import { validateGitHubRequest } from "../support/openapi.ts";
import { type OwnPostgres, type OwnRedis, ownPostgres, ownRedis } from "../support/own-services.ts";

const GHE = "https://ghe.example.com/api/v3";
let pg: OwnPostgres;
let redis: OwnRedis;
let server: RunningServer;
let github: FakeGitHub;
let token: string;
let scratch: string;
let check: Awaited<ReturnType<typeof openApiValidator>>["check"];

beforeAll(async () => {
  validateGitHubRequest("GET", "/app", undefined);
  github = fakeGitHub(GHE);
  github.reply("GET", "/app", () => ({ status: 200, body: { id: 1, slug: "heimdall-build" } }));
  [pg, redis] = await Promise.all([ownPostgres(), ownRedis()]);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-outage-"));
  server = await startTestServer({
    databaseUrl: pg.url,
    redisUrl: redis.url,
    prefix: `heimdall-outage-${randomBytes(4).toString("hex")}`,
    baseUrl: GHE,
    probeTimeoutMs: 1500,
    store: new FsStore(scratch),
  });
  const minted = mintToken();
  const db = connect(pg.url, { max: 1 });
  await insertToken(db, {
    name: "ops",
    prefix: minted.prefix,
    hash: minted.hash,
    scopes: ["builds:read"],
    repositories: null,
    expiresAt: null,
  });
  await db.destroy();
  token = minted.token;
  ({ check } = await openApiValidator(server.url));
}, 120_000);

afterAll(async () => {
  await server?.close();
  await pg?.destroy();
  await redis?.stop();
  github?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function status() {
  const response = await fetch(`${server.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as {
    ok?: boolean;
    redis?: { ok: boolean };
    postgres?: { ok: boolean };
    error?: { code: string };
  };
  check("GET", "/api/v1/status", response.status, response.headers.get("content-type") ?? "", body);
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
}

describe("the API while its services are away", () => {
  test("Redis away: /status answers, saying so; back, it says so too", async () => {
    const up = (await status()).body;
    expect(up, JSON.stringify(up)).toMatchObject({ ok: true, redis: { ok: true } });
    await redis.stop();
    const down = await status();
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ ok: false, redis: { ok: false }, postgres: { ok: true } });
    await redis.start();
    await until("Redis back in /status", async () => (await status()).body.redis?.ok === true, 30_000);
  }, 60_000);

  test("PostgreSQL away: 503 with when to try again, not a 500; back, the same token works", async () => {
    // Tokens are kept in memory only while revocations are heard: PostgreSQL away, none is.
    if (!server.tokens.listening) await once(server.tokens, "listening");
    expect((await status()).status).toBe(200);
    expect(server.tokens.size).toBe(1);
    const deaf = once(server.tokens, "listening");
    await pg.stop();
    await deaf;
    expect(server.tokens.size).toBe(0);
    const down = await status();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: { code: "unavailable" } });
    expect(down.retryAfter).toBe("5");
    await pg.start();
    await until("PostgreSQL back", async () => (await status()).status === 200, 30_000);
    await until("revocations heard again", async () => server.tokens.listening, 30_000);
    expect((await status()).body).toMatchObject({ ok: true, postgres: { ok: true } });
  }, 90_000);
});
