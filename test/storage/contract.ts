/**
 * What every ObjectStore does, run against each store by its own test file.
 */

import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ByteRange } from "../../src/storage/byte-range.ts";
import { InvalidKeyError } from "../../src/storage/keys.ts";
import { truncationMarker } from "../../src/storage/metered.ts";
import type { ObjectStore } from "../../src/storage/object-store.ts";

export const MiB = 1024 * 1024;

export interface StoreHarness {
  readonly store: ObjectStore;
  /**
   * Bytes the store has passed on so far (written to its file, or parts
   * acknowledged by the server), counted over the harness's life.
   */
  passedOn(): Promise<number>;
  /** How far reading may run ahead of passedOn() while a body streams in. */
  readonly maxLead: number;
  close(): Promise<void>;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function digest(stream: NodeJS.ReadableStream): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = Buffer.from(chunk);
    hash.update(buffer);
    bytes += buffer.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Chunk i of a large body: 1 MiB, different for each i. */
export function bigChunk(i: number): Buffer {
  return Buffer.alloc(MiB, `chunk ${i} of a large body; `);
}

/** A stream that reads no more from its generator than its consumer asks for. */
export function lazyStream(chunks: AsyncIterable<Buffer>): Readable {
  return Readable.from(chunks, { objectMode: false, highWaterMark: 1 });
}

export function failingBody(chunks: number, error: Error): Readable {
  return lazyStream(
    (async function* () {
      for (let i = 0; i < chunks; i++) yield bigChunk(i);
      throw error;
    })(),
  );
}

export const HOSTILE_KEYS = [
  "../x",
  "/etc/passwd",
  "a/../../b",
  "a\0b",
  "\0",
  "",
  ".",
  "..",
  "a/..",
  "./a",
  "a/./b",
  "a//b",
  "a/",
  "a b",
  "a\\..\\b",
  "%2e%2e/x",
  "a/\n/b",
  "é",
  "x".repeat(256),
];

export function describeObjectStore(name: string, open: () => Promise<StoreHarness>): void {
  describe(`${name}: the ObjectStore contract`, () => {
    let harness: StoreHarness;
    let store: ObjectStore;
    let ns: string;

    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.close();
    });
    beforeEach(() => {
      ns = `t-${randomUUID().slice(0, 8)}`;
    });

    it("round-trips a small text body with its size and sha256", async () => {
      const text = "héllo, wörld\n";
      const result = await store.put(`${ns}/hello.txt`, text, { contentType: "text/plain; charset=utf-8" });
      expect(result).toEqual({ bytes: Buffer.byteLength(text), sha256: sha256(text), truncated: false });
      const stream = await store.get(`${ns}/hello.txt`);
      expect(stream).not.toBeNull();
      expect((await readAll(stream as NodeJS.ReadableStream)).toString("utf8")).toBe(text);
    });

    it("round-trips a Buffer body and an empty body", async () => {
      const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
      expect(await store.put(`${ns}/bin`, bytes)).toEqual({ bytes: 8, sha256: sha256(bytes), truncated: false });
      expect(await readAll((await store.get(`${ns}/bin`)) as NodeJS.ReadableStream)).toEqual(bytes);

      expect(await store.put(`${ns}/empty`, "")).toEqual({ bytes: 0, sha256: sha256(""), truncated: false });
      expect(await readAll((await store.get(`${ns}/empty`)) as NodeJS.ReadableStream)).toEqual(Buffer.alloc(0));
      expect(await store.list(`${ns}/empty`)).toEqual([{ key: `${ns}/empty`, size: 0 }]);
    });

    it("streams a 20 MiB body in as it stores it, and back out", { timeout: 120_000 }, async () => {
      const count = 20;
      const expected = createHash("sha256");
      for (let i = 0; i < count; i++) expected.update(bigChunk(i));
      const expectedSha = expected.digest("hex");

      let yielded = 0;
      let maxLead = 0;
      const start = await harness.passedOn();
      const body = lazyStream(
        (async function* () {
          for (let i = 0; i < count; i++) {
            // The store has asked for chunk i: how much of what it was given has it not passed on?
            maxLead = Math.max(maxLead, yielded - ((await harness.passedOn()) - start));
            const chunk = bigChunk(i);
            yielded += chunk.length;
            yield chunk;
          }
        })(),
      );
      const result = await store.put(`${ns}/big.bin`, body, { contentType: "application/octet-stream" });
      expect(result).toEqual({ bytes: count * MiB, sha256: expectedSha, truncated: false });
      // A store holding the whole body before writing would be 19 MiB ahead by the last chunk.
      expect(maxLead).toBeLessThanOrEqual(harness.maxLead);
      expect(maxLead).toBeLessThan((count - 1) * MiB);

      expect(await digest((await store.get(`${ns}/big.bin`)) as NodeJS.ReadableStream)).toEqual({
        bytes: count * MiB,
        sha256: expectedSha,
      });
      expect(await store.list(`${ns}/`)).toEqual([{ key: `${ns}/big.bin`, size: count * MiB }]);
    });

    it("cuts a body longer than maxBytes, appends the marker, and stops reading it", async () => {
      let pulled = 0;
      let closed = false;
      const body = lazyStream(
        (async function* () {
          try {
            for (let i = 0; i < 1000; i++) {
              pulled++;
              yield Buffer.alloc(1000, String.fromCharCode(97 + (i % 26)));
            }
          } finally {
            closed = true;
          }
        })(),
      );
      const result = await store.put(`${ns}/build.log`, body, { contentType: "text/plain", maxBytes: 2500 });
      const stored = Buffer.concat([
        Buffer.alloc(1000, "a"),
        Buffer.alloc(1000, "b"),
        Buffer.alloc(500, "c"),
        Buffer.from("\n[heimdall-build: cut at 2500 bytes]\n"),
      ]);
      expect(truncationMarker(2500)).toBe("\n[heimdall-build: cut at 2500 bytes]\n");
      expect(result).toEqual({ bytes: stored.length, sha256: sha256(stored), truncated: true });
      expect(await readAll((await store.get(`${ns}/build.log`)) as NodeJS.ReadableStream)).toEqual(stored);
      expect(pulled).toBeLessThanOrEqual(4);
      await vi.waitFor(() => expect(closed).toBe(true));
    });

    it("keeps a body of at most maxBytes whole", async () => {
      const exact = lazyStream(
        (async function* () {
          yield Buffer.alloc(50, "x");
          yield Buffer.alloc(50, "y");
        })(),
      );
      const whole = Buffer.concat([Buffer.alloc(50, "x"), Buffer.alloc(50, "y")]);
      expect(await store.put(`${ns}/exact.log`, exact, { maxBytes: 100 })).toEqual({
        bytes: 100,
        sha256: sha256(whole),
        truncated: false,
      });
      expect(await store.put(`${ns}/short.log`, "short", { maxBytes: 100 })).toMatchObject({
        bytes: 5,
        truncated: false,
      });
      expect(await store.put(`${ns}/none.log`, "", { maxBytes: 0 })).toMatchObject({ bytes: 0, truncated: false });

      const marker = truncationMarker(0);
      expect(await store.put(`${ns}/zero.log`, "anything", { maxBytes: 0 })).toEqual({
        bytes: Buffer.byteLength(marker),
        sha256: sha256(marker),
        truncated: true,
      });
      expect((await readAll((await store.get(`${ns}/zero.log`)) as NodeJS.ReadableStream)).toString()).toBe(marker);
      await expect(store.put(`${ns}/bad.log`, "x", { maxBytes: -1 })).rejects.toThrow(RangeError);
    });

    it("lists by string prefix, in key order, with sizes", async () => {
      await store.put(`${ns}/a/2`, "22");
      await store.put(`${ns}/a/1`, "1");
      await store.put(`${ns}/a/deep/er/3`, "333");
      await store.put(`${ns}/ab/4`, "4444");
      await store.put(`${ns}/b/5`, "55555");

      expect(await store.list(`${ns}/a/`)).toEqual([
        { key: `${ns}/a/1`, size: 1 },
        { key: `${ns}/a/2`, size: 2 },
        { key: `${ns}/a/deep/er/3`, size: 3 },
      ]);
      expect((await store.list(`${ns}/a`)).map((o) => o.key)).toEqual([
        `${ns}/a/1`,
        `${ns}/a/2`,
        `${ns}/a/deep/er/3`,
        `${ns}/ab/4`,
      ]);
      expect((await store.list(`${ns}/`)).map((o) => o.key)).toEqual([
        `${ns}/a/1`,
        `${ns}/a/2`,
        `${ns}/a/deep/er/3`,
        `${ns}/ab/4`,
        `${ns}/b/5`,
      ]);
      expect((await store.list(`${ns}/a/de`)).map((o) => o.key)).toEqual([`${ns}/a/deep/er/3`]);
      expect(await store.list(`${ns}/c`)).toEqual([]);
      expect(await store.list(`${ns}-nothing/`)).toEqual([]);
      const everything = (await store.list("")).map((o) => o.key);
      expect(everything).toEqual(expect.arrayContaining([`${ns}/a/1`, `${ns}/b/5`]));
    });

    it("replaces an object put again", async () => {
      await store.put(`${ns}/k`, "first version");
      await store.put(`${ns}/k`, "second");
      expect((await readAll((await store.get(`${ns}/k`)) as NodeJS.ReadableStream)).toString()).toBe("second");
      expect(await store.list(`${ns}/`)).toEqual([{ key: `${ns}/k`, size: 6 }]);
    });

    it("deletes, and deleting what is not there is no error", async () => {
      await store.put(`${ns}/x/gone`, "bye");
      await store.put(`${ns}/x/kept`, "stay");
      await store.delete(`${ns}/x/gone`);
      expect(await store.get(`${ns}/x/gone`)).toBeNull();
      expect(await store.list(`${ns}/`)).toEqual([{ key: `${ns}/x/kept`, size: 4 }]);
      await store.delete(`${ns}/x/gone`);
      await store.delete(`${ns}/never/was`);
      await store.delete(`${ns}/x/kept`);
      expect(await store.list(`${ns}/`)).toEqual([]);
    });

    it("reads a part: a range, one open to the end, the last n bytes; past the end is RangeNotSatisfiable", async () => {
      const text = "0123456789abcdef";
      await store.put(`${ns}/part.log`, text);
      const read = async (range: ByteRange) => {
        const part = await store.getRange(`${ns}/part.log`, range);
        if (!part) throw new Error("no part");
        return [(await readAll(part.body)).toString(), part.start, part.end, part.size];
      };
      expect(await read({ start: 2, end: 5 })).toEqual(["2345", 2, 5, 16]);
      expect(await read({ start: 10 })).toEqual(["abcdef", 10, 15, 16]);
      expect(await read({ start: 14, end: 99 })).toEqual(["ef", 14, 15, 16]);
      expect(await read({ suffix: 4 })).toEqual(["cdef", 12, 15, 16]);
      expect(await read({ suffix: 99 })).toEqual([text, 0, 15, 16]);
      await expect(store.getRange(`${ns}/part.log`, { start: 16 })).rejects.toMatchObject({
        name: "RangeNotSatisfiable",
        size: 16,
      });
      expect(await store.getRange(`${ns}/none.log`, { suffix: 4 })).toBeNull();
    });

    it("gives null for a key with no object", async () => {
      expect(await store.get(`${ns}/missing.log`)).toBeNull();
      await store.put(`${ns}/dir/file`, "f");
      expect(await store.get(`${ns}/dir`)).toBeNull();
    });

    it("stores nothing when the body stream fails", { timeout: 60_000 }, async () => {
      const boom = new Error("the container went away");
      await expect(store.put(`${ns}/small-fail`, failingBody(1, boom))).rejects.toBe(boom);
      // Past one part: on S3 a multipart upload was started and must not complete.
      await expect(store.put(`${ns}/big-fail`, failingBody(12, boom))).rejects.toBe(boom);
      expect(await store.get(`${ns}/small-fail`)).toBeNull();
      expect(await store.get(`${ns}/big-fail`)).toBeNull();
      expect(await store.list(`${ns}/`)).toEqual([]);
    });

    it("refuses hostile keys and prefixes", async () => {
      for (const key of HOSTILE_KEYS) {
        await expect(store.put(key, "pwned"), JSON.stringify(key)).rejects.toThrow(InvalidKeyError);
        await expect(store.get(key), JSON.stringify(key)).rejects.toThrow(InvalidKeyError);
        await expect(store.delete(key), JSON.stringify(key)).rejects.toThrow(InvalidKeyError);
        await expect(store.url(key), JSON.stringify(key)).rejects.toThrow(InvalidKeyError);
      }
      for (const prefix of ["../", "/etc", "a/../", "a//", "..//x", "a\0", "a b"]) {
        await expect(store.list(prefix), JSON.stringify(prefix)).rejects.toThrow(InvalidKeyError);
      }
    });
  });
}
