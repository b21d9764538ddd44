/**
 * A stored object to an HTTP response: S3's as a redirect to a fresh
 * presigned URL (for a few minutes), a folder store's streamed. Build outputs
 * are untrusted: never rendered as a page of this origin (nosniff, a sandbox
 * CSP), binaries sent as attachments.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
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
  const body = await store.get(key);
  if (!body) return false;
  const type = options.contentType ?? CONTENT_TYPES[path.posix.extname(key)] ?? "application/octet-stream";
  response.writeHead(200, {
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
