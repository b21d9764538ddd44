/**
 * A real S3-compatible server for a test file: @20minutes/s3rver (npm; the
 * maintained fork of s3rver, for Node 24) on a random port of 127.0.0.1,
 * storing in a fresh temporary directory, with one bucket, and one account
 * (S3RVER / S3RVER).
 *
 * Every signed request is checked here first, as S3 does: SigV4 in the
 * Authorization header or in a presigned URL's query, the access key, the
 * signature over method, path, query and signed headers, the clock skew of a
 * header-signed request and the expiry of a presigned one. s3rver's own SigV4
 * check is switched off: it builds the canonical path of a bucket request
 * (`/bucket/?list-type=2`, as the SDK sends ListObjectsV2 in path style)
 * without the trailing slash, so it refuses every correctly signed listing.
 * This check is written from the SigV4 specification, independently of the
 * SDK's signer.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StorageEnv } from "../../src/storage/object-store.ts";

/** The part of the package's (untyped, CommonJS) API used here. */
interface S3rverApp {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type S3rverClass = new (options: {
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
  configureBuckets: { name: string; configs: string[] }[];
}) => S3rverApp;

const S3rver = createRequire(import.meta.url)("@20minutes/s3rver") as S3rverClass;

export interface TestS3 {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The settings createObjectStore takes for this server (path-style). */
  readonly env: StorageEnv;
  /** Requests refused by the signature check, with the reason. */
  readonly refused: string[];
  stop(): Promise<void>;
}

// --- SigV4 check --------------------------------------------------------------

const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 unreserved characters stay; everything else is %XX (SigV4's UriEncode). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** `20261127T190205Z` → ms, or NaN. */
function amzDate(text: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? "");
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

function refusal(code: string, message: string, status = 403): Refusal {
  return { status, code, message };
}

/** Undefined when the request is anonymous or correctly signed, else why not. */
function checkSignature(req: IncomingMessage, secrets: ReadonlyMap<string, string>, now: number): Refusal | undefined {
  const raw = req.url ?? "/";
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const pairs = (at < 0 ? "" : raw.slice(at + 1))
    .split("&")
    .filter((p) => p !== "")
    .map((p): [string, string] => {
      const eq = p.indexOf("=");
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? "" : p.slice(eq + 1);
      return [decodeURIComponent(name), decodeURIComponent(value)];
    });
  const query = new Map(pairs);
  const authorization = req.headers.authorization;
  const presigned = query.has("X-Amz-Algorithm");
  if (authorization === undefined && !presigned) return undefined;
  if (authorization !== undefined && presigned) return refusal("InvalidArgument", "two auth mechanisms", 400);

  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let date: string;
  let payloadHash: string;
  if (presigned) {
    if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256")
      return refusal("AuthorizationQueryParametersError", "algorithm", 400);
    credential = query.get("X-Amz-Credential") ?? "";
    signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
    signature = query.get("X-Amz-Signature") ?? "";
    date = query.get("X-Amz-Date") ?? "";
    payloadHash = query.get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
    const expires = Number(query.get("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      return refusal("AuthorizationQueryParametersError", "X-Amz-Expires", 400);
    }
    const signedAt = amzDate(date);
    if (Number.isNaN(signedAt)) return refusal("AuthorizationQueryParametersError", "X-Amz-Date", 400);
    if (now > signedAt + expires * 1000) return refusal("AccessDenied", "Request has expired");
  } else {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization ?? "",
    );
    if (!m) return refusal("AuthorizationHeaderMalformed", "the authorization header is malformed", 400);
    [credential, signedHeaders, signature] = [m[1] ?? "", (m[2] ?? "").split(";"), m[3] ?? ""];
    date = String(req.headers["x-amz-date"] ?? "");
    payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
    if (!payloadHash) return refusal("InvalidRequest", "missing x-amz-content-sha256", 400);
    const signedAt = amzDate(date);
    if (Number.isNaN(signedAt) || Math.abs(now - signedAt) > MAX_SKEW_MS) {
      return refusal("RequestTimeTooSkewed", "the request time differs too much from the server's");
    }
  }

  const [accessKeyId = "", day = "", region = "", service = "", terminal = ""] = credential.split("/");
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) return refusal("InvalidAccessKeyId", `no access key ${accessKeyId}`);
  if (terminal !== "aws4_request" || service !== "s3" || !date.startsWith(day)) {
    return refusal("AuthorizationHeaderMalformed", "bad credential scope", 400);
  }
  if (!signedHeaders.includes("host")) return refusal("AccessDenied", "host is not signed");

  const canonicalQuery = pairs
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  // S3 signs the path as sent: no normalisation, no second encoding.
  const canonicalRequest = [
    req.method ?? "GET",
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/${terminal}`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    date,
    scope,
    createHash("sha256").update(canonicalRequest, "utf8").digest("hex"),
  ].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), terminal);
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refusal(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided.",
    );
  }
  return undefined;
}

function xmlError(res: ServerResponse, { status, code, message }: Refusal): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

// --- server -------------------------------------------------------------------

export async function startS3(bucket = "heimdall-test"): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), "heimdall-s3rver-"));
  const accessKeyId = "S3RVER";
  const secretAccessKey = "S3RVER";
  const secrets = new Map([[accessKeyId, secretAccessKey]]);
  const refused: string[] = [];
  const app = new S3rver({
    directory,
    silent: true,
    vhostBuckets: false,
    allowMismatchedSignatures: true, // checked above, correctly
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const handle = app.callback();
  const server = createServer((req, res) => {
    let problem: Refusal | undefined;
    try {
      problem = checkSignature(req, secrets, Date.now());
    } catch (error) {
      problem = refusal("InvalidRequest", `unreadable request: ${String(error)}`, 400);
    }
    if (problem === undefined) {
      handle(req, res);
      return;
    }
    refused.push(`${req.method} ${req.url}: ${problem.code}`);
    req.resume();
    xmlError(res, problem);
  });
  try {
    await app.configureBuckets();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    server.close();
    await rm(directory, { recursive: true, force: true });
    throw new Error(`the test S3 server did not start: ${String(error)}`);
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    refused,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_FORCE_PATH_STYLE: "true",
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}
