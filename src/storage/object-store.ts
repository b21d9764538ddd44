/**
 * Where logs, artifacts and SBOMs go: S3 (or an S3-compatible server) when
 * S3_BUCKET is set, else files under STORAGE_DIR.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { ByteRange, ObjectPart } from "./byte-range.ts";
import { FsStore } from "./fs-store.ts";
import type { Body, PutResult } from "./metered.ts";
import { S3Store } from "./s3-store.ts";

export { type ByteRange, type ObjectPart, RangeNotSatisfiable, resolveRange } from "./byte-range.ts";
export type { Body, PutResult } from "./metered.ts";

export interface PutOptions {
  readonly contentType?: string;
  /**
   * Store at most this many bytes of the body; when it is longer, stop
   * reading it (a stream is destroyed), append `\n[heimdall-build: cut at N bytes]\n`
   * and report truncated. For build logs, which are untrusted and may be huge.
   */
  readonly maxBytes?: number;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  /** What it is, for the API's /status. */
  readonly kind: "s3" | "fs";
  /**
   * A cheap check that the store can be used now (the bucket answers, the
   * folder is writable); throws saying why not. `signal` cuts it short.
   */
  probe(signal?: AbortSignal): Promise<void>;
  /**
   * Stores a body of any size under key, streamed (multipart on S3), replacing
   * what was there. Returns the bytes stored and their sha256 (the marker
   * included when cut). A stream that errors fails the put and stores nothing.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<PutResult>;
  /** The object's bytes, or null when there is none; read it to the end or destroy it. */
  get(key: string): Promise<NodeJS.ReadableStream | null>;
  /** Part of the object (a long log's tail, the page before): null when there is none; RangeNotSatisfiable past its end. */
  getRange(key: string, range: ByteRange): Promise<ObjectPart | null>;
  /** A URL a person can open: a presigned GET (S3) or the API's own path (filesystem). */
  url(key: string, expiresInSeconds?: number): Promise<string>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** The objects whose keys start with prefix (as a string, as S3 does), in key order. */
  list(prefix: string): Promise<ListedObject[]>;
}

export interface StorageEnv {
  readonly S3_ENDPOINT?: string | undefined;
  readonly S3_BUCKET?: string | undefined;
  readonly S3_REGION?: string | undefined;
  readonly S3_ACCESS_KEY_ID?: string | undefined;
  readonly S3_SECRET_ACCESS_KEY?: string | undefined;
  readonly S3_FORCE_PATH_STYLE?: string | undefined;
  readonly STORAGE_DIR?: string | undefined;
}

/** The storage settings out of a process's environment. */
export function storageEnvOf(env: Readonly<Record<string, string | undefined>>): StorageEnv {
  return {
    S3_ENDPOINT: env.S3_ENDPOINT,
    S3_BUCKET: env.S3_BUCKET,
    S3_REGION: env.S3_REGION,
    S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY,
    S3_FORCE_PATH_STYLE: env.S3_FORCE_PATH_STYLE,
    STORAGE_DIR: env.STORAGE_DIR,
  };
}

export function defaultStorageDir(): string {
  return join(homedir(), ".local", "share", "heimdall-build", "objects");
}

function setting(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function flag(name: string, value: string | undefined): boolean {
  const v = setting(value)?.toLowerCase();
  if (v === undefined || ["0", "false", "no", "off"].includes(v)) return false;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

/** The S3 client for the settings; exported for tests and tools. */
export function s3ClientConfig(env: StorageEnv): S3ClientConfig {
  const endpoint = setting(env.S3_ENDPOINT);
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`S3_ENDPOINT must be a URL such as http://127.0.0.1:9000, not ${JSON.stringify(endpoint)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`S3_ENDPOINT must be an http or https URL, not ${JSON.stringify(endpoint)}`);
    }
  }
  const accessKeyId = setting(env.S3_ACCESS_KEY_ID);
  const secretAccessKey = setting(env.S3_SECRET_ACCESS_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error(
      "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither for the AWS default chain",
    );
  }
  // Without S3_REGION, AWS's own settings (AWS_REGION, ~/.aws) apply; another server is told us-east-1.
  const region = setting(env.S3_REGION) ?? (endpoint === undefined ? undefined : "us-east-1");
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined
      ? {}
      : {
          endpoint,
          // S3-compatible servers do not all take the SDK's default CRC32 checksums.
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
        }),
    forcePathStyle: flag("S3_FORCE_PATH_STYLE", env.S3_FORCE_PATH_STYLE),
    ...(accessKeyId === undefined || secretAccessKey === undefined
      ? {}
      : { credentials: { accessKeyId, secretAccessKey } }),
  };
}

/** S3 when S3_BUCKET is set, else the filesystem under STORAGE_DIR (default ~/.local/share/heimdall-build/objects). */
export function createObjectStore(env: StorageEnv): ObjectStore {
  const bucket = setting(env.S3_BUCKET);
  if (bucket !== undefined) return new S3Store({ client: new S3Client(s3ClientConfig(env)), bucket });
  return new FsStore(setting(env.STORAGE_DIR) ?? defaultStorageDir());
}
