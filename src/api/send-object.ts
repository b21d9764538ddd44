/**
 * A stored object to an HTTP response: S3's as a redirect to a fresh
 * presigned URL (for a few minutes), a folder store's streamed. Build outputs
 * are untrusted: never rendered as a page of this origin (nosniff, a sandbox
 * CSP), binaries sent as attachments.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type ByteRange, type ObjectPart, RangeNotSatisfiable } from "../storage/byte-range.ts";
import type { ObjectStore } from "../storage/object-store.ts";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".log": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
};

export const PRESIGNED_SECONDS = 300;

/** False when there is no such object (nothing was sent). */
export async function sendObject(
  store: ObjectStore,
  key: string,
  request: IncomingMessage,
  response: ServerResponse,
  options: { readonly redirect?: boolean; readonly contentType?: string } = {},
): Promise<boolean> {
  if (options.redirect !== false) {
    const direct = await store.url(key, PRESIGNED_SECONDS);
    if (!direct.startsWith("/")) {
      response.writeHead(302, { location: direct, "cache-control": "no-store" }).end();
      return true;
    }
  }
  const type = options.contentType ?? CONTENT_TYPES[path.posix.extname(key)] ?? "application/octet-stream";
  // One range (a long log's tail, then the page before it): 206 with where it lies; several, or none: the whole.
  const range = parseRange(request.headers.range);
  let part: ObjectPart | null = null;
  if (range) {
    try {
      part = await store.getRange(key, range);
    } catch (error) {
      if (!(error instanceof RangeNotSatisfiable)) throw error;
      response.writeHead(416, { "content-range": `bytes */${error.size}`, "accept-ranges": "bytes" }).end();
      return true;
    }
    if (!part) return false;
  }
  const body = part ? part.body : await store.get(key);
  if (!body) return false;
  response.writeHead(part ? 206 : 200, {
    "accept-ranges": "bytes",
    ...(part
      ? {
          "content-range": `bytes ${part.start}-${part.end}/${part.size}`,
          "content-length": String(part.end - part.start + 1),
        }
      : {}),
    "content-type": type,
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox",
    ...(type === "application/octet-stream"
      ? { "content-disposition": `attachment; filename="${path.posix.basename(key).replace(/[^\w.-]/g, "_")}"` }
      : {}),
  });
  if (request.method === "HEAD") {
    (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    response.end();
    return true;
  }
  await pipeline(body, response).catch(() => undefined);
  return true;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`: one range; anything else (several, other units) is read as none. */
export function parseRange(header: string | undefined): ByteRange | null {
  const found = header ? /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim()) : null;
  if (!found) return null;
  const [, first = "", last = ""] = found;
  if (first === "" && last === "") return null;
  if (first === "") return { suffix: Number(last) };
  if (last !== "" && Number(last) < Number(first)) return null;
  return last === "" ? { start: Number(first) } : { start: Number(first), end: Number(last) };
}
