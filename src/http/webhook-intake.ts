/**
 * The webhook endpoint, in place of Probot's middleware, which reads the whole
 * body before it looks at anything, logs a refused one (body included) three
 * times, and answers 202 at 9 s whatever the handler later does.
 *
 * Here, in order, each refusal logged once with what it knows (delivery,
 * event, reason, size; never the body):
 *   headers: POST, JSON, event and delivery (400), a well-formed
 *     X-Hub-Signature-256 (401), a declared size within GitHub's 25 MB (413),
 *     all before a byte of the body is read;
 *   the body: read up to the cap (413 past it, reading stops) within the budget
 *     shared by every body in flight (503);
 *   the signature: @octokit/webhooks' verify (HMAC-SHA256, timing-safe) over
 *     the bytes as they came, before any JSON parsing (401);
 *   then the delivery is kept in the webhook inbox (PostgreSQL) and answered
 *     202 at once: its handlers run after the answer (src/github/webhook-inbox.ts),
 *     tried again there when they fail. When it cannot be kept (the database
 *     away) the answer is 503, GitHub marks the delivery failed, and the
 *     redelivery pass asks for it again.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Probot } from "probot";
import {
  BodyAbortedError,
  BodyBudgetError,
  BodyTimeoutError,
  BodyTooLargeError,
  declaredLength,
  MAX_WEBHOOK_BYTES,
  readBoundedBody,
} from "./bounded-body.ts";
import { ByteBudget } from "./byte-budget.ts";
import { refuse } from "./refuse.ts";

export interface WebhookIntakeOptions {
  /** Verifies signatures with the webhook secret. */
  readonly probot: Probot;
  /** Keeps a verified delivery for its handlers (the webhook inbox). */
  readonly accept: (delivery: {
    readonly id: string;
    readonly event: string;
    readonly payload: string;
  }) => Promise<void>;
  readonly path: string;
  readonly log: Logger;
  /** The largest body taken (default GitHub's cap, 25 MB). */
  readonly maxBodyBytes?: number;
  /** The bytes of all bodies being read and checked at once (default four of the largest). */
  readonly maxPendingBytes?: number;
  /** How long a body may take to arrive whole (default 10 s, GitHub's own delivery timeout). */
  readonly bodyDeadlineMs?: number;
}

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;
// Exact bytes to text and back: a malformed sequence is refused instead of replaced,
// and a BOM is kept, so the text verify() hashes is the bytes GitHub signed.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Answers the request if it is for the webhook path (true), or leaves it (false). */
export type WebhookIntake = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export function webhookIntake(options: WebhookIntakeOptions): WebhookIntake {
  const path = trimSlashes(options.path);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BYTES;
  const budget = new ByteBudget(options.maxPendingBytes ?? 4 * maxBodyBytes);

  return async (request, response) => {
    if (trimSlashes(new URL(request.url ?? "/", "http://intake.invalid").pathname) !== path) return false;
    const delivery = short(request.headers["x-github-delivery"]);
    const event = short(request.headers["x-github-event"]);
    const signature = request.headers["x-hub-signature-256"];
    const declared = declaredLength(request);
    const refused = (status: number, reason: string, bytes: number | null = declared, headers = {}) => {
      options.log.warn({ delivery, event, status, reason, bytes }, "webhook refused");
      refuse(request, response, status, reason, headers);
      return true;
    };

    if (request.method !== "POST") return refused(405, "webhooks are POSTed", null, { allow: "POST" });
    if (!JSON_TYPE.test(request.headers["content-type"] ?? "")) return refused(415, "the body is not application/json");
    if (!event || !delivery) return refused(400, "X-GitHub-Event and X-GitHub-Delivery are required");
    if (typeof signature !== "string" || !SIGNATURE.test(signature)) {
      return refused(401, "X-Hub-Signature-256 (sha256=<64 hex digits>) is required");
    }

    let body: Buffer;
    try {
      body = await readBoundedBody(request, maxBodyBytes, budget, options.bodyDeadlineMs);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return refused(413, `the body is over ${error.limit} bytes`, error.bytes);
      if (error instanceof BodyTimeoutError)
        return refused(408, `the body did not arrive within ${error.ms} ms`, error.bytes);
      if (error instanceof BodyBudgetError) {
        return refused(503, "too many webhook bodies are being read; try again", error.bytes, { "retry-after": "5" });
      }
      const bytes = error instanceof BodyAbortedError ? error.bytes : null;
      options.log.warn({ delivery, event, reason: "the sender left before the body ended", bytes }, "webhook refused");
      response.destroy();
      return true;
    }

    let text: string;
    try {
      try {
        text = UTF8.decode(body);
      } catch {
        return refused(400, "the body is not UTF-8", body.length);
      }
      if (text.length === 0) return refused(400, "the body is empty", 0);
      if (!(await options.probot.webhooks.verify(text, signature))) {
        return refused(401, "the signature does not match the body and the webhook secret", body.length);
      }
      try {
        JSON.parse(text);
      } catch {
        return refused(400, "the body is not JSON", body.length);
      }
    } finally {
      budget.release(body.length);
    }

    try {
      await options.accept({ id: delivery, event, payload: text });
    } catch (error) {
      // Logged once, with why (refused() would log it again without the error).
      options.log.error({ delivery, event, status: 503, err: error }, "webhook refused: the inbox is unavailable");
      refuse(request, response, 503, "the delivery could not be kept; try again", { "retry-after": "30" });
      return true;
    }
    response.writeHead(202, { "content-type": "text/plain" }).end("accepted\n");
    return true;
  };
}

function trimSlashes(pathname: string): string {
  return pathname.replace(/\/+$/, "") || "/";
}

/** A header as the log shows it: a value from anyone, so bounded. */
function short(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
