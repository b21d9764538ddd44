/**
 * The object store on S3 or an S3-compatible server (MinIO, Ceph, …). Puts
 * stream through lib-storage's Upload: one PutObject for a body under a part,
 * else a multipart upload holding at most `queueSize` parts in memory; a
 * failed multipart upload is aborted (a bucket lifecycle rule for incomplete
 * multipart uploads cleans up after a process that died mid-put). Keys are checked as on the filesystem,
 * so an object can move between the two stores.
 */
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { type ByteRange, type ObjectPart, RangeNotSatisfiable, resolveRange } from "./byte-range.ts";
import { assertKey, assertPrefix } from "./keys.ts";
import { type Body, meter, type PutResult } from "./metered.ts";
import type { ListedObject, ObjectStore, PutOptions } from "./object-store.ts";

/** S3's smallest part (but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** A presigned URL lives at most a week (SigV4). */
export const MAX_URL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_URL_SECONDS = 3600;

export interface S3StoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Bytes a part; default and least 5 MiB. */
  readonly partSize?: number;
  /** Parts uploading at once; memory held is about partSize × queueSize. Default 2. */
  readonly queueSize?: number;
}

function isNotFound(error: unknown): boolean {
  if (error instanceof NoSuchKey) return true;
  return error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === "NotFound");
}

export class S3Store implements ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly partSize: number;
  readonly queueSize: number;
  readonly kind = "s3";

  constructor(options: S3StoreOptions) {
    if (!options.bucket) throw new Error("S3Store needs a bucket");
    this.client = options.client;
    this.bucket = options.bucket;
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? MIN_PART_SIZE);
    this.queueSize = Math.max(1, Math.floor(options.queueSize ?? 2));
  }

  /** The bucket answers and these credentials may use it (HeadBucket: no object read, nothing billed by size). */
  async probe(signal?: AbortSignal): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), signal ? { abortSignal: signal } : {});
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    assertKey(key);
    const metered = meter(body, options.maxBytes);
    // Bytes, not objects: the stream buffers one chunk ahead at most.
    const stream = Readable.from(metered.chunks, { objectMode: false, highWaterMark: 64 * 1024 });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: stream,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // A body that failed is the cause, whatever aborting the upload then said.
      throw metered.sourceError() ?? error;
    } finally {
      stream.destroy(); // ends the source too when the upload failed before reading it all
    }
    return metered.result();
  }

  async get(key: string): Promise<NodeJS.ReadableStream | null> {
    assertKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = response.Body;
      if (!(body instanceof Readable)) {
        if (body !== undefined && "destroy" in body && typeof body.destroy === "function") body.destroy();
        throw new Error(`GetObject ${key}: the SDK returned no Node.js stream`);
      }
      return body;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async getRange(key: string, range: ByteRange): Promise<ObjectPart | null> {
    assertKey(key);
    try {
      if ("suffix" in range) {
        // The object's size first: some S3-compatible servers read `bytes=-n` as the first n bytes.
        const size = await this.client
          .send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
          .then((head) => Number(head.ContentLength ?? 0));
        return await this.getRange(key, resolveRange(range, size));
      }
      const header = `bytes=${range.start}-${range.end ?? ""}`;
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: header }));
      const body = response.Body;
      if (!(body instanceof Readable)) {
        if (body !== undefined && "destroy" in body && typeof body.destroy === "function") body.destroy();
        throw new Error(`GetObject ${key}: the SDK returned no Node.js stream`);
      }
      // "bytes 0-99/1234"; a server that ignored the range sends the whole object without one.
      const found = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange ?? "");
      if (found) return { body, start: Number(found[1]), end: Number(found[2]), size: Number(found[3]) };
      const size = Number(response.ContentLength ?? 0);
      return { body, start: 0, end: Math.max(0, size - 1), size };
    } catch (error) {
      if (isNotFound(error)) return null;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 416) {
        const size = await this.client
          .send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
          .then((head) => Number(head.ContentLength ?? 0));
        throw new RangeNotSatisfiable(size);
      }
      throw error;
    }
  }

  async url(key: string, expiresInSeconds = DEFAULT_URL_SECONDS): Promise<string> {
    assertKey(key);
    if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_URL_SECONDS) {
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_URL_SECONDS}, not ${expiresInSeconds}`);
    }
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<ListedObject[]> {
    assertPrefix(prefix);
    const found: ListedObject[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) found.push({ key: object.Key, size: object.Size ?? 0 });
      }
    }
    return found;
  }
}
