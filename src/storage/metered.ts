/**
 * A body to store, as chunks pulled one at a time: counted, hashed, and cut
 * after `maxBytes` with a marker. Nothing is read ahead of the consumer, so a
 * store that writes each chunk before asking for the next holds one chunk.
 */
import { createHash } from "node:crypto";

export type Body = NodeJS.ReadableStream | Buffer | string;

export interface PutResult {
  /** Bytes stored, the marker included when cut. */
  readonly bytes: number;
  /** Hex SHA-256 of the bytes stored. */
  readonly sha256: string;
  /** The body was longer than maxBytes: its first maxBytes bytes and the marker were stored. */
  readonly truncated: boolean;
}

export interface Metered {
  /** The body's bytes (then the marker when cut); pull once. */
  readonly chunks: AsyncGenerator<Buffer, void, undefined>;
  /** What was stored; only once `chunks` is done. */
  result(): PutResult;
  /** The error the body itself failed with, if it did (the root cause of a failed put). */
  readonly sourceError: () => unknown;
}

export function truncationMarker(maxBytes: number): string {
  return `\n[heimdall-build: cut at ${maxBytes} bytes]\n`;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a body stream gave a ${typeof chunk}, not bytes or text`);
}

async function* source(body: Body): AsyncGenerator<Buffer, void, undefined> {
  if (typeof body === "string") {
    yield Buffer.from(body, "utf8");
    return;
  }
  if (body instanceof Uint8Array) {
    yield toBuffer(body);
    return;
  }
  // Leaving this loop early (a cut, or the consumer failing) destroys the stream.
  for await (const chunk of body as AsyncIterable<unknown>) yield toBuffer(chunk);
}

export function checkMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`maxBytes must be a non-negative integer, not ${maxBytes}`);
  }
}

export function meter(body: Body, maxBytes?: number): Metered {
  checkMaxBytes(maxBytes);
  const hash = createHash("sha256");
  let bytes = 0;
  let truncated = false;
  let result: PutResult | undefined;
  let failure: unknown;
  let failed = false;

  async function* guarded(): AsyncGenerator<Buffer, void, undefined> {
    try {
      yield* source(body);
    } catch (error) {
      failed = true;
      failure = error;
      throw error;
    }
  }

  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    for await (const chunk of guarded()) {
      if (chunk.length === 0) continue;
      if (maxBytes !== undefined && bytes + chunk.length > maxBytes) {
        const head = chunk.subarray(0, maxBytes - bytes);
        truncated = true;
        if (head.length > 0) {
          hash.update(head);
          bytes += head.length;
          yield head;
        }
        break; // stop reading: the source is not pulled again
      }
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    if (truncated) {
      const marker = Buffer.from(truncationMarker(maxBytes ?? 0), "utf8");
      hash.update(marker);
      bytes += marker.length;
      yield marker;
    }
    result = { bytes, sha256: hash.digest("hex"), truncated };
  }

  return {
    chunks: chunks(),
    result() {
      if (result === undefined) throw new Error("the body has not been read to its end");
      return result;
    },
    sourceError: () => (failed ? failure : undefined),
  };
}
