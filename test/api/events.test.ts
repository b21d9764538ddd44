/**
 * GET /api/v1/events: what the servers announce (attempt-<id>, matrix-<id>)
 * as the builds they belong to, gathered, each once, and only to callers that
 * may see their repository; a real change (a cancel) announces itself.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedBuilds } from "../../src/api/build-events.ts";
import { latestAttempts } from "../../src/db/store.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL } from "../support/app-harness.ts";

let h: ApiHarness;
let lib: string;
let other: string;
let redis: Redis;

beforeAll(async () => {
  h = await startApiHarness();
  await seedRepositories(h.database.db);
  lib = (await seedBuild(h.database.db, { repositoryId: 100, outcomes: ["in_progress"] })).id;
  other = (await seedBuild(h.database.db, { repositoryId: 101, outcomes: ["in_progress"] })).id;
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

/** Follows the feed; `next()` resolves with each `event: build` data in turn. */
async function follow(token: string) {
  const controller = new AbortController();
  const response = await fetch(`${h.server.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const events: string[] = [];
  const next = async (): Promise<unknown> => {
    for (;;) {
      const at = buffer.indexOf("\n\n");
      if (at >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        events.push(block);
        const data = /^event: build\ndata: (.*)$/m.exec(block)?.[1];
        if (data) return JSON.parse(data);
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
    }
  };
  return { next, events, close: () => controller.abort() };
}

describe("GET /api/v1/events", () => {
  it("tells the builds that changed, each once per batch, only to those who may see them", async () => {
    const libOnly = await follow(await h.token(["builds:read"], { repositories: ["octo/lib"] }));
    const everyone = await follow(await h.token(["builds:read"]));
    // Subscribed once the first follower came: wait until Redis counts the subscription.
    const channel = `${h.prefix}:changes`;
    while (((await redis.call("PUBSUB", "NUMSUB", channel)) as [string, number])[1] < 1)
      await new Promise((r) => setImmediate(r));
    const attempt = (await latestAttempts(h.database.db, lib))[0]?.attempt;
    if (!attempt) throw new Error("the seeded build has no attempt");
    await redis.publish(channel, `matrix-${other}`);
    await redis.publish(channel, `attempt-${attempt.id}`);
    await redis.publish(channel, `matrix-${lib}`);
    const seen = [await everyone.next(), await everyone.next()];
    expect(seen).toEqual([
      { id: lib, repository: "octo/lib" },
      { id: other, repository: "octo/other" },
    ]);
    expect(await libOnly.next()).toEqual({ id: lib, repository: "octo/lib" });
    // A real change: a cancel announces the build (its attempts' syncs).
    const token = await h.token(["builds:write"]);
    expect((await h.api("DELETE", `/api/v1/builds/${other}`, { token })).status).toBe(202);
    expect(await everyone.next()).toEqual({ id: other, repository: "octo/other" });
    libOnly.close();
    everyone.close();
  });

  it("maps attempts and builds to builds in one query, and ignores what is not a change", async () => {
    const attempt = (await latestAttempts(h.database.db, other))[0]?.attempt;
    if (!attempt) throw new Error("the seeded build has no attempt");
    expect(
      await changedBuilds(h.database.db, [`attempt-${attempt.id}`, `matrix-${other}`, "junk", "matrix-x"]),
    ).toEqual([{ id: other, repository: "octo/other" }]);
    expect(await changedBuilds(h.database.db, ["junk"])).toEqual([]);
  });
});
