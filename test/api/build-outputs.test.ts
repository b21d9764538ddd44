/** A build's logs, artifacts and SBOMs through /api/v1/builds/{id}/…, against the real server, Redis and object stores. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { latestAttempts } from "../../src/db/store.ts";
import { LiveLogPublisher } from "../../src/queue/live-log.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { artifactKey, logKey, projectSbomKey, sbomKey } from "../../src/storage/keys.ts";
import { createObjectStore } from "../../src/storage/object-store.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL, until } from "../support/app-harness.ts";
import { startS3 } from "../support/s3.ts";

let h: ApiHarness;
let scratch: string;
let store: FsStore;
let redis: Redis;
let reader: string;
let build: string;
let cells: { key: string; attemptId: string }[];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-outputs-"));
  store = new FsStore(path.join(scratch, "objects"));
  redis = new Redis(REDIS_URL);
  h = await startApiHarness({ store });
  await seedRepositories(h.database.db);
  reader = await h.token(["builds:read"]);
  build = (await seedBuild(h.database.db, { outcomes: ["failure", "in_progress"] })).id;
  const latest = await latestAttempts(h.database.db, build);
  cells = latest.map(({ cell, attempt }) => ({ key: cell.key, attemptId: attempt.id }));
  const [failed] = cells;
  if (!failed) throw new Error("no cells");
  const key = logKey(build, failed.key, 1);
  await store.put(key, "[1/2] configure\nerror: no such file\n");
  await h.database.db.updateTable("attempts").set({ log_key: key }).where("id", "=", failed.attemptId).execute();
  await store.put(artifactKey(build, failed.key, 1, "build/hello"), Buffer.from([0, 1, 2]));
  await store.put(artifactKey(build, failed.key, 1, "report.txt"), "fine\n");
  await store.put(sbomKey(build, failed.key, 1), '{"bomFormat":"CycloneDX"}');
  await store.put(projectSbomKey(build, failed.key, 1, "lib.spdx.json"), '{"spdxVersion":"SPDX-2.3"}');
});
afterAll(async () => {
  await h?.close();
  redis?.disconnect();
  await rm(scratch, { recursive: true, force: true });
});

const get = (route: string) => h.api("GET", `/api/v1/builds/${build}${route}`, { token: reader });

describe("logs", () => {
  it("lists each attempt's log, and serves a finished one's stored log as text", async () => {
    const [failed, running] = cells;
    const index = (await get("/logs")).body as { logs: { cell: string; live: boolean; url: string }[] };
    expect(index.logs.map((l) => [l.cell, l.live])).toEqual([
      [failed?.key, false],
      [running?.key, true],
    ]);
    const log = await get(`/logs/${failed?.key}`);
    expect(log.status).toBe(200);
    expect(log.headers.get("content-type")).toContain("text/plain");
    expect(log.text).toBe("[1/2] configure\nerror: no such file\n");
    expect((await get(`/logs/${failed?.key}?attempt=2`)).status).toBe(404);
    expect((await get("/logs/no-such-cell")).status).toBe(404);
    const skipped = (await latestAttempts(h.database.db, build)).find(({ cell }) => cell.skip_reason !== null);
    const none = await get(`/logs/${skipped?.cell.key}`);
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ error: { message: expect.stringContaining("has no log") } });
  });

  it("serves a stored log's parts by Range (its tail first, then the page before), 416 past its end", async () => {
    const [failed] = cells;
    const part = async (range: string) => {
      const answer = await h.api("GET", `/api/v1/builds/${build}/logs/${failed?.key}`, {
        token: reader,
        headers: { range },
      });
      return [answer.status, answer.headers.get("content-range"), answer.text];
    };
    // "[1/2] configure\nerror: no such file\n" is 36 bytes.
    expect(await part("bytes=-13")).toEqual([206, "bytes 23-35/36", "no such file\n"]);
    expect(await part("bytes=0-15")).toEqual([206, "bytes 0-15/36", "[1/2] configure\n"]);
    expect(await part("bytes=16-")).toEqual([206, "bytes 16-35/36", "error: no such file\n"]);
    const past = await fetch(`${h.server.url}/api/v1/builds/${build}/logs/${failed?.key}`, {
      headers: { authorization: `Bearer ${reader}`, range: "bytes=36-" },
    });
    expect([past.status, past.headers.get("content-range")]).toEqual([416, "bytes */36"]);
    // Not one range: the whole log.
    expect((await part("bytes=0-1,4-5"))[0]).toBe(200);
  });

  it("gives a running cell's live tail, and with follow=1 streams it until the attempt ends", async () => {
    const running = cells[1];
    const publisher = new LiveLogPublisher(redis, h.prefix, running?.attemptId ?? "");
    await publisher.start();
    publisher.write("[1/3] configure\n");
    // The publisher sends in batches: the tail has the line once its batch is in Redis.
    const tail = await until("the live tail", async () => {
      const answer = await get(`/logs/${running?.key}`);
      return answer.text.includes("[1/3] configure\n") && answer;
    });
    expect(tail.headers.get("x-heimdall-state")).toBe("running");

    const response = await fetch(`${h.server.url}/api/v1/builds/${build}/logs/${running?.key}?follow=1`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    const reader_ = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader_?.read())?.value);
    // The follower has its first chunk, so it is in its loop: what is printed now reaches it.
    publisher.write("[2/3] build\n");
    await publisher.end("success");
    for (;;) {
      const chunk = await reader_?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).toContain("[1/3] configure\n");
    expect(text.endsWith("[2/3] build\n")).toBe(true);
  });
});

describe("artifacts and SBOMs", () => {
  it("lists what the cells kept and serves each file, binaries as attachments, untrusted text never as a page", async () => {
    const failed = cells[0]?.key;
    const { artifacts } = (await get("/artifacts")).body as {
      artifacts: { path: string; size: number; url: string }[];
    };
    expect(artifacts.map((a) => [a.path, a.size])).toEqual([
      ["build/hello", 3],
      ["report.txt", 5],
    ]);
    const binary = await fetch(h.server.url + new URL(artifacts[0]?.url ?? "", "http://x").pathname, {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(binary.status).toBe(200);
    expect(binary.headers.get("content-disposition")).toBe('attachment; filename="hello"');
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2]);
    const text = await get(`/artifacts/${failed}/1/report.txt`);
    expect(text.headers.get("content-security-policy")).toBe("sandbox");
    expect(text.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await get(`/artifacts/${failed}/1/missing`)).status).toBe(404);
    expect((await get(`/artifacts/${failed}/1/..%2F..%2Fsecrets`)).status).toBe(404);

    const { sboms } = (await get("/sboms")).body as { sboms: { kind: string; path: string }[] };
    expect(sboms.map((s) => [s.kind, s.path])).toEqual([
      ["image", "1.cdx.json"],
      ["project", "lib.spdx.json"],
    ]);
    expect((await get(`/sboms/${failed}/1.cdx.json`)).text).toBe('{"bomFormat":"CycloneDX"}');
  });

  it("sends S3's objects to a short-lived presigned URL", async () => {
    const s3 = await startS3();
    const s3h = await startApiHarness({ store: createObjectStore(s3.env) });
    try {
      await seedRepositories(s3h.database.db);
      const token = await s3h.token(["builds:read"]);
      const id = (await seedBuild(s3h.database.db, { outcomes: ["success"] })).id;
      const [first] = await latestAttempts(s3h.database.db, id);
      await createObjectStore(s3.env).put(artifactKey(id, first?.cell.key ?? "", 1, "out.bin"), "bytes");
      const response = await fetch(`${s3h.server.url}/api/v1/builds/${id}/artifacts/${first?.cell.key}/1/out.bin`, {
        headers: { authorization: `Bearer ${token}` },
        redirect: "manual",
      });
      expect(response.status).toBe(302);
      const location = response.headers.get("location") ?? "";
      expect(location).toContain("X-Amz-Expires=300");
      expect(await (await fetch(location)).text()).toBe("bytes");
    } finally {
      await s3h.close();
      await s3.stop();
    }
  });
});
