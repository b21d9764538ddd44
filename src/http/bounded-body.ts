/**
 * A request body read whole, but never more than a limit: a declared
 * Content-Length over it is refused before a byte is read, and a chunked or
 * lying body stops being read at the first chunk past it. What is held is
 * counted against a budget shared by all requests.
 */
import type { IncomingMessage } from "node:http";
import type { ByteBudget } from "./byte-budget.ts";

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones: nothing larger is genuine. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/** A body must arrive whole within this: GitHub gives up on a delivery after 10 s. */
export const BODY_DEADLINE_MS = 10_000;

/** The body is (or was declared) larger than the limit: answered with 413. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  /** What was declared or had arrived when reading stopped. */
  readonly bytes: number;
  constructor(limit: number, bytes: number) {
    super(`the body is larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
    this.bytes = bytes;
  }
}

/** Other bodies being read hold the shared budget: answered with 503. */
export class BodyBudgetError extends Error {
  readonly bytes: number;
  constructor(bytes: number) {
    super("too many request bodies are being read at once");
    this.name = "BodyBudgetError";
    this.bytes = bytes;
  }
}

/** The body did not arrive whole in time (a slow or stalled sender): answered with 408. */
export class BodyTimeoutError extends Error {
  readonly bytes: number;
  readonly ms: number;
  constructor(ms: number, bytes: number) {
    super(`the body did not arrive within ${ms} ms`);
    this.name = "BodyTimeoutError";
    this.bytes = bytes;
    this.ms = ms;
  }
}

/** The sender went away before the body ended: there is no one to answer. */
export class BodyAbortedError extends Error {
  readonly bytes: number;
  constructor(bytes: number) {
    super("the sender went away before the body ended");
    this.name = "BodyAbortedError";
    this.bytes = bytes;
  }
}

/** The declared Content-Length, or null when none is declared (a chunked body). */
export function declaredLength(request: IncomingMessage): number | null {
  const header = request.headers["content-length"];
  if (header === undefined) return null;
  // Node's parser has refused a malformed or repeated Content-Length already.
  return Number(header);
}

/** Whether the request carries a body at all (a GET normally does not). */
export function hasBody(request: IncomingMessage): boolean {
  const declared = declaredLength(request);
  return (declared !== null && declared > 0) || request.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads the body into one buffer, within `deadlineMs`. Its bytes stay reserved
 * in `budget` when it resolves: the caller releases `body.length` once done
 * with it. On a refusal reading has stopped and the request is paused: the
 * caller answers and closes.
 *
 * Bytes are reserved as they arrive, not as declared: a sender that declares
 * 25 MB and sends nothing holds nothing, and one that sends slowly is cut at
 * the deadline (GitHub itself gives up on a delivery after 10 s), so idle
 * connections cannot fill the budget and shut genuine deliveries out.
 */
export function readBoundedBody(
  request: IncomingMessage,
  limit: number,
  budget: ByteBudget,
  deadlineMs = BODY_DEADLINE_MS,
): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== null && declared > limit) return Promise.reject(new BodyTooLargeError(limit, declared));
  let reserved = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error: Error) => {
      detach();
      request.pause();
      budget.release(reserved);
      reserved = 0;
      chunks.length = 0;
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return stop(new BodyTooLargeError(limit, received));
      if (!budget.reserve(chunk.length)) return stop(new BodyBudgetError(received));
      reserved += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(Buffer.concat(chunks, received));
    };
    const timer = setTimeout(() => stop(new BodyTimeoutError(deadlineMs, received)), deadlineMs);
    const onGone = () => stop(new BodyAbortedError(received));
    const detach = () => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onGone);
      request.off("close", onGone);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onGone);
    // 'close' comes after 'end' for a whole body (detached by then); before it, the sender left.
    request.on("close", onGone);
  });
}
