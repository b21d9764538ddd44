import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/api/routes.ts";
import { LiveLogPublisher, TAIL_ENTRIES } from "../../src/queue/live-log.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { Links, liveLogLink, liveLogPath } from "../../src/storage/links.ts";
import { createObjectStore } from "../../src/storage/object-store.ts";
import { MAX_LINK_SECONDS, UrlSigner } from "../../src/storage/url-signer.ts";
import { clearRedisPrefix, REDIS_URL } from "../support/app-harness.ts";
import { startS3, type TestS3 } from "../support/s3.ts";

const PREPARING = "[heimdall-build: preparing the cell: image, source]\n";
const prefix = `heimdall-api-${randomBytes(4).toString("hex")}`;
const signer = new UrlSigner("a test secret of enough length");
let scratch: string;
let redis: Redis;
let store: FsStore;
let server: Server;
let base: string;

async function serve(handler: ReturnType<typeof apiRoutes>): Promise<{ server: Server; base: string }> {
  const http = createServer((request, response) => {
    void handler(request, response).then((answered) => {
      if (!answered) response.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { server: http, base: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-api-"));
  redis = new Redis(REDIS_URL);
  store = new FsStore(path.join(scratch, "objects"));
  ({ server, base } = await serve(apiRoutes({ store, signer, redis, prefix, followBlockMs: 200 })));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis.disconnect();
  await clearRedisPrefix(prefix);
  await rm(scratch, { recursive: true, force: true });
});

describe("UrlSigner", () => {
  it("accepts its own links until they expire, and nothing altered", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    const link = new URL(signer.sign("/api/v1/objects/logs/1/a/1.log", 60, now), "http://x");
    const verify = (pathname: string, query: URLSearchParams, at = now) => signer.verify(pathname, query, at);
    expect(verify(link.pathname, link.searchParams)).toBe("ok");
    expect(verify(link.pathname, link.searchParams, now + 61_000)).toBe("expired");
    expect(verify("/api/v1/objects/logs/1/a/2.log", link.searchParams)).toBe("invalid");
    const later = new URLSearchParams(link.searchParams);
    later.set("expires", String(Number(later.get("expires")) + 3600));
    expect(verify(link.pathname, later)).toBe("invalid");
    expect(verify(link.pathname, new URLSearchParams())).toBe("invalid");
    expect(new UrlSigner("another secret, just as long").verify(link.pathname, link.searchParams, now)).toBe("invalid");
    // No link lives longer than the maximum, whatever is asked.
    const long = new URL(signer.sign("/p", 10 * MAX_LINK_SECONDS, now), "http://x");
    expect(Number(long.searchParams.get("expires"))).toBe(now / 1000 + MAX_LINK_SECONDS);
    expect(() => new UrlSigner("short")).toThrow(/at least 16/);
  });
});

describe("GET /api/v1/objects/<key>", () => {
  it("serves a stored object to its signed link only, untrusted content never rendered", async () => {
    const links = new Links({ store, signer, publicUrl: base });
    await store.put("logs/7/linux-gcc-12/1.log", "hello from the build\n");
    await store.put("artifacts/7/linux-gcc-12/1/build/hello", Buffer.from([0, 1, 2, 3]));

    const log = await fetch(await links.object("logs/7/linux-gcc-12/1.log"));
    expect(log.status).toBe(200);
    expect(log.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(log.headers.get("x-content-type-options")).toBe("nosniff");
    expect(log.headers.get("content-security-policy")).toBe("sandbox");
    expect(await log.text()).toBe("hello from the build\n");

    const artifactLink = await links.object("artifacts/7/linux-gcc-12/1/build/hello");
    const artifact = await fetch(artifactLink);
    expect(artifact.status).toBe(200);
    expect(artifact.headers.get("content-disposition")).toBe('attachment; filename="hello"');
    expect(Buffer.from(await artifact.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 3]));

    // Unsigned, altered or for another key: refused.
    expect((await fetch(`${base}/api/v1/objects/logs/7/linux-gcc-12/1.log`)).status).toBe(403);
    const other = new URL(await links.object("logs/7/linux-gcc-12/1.log"));
    other.pathname = "/api/v1/objects/logs/7/linux-gcc-12/2.log";
    expect((await fetch(other)).status).toBe(403);
    // Signed but not a valid key (a way out of the store), or not there: nothing.
    expect((await fetch(base + signer.sign("/api/v1/objects/..%2F..%2Fetc/passwd", 60))).status).toBe(404);
    expect((await fetch(base + signer.sign("/api/v1/objects/logs/7/none.log", 60))).status).toBe(404);
    expect((await fetch(base + signer.sign("/api/v1/objects/logs/%E0%A4%A", 60))).status).toBe(400);
    expect((await fetch(`${base}/api/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(418); // left to the next handler
  });

  it("refuses every link when the server has no secret", async () => {
    const { server: bare, base: bareBase } = await serve(apiRoutes({ store, signer: null, redis, prefix }));
    try {
      const response = await fetch(bareBase + signer.sign("/api/v1/objects/logs/7/linux-gcc-12/1.log", 60));
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/HEIMDALL_URL_SECRET/);
    } finally {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });

  it("sends S3's objects to a fresh presigned URL", async () => {
    const s3: TestS3 = await startS3();
    const s3Store = createObjectStore(s3.env);
    const { server: front, base: frontBase } = await serve(apiRoutes({ store: s3Store, signer, redis, prefix }));
    try {
      await s3Store.put("sboms/9/cell/1.cdx.json", '{"bomFormat":"CycloneDX"}');
      const link = await new Links({ store: s3Store, signer, publicUrl: frontBase }).object("sboms/9/cell/1.cdx.json");
      const redirect = await fetch(link, { redirect: "manual" });
      expect(redirect.status).toBe(302);
      const location = redirect.headers.get("location") ?? "";
      expect(location).toContain("X-Amz-Signature=");
      expect(await (await fetch(location)).text()).toBe('{"bomFormat":"CycloneDX"}');
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await s3.stop();
    }
  });
});

describe("GET /api/v1/attempts/<id>/log", () => {
  it("serves the running attempt's tail, follows it as the worker prints, and ends with the attempt", async () => {
    const publisher = new LiveLogPublisher(redis, prefix, "31");
    await publisher.start();
    publisher.write("[1/3] configure\n");
    publisher.write("[2/3] build\n");
    await new Promise((resolve) => setTimeout(resolve, 400));

    const link = liveLogLink(signer, base, "31") ?? "";
    const tail = await fetch(link);
    expect(tail.headers.get("x-heimdall-state")).toBe("running");
    expect(await tail.text()).toBe(`${PREPARING}[1/3] configure\n[2/3] build\n`);

    // A follower sees what comes next, then the response ends with the attempt.
    const followed = fetch(`${link}&follow=1`).then((response) => response.text());
    await new Promise((resolve) => setTimeout(resolve, 300));
    publisher.write("[3/3] test\n100% tests passed\n");
    await publisher.end("success");
    expect(await followed).toBe(`${PREPARING}[1/3] configure\n[2/3] build\n[3/3] test\n100% tests passed\n`);

    const after = await fetch(link);
    expect(after.headers.get("x-heimdall-state")).toBe("success");

    expect((await fetch(base + liveLogPath("31"))).status).toBe(403);
    const none = await fetch(liveLogLink(signer, base, "999999") ?? "");
    expect(none.status).toBe(404);
  });

  it("keeps only the end of a long log, in bounded entries", async () => {
    const publisher = new LiveLogPublisher(redis, prefix, "32");
    await publisher.start();
    const line = `${"x".repeat(99)}\n`;
    for (let i = 0; i < 20_000; i++) publisher.write(line); // 2 MB, far more than is kept
    publisher.write("the last line\n");
    await publisher.end("failure");
    const entries = await redis.xlen(`${prefix}:live-log:32`);
    expect(entries).toBeLessThanOrEqual(TAIL_ENTRIES + 128);
    const text = await (await fetch(liveLogLink(signer, base, "32") ?? "")).text();
    expect(text.endsWith("the last line\n")).toBe(true);
    expect(text.length).toBeLessThan(2_000_000);
    expect(await redis.ttl(`${prefix}:live-log:32`)).toBeGreaterThan(0);
  });
});
