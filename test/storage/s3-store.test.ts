import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createObjectStore, s3ClientConfig } from "../../src/storage/object-store.ts";
import { S3Store } from "../../src/storage/s3-store.ts";
import { startS3, type TestS3 } from "../support/s3.ts";
import { bigChunk, describeObjectStore, lazyStream, MiB, readAll } from "./contract.ts";

interface Counts {
  commands: Map<string, number>;
  /** Bytes of PutObject and UploadPart requests the server acknowledged. */
  uploaded: number;
}

/** Counts the commands the store's client sends, and the body bytes it got acknowledged. */
function count(client: S3Client): Counts {
  const counts: Counts = { commands: new Map(), uploaded: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const name = context.commandName ?? "?";
      counts.commands.set(name, (counts.commands.get(name) ?? 0) + 1);
      const input = args.input as { Body?: unknown };
      if ((name === "UploadPartCommand" || name === "PutObjectCommand") && input.Body instanceof Uint8Array) {
        counts.uploaded += input.Body.byteLength;
      }
      return output;
    },
    { step: "initialize", name: "heimdallTestCounter" },
  );
  return counts;
}

function storeOn(s3: TestS3): S3Store {
  const store = createObjectStore(s3.env);
  expect(store).toBeInstanceOf(S3Store);
  return store as S3Store;
}

describeObjectStore("S3Store on s3rver", async () => {
  const s3 = await startS3();
  const store = storeOn(s3);
  const counts = count(store.client);
  return {
    store,
    passedOn: async () => counts.uploaded,
    // queueSize (2) parts of 5 MiB uploading, the next part's first 1 MiB
    // chunk in lib-storage's chunker (it cuts a part once it holds more), and
    // a chunk in each of the two streams between the test's generator and it.
    maxLead: 2 * 5 * MiB + 3 * MiB,
    async close() {
      try {
        expect(s3.refused, "correctly signed requests the server refused").toEqual([]);
      } finally {
        await s3.stop();
      }
    },
  };
});

describe("S3Store", () => {
  let s3: TestS3;
  let store: S3Store;
  let counts: Counts;

  beforeAll(async () => {
    s3 = await startS3("heimdall-own-test");
    store = storeOn(s3);
    counts = count(store.client);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it("sends a small body as one PutObject, a 20 MiB stream as a multipart upload", { timeout: 60_000 }, async () => {
    counts.commands.clear();
    await store.put("small/one", "tiny");
    expect(Object.fromEntries(counts.commands)).toEqual({ PutObjectCommand: 1 });

    counts.commands.clear();
    const body = lazyStream(
      (async function* () {
        for (let i = 0; i < 20; i++) yield bigChunk(i);
      })(),
    );
    expect(await store.put("big/multipart", body)).toMatchObject({ bytes: 20 * MiB, truncated: false });
    expect(Object.fromEntries(counts.commands)).toEqual({
      CreateMultipartUploadCommand: 1,
      UploadPartCommand: 4, // 5 MiB parts
      CompleteMultipartUploadCommand: 1,
    });
    expect(await store.list("big/")).toEqual([{ key: "big/multipart", size: 20 * MiB }]);
  });

  it("stores the content type", async () => {
    await store.put("typed/log", "hello", { contentType: "text/plain; charset=utf-8" });
    const head = await store.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "typed/log" }));
    expect(head.ContentType).toBe("text/plain; charset=utf-8");
    expect(head.ContentLength).toBe(5);
  });

  it("gives a presigned GET that fetch() opens, that is signed, and that expires", { timeout: 20_000 }, async () => {
    await store.put("signed/build.log", "the log\n", { contentType: "text/plain" });
    const signedAt = Date.now();
    const url = await store.url("signed/build.log", 2);
    expect(url.startsWith(`${s3.endpoint}/${s3.bucket}/signed/build.log?`)).toBe(true);
    expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("2");

    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/plain");
    expect(await ok.text()).toBe("the log\n");

    const tampered = new URL(url);
    const signature = tampered.searchParams.get("X-Amz-Signature") ?? "";
    tampered.searchParams.set("X-Amz-Signature", `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`);
    const forged = await fetch(tampered);
    expect(forged.status).toBe(403);
    await forged.body?.cancel();

    const otherKey = new URL(url);
    otherKey.pathname = `/${s3.bucket}/signed/other.log`;
    const elsewhere = await fetch(otherKey);
    expect(elsewhere.status).toBe(403);
    await elsewhere.body?.cancel();

    // Signed with a whole-second date; past date + 2 s it is refused.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedAt + 3_100 - Date.now())));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/i);
  });

  it("gives an hour by default and refuses expiry times S3 cannot sign", async () => {
    const url = new URL(await store.url("signed/build.log"));
    expect(url.searchParams.get("X-Amz-Expires")).toBe("3600");
    await expect(store.url("signed/build.log", 0)).rejects.toThrow(RangeError);
    await expect(store.url("signed/build.log", 7 * 24 * 3600 + 1)).rejects.toThrow(RangeError);
    await expect(store.url("signed/build.log", 1.5)).rejects.toThrow(RangeError);
  });

  it("is refused by the server with the wrong secret", async () => {
    const wrong = createObjectStore({ ...s3.env, S3_SECRET_ACCESS_KEY: "not-the-secret" }) as S3Store;
    await expect(wrong.put("wrong/key", "x")).rejects.toMatchObject({ name: "SignatureDoesNotMatch" });
    await expect(wrong.list("wrong/")).rejects.toMatchObject({ name: "SignatureDoesNotMatch" });
    const url = await wrong.url("signed/build.log");
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("SignatureDoesNotMatch");
    expect(await store.get("wrong/key")).toBeNull();
  });

  it("reads a missing key as null and one written by another client", async () => {
    expect(await store.get("nothing/here")).toBeNull();
    const other = storeOn(s3);
    await other.put("shared/obj", "from another process");
    expect((await readAll((await store.get("shared/obj")) as NodeJS.ReadableStream)).toString()).toBe(
      "from another process",
    );
  });
});

describe("createObjectStore for S3", () => {
  it("is S3 when S3_BUCKET is set, with the endpoint, path style and keys given", async () => {
    const config = s3ClientConfig({
      S3_BUCKET: "logs",
      S3_ENDPOINT: "http://127.0.0.1:9000",
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
      S3_FORCE_PATH_STYLE: "1",
    });
    expect(config).toMatchObject({
      endpoint: "http://127.0.0.1:9000",
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    const store = createObjectStore({ S3_BUCKET: "logs", S3_REGION: "eu-west-1" });
    expect(store).toBeInstanceOf(S3Store);
    expect((store as S3Store).bucket).toBe("logs");
    expect(await (store as S3Store).client.config.region()).toBe("eu-west-1");
    expect(s3ClientConfig({ S3_BUCKET: "logs", S3_REGION: "eu-west-1" })).toEqual({
      region: "eu-west-1",
      forcePathStyle: false,
    });
  });

  it("says what is wrong with the settings", () => {
    expect(() => createObjectStore({ S3_BUCKET: "b", S3_ACCESS_KEY_ID: "id" })).toThrow(/go together/);
    expect(() => createObjectStore({ S3_BUCKET: "b", S3_FORCE_PATH_STYLE: "maybe" })).toThrow(
      /S3_FORCE_PATH_STYLE must be true or false/,
    );
    expect(() => createObjectStore({ S3_BUCKET: "b", S3_ENDPOINT: "minio:9000" })).toThrow(/S3_ENDPOINT must be/);
  });
});
