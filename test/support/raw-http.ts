/**
 * Requests a fetch() cannot make: a body streamed from one reused buffer (so
 * the sender's memory stays flat whatever the size), with a Content-Length that
 * is declared but never sent, or chunked with none at all.
 *
 * Not with nock active (test/support/github.ts): its interceptor holds a request's
 * body until the request ends, so the server would get none of these as sent.
 */
import http from "node:http";

export interface RawRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes of filler to send; a declared Content-Length is the caller's header. */
  readonly bytes?: number;
  /** Ends a request still waiting for its answer. */
  readonly signal?: AbortSignal;
  /** Sends `bytes` and then nothing more, the request left open (a stalled sender). */
  readonly stall?: boolean;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Bytes of the body written before the answer came (or all of them). */
  readonly sent: number;
}

const FILLER = Buffer.alloc(64 * 1024, "a");

/**
 * Sends the request, with backpressure, until the whole body is out or the
 * server answers; resolves with the answer. Rejects when the connection ends
 * without one: a server that resets instead of answering fails the test.
 */
export function rawRequest(url: string, request: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: request.method ?? "POST",
      headers: request.headers ?? {},
      // A connection of its own: one the server closed is never reused for the next request.
      agent: false,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    let sent = 0;
    let answered = false;
    req.on("response", (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          sent,
        });
        // What is left of an upload the server refused is not sent.
        req.destroy();
      });
      response.on("error", reject);
    });
    // A server that closes after answering makes the rest of the upload fail: that is expected.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const total = request.bytes ?? 0;
    const pump = () => {
      while (!answered && sent < total) {
        const chunk = total - sent >= FILLER.length ? FILLER : FILLER.subarray(0, total - sent);
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      // With a declared length and no bytes, the request stays open: the answer must not need the body.
      if (!answered && !request.stall && (total > 0 || request.headers?.["content-length"] === undefined)) req.end();
    };
    req.flushHeaders();
    pump();
  });
}
