/**
 * Handles the deliveries the intake acknowledged (src/db/webhook-inbox.ts):
 * claims due ones, runs the app's handlers on each (Probot's
 * `webhooks.receive`), forgets a handled one and schedules a failed one again
 * with a growing wait, giving up after `maxAttempts`. Every server runs one;
 * rows are claimed with SKIP LOCKED and a lease renewed while a handler runs,
 * so a server that dies mid-way leaves its deliveries to the others when the
 * lease runs out, and one that stops lets go of them at once.
 *
 * Handlers are safe to repeat (a delivery's work is recorded with its id), so
 * a delivery handled twice (a lease that ran out, a redelivery) does its work once.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Probot } from "probot";
import type { Db } from "../db/connect.ts";
import {
  claimDue,
  forgetHandled,
  type InboxDelivery,
  keepDelivery,
  recordFailure,
  releaseClaims,
  renewLease,
} from "../db/webhook-inbox.ts";

export interface WebhookInboxOptions {
  /** Deliveries handled at once by this server (default 4). */
  readonly concurrency?: number;
  /** The wait after a first failure; each further one doubles it (default 5 s). */
  readonly retryBaseMs?: number;
  /** The longest wait between tries (default 10 min). */
  readonly retryMaxMs?: number;
  /** Tries before a delivery is given up (default 12: about an hour and a half of tries). */
  readonly maxAttempts?: number;
  /** How long a claim holds without renewal (default 60 s; renewed every third of it). */
  readonly leaseMs?: number;
  /** How often the inbox is looked at for retries and other servers' deliveries (default 1 s; 0: only when kicked). */
  readonly pollMs?: number;
}

export const WEBHOOK_INBOX_DEFAULTS: Required<WebhookInboxOptions> = {
  concurrency: 4,
  retryBaseMs: 5_000,
  retryMaxMs: 10 * 60_000,
  maxAttempts: 12,
  leaseMs: 60_000,
  pollMs: 1_000,
};

type WebhookEvent = Parameters<Probot["webhooks"]["receive"]>[0];

/** How one try of a delivery ended. */
export interface DeliveryOutcome {
  readonly delivery: string;
  readonly attempt: number;
  readonly handled: boolean;
  /** Why it failed; with `retryAt` null when it was given up. */
  readonly error?: string;
  readonly retryAt?: Date | null;
}

/** The longest error kept with a failed delivery. */
const MAX_ERROR_CHARS = 2000;

export class WebhookInbox {
  readonly #db: Db;
  readonly #probot: Probot;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #options: Required<WebhookInboxOptions>;
  readonly #events = new EventEmitter();
  /** Deliveries this server is handling now. */
  readonly #handling = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  #draining: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #poll: NodeJS.Timeout | null = null;
  #renew: NodeJS.Timeout | null = null;

  constructor(deps: {
    readonly db: Db;
    readonly probot: Probot;
    readonly log: Logger;
    readonly now?: () => Date;
    readonly options?: WebhookInboxOptions;
  }) {
    this.#db = deps.db;
    this.#probot = deps.probot;
    this.#log = deps.log;
    this.#now = deps.now ?? (() => new Date());
    this.#options = { ...WEBHOOK_INBOX_DEFAULTS, ...deps.options };
    this.#events.setMaxListeners(0);
  }

  /** Starts looking at the inbox on its own (polling and lease renewal). */
  start(): this {
    if (this.#options.pollMs > 0) {
      this.#poll = setInterval(() => this.kick(), this.#options.pollMs);
      this.#poll.unref();
    }
    this.#renew = setInterval(() => void this.#renewLeases(), Math.max(1, Math.floor(this.#options.leaseMs / 3)));
    this.#renew.unref();
    this.kick();
    return this;
  }

  /** Keeps a verified delivery (the intake's part) and looks for work at once. */
  async accept(delivery: { readonly id: string; readonly event: string; readonly payload: string }): Promise<void> {
    await keepDelivery(this.#db, delivery, this.#now());
    this.kick();
  }

  /** Looks for due deliveries now (after an acceptance, on the poll, after a try ends). */
  kick(): void {
    if (this.#closed) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain()
      .catch((error: unknown) => this.#log.warn({ err: error }, "webhook inbox: could not claim deliveries"))
      .finally(() => {
        this.#draining = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Resolves with the next try's outcome of one delivery (tests and tools wait on it). */
  nextOutcome(delivery: string): Promise<DeliveryOutcome> {
    return new Promise((resolve) => {
      const listener = (outcome: DeliveryOutcome) => {
        if (outcome.delivery !== delivery) return;
        this.#events.off("outcome", listener);
        resolve(outcome);
      };
      this.#events.on("outcome", listener);
    });
  }

  /** Resolves when nothing is being handled or claimed here. */
  async idle(): Promise<void> {
    while (this.#draining || this.#running.size > 0) {
      await Promise.all([this.#draining, ...this.#running]);
    }
  }

  /**
   * Stops claiming; lets the deliveries being handled finish within `withinMs`,
   * then lets go of those that did not (they are tried again, here or elsewhere).
   */
  async close(withinMs: number): Promise<void> {
    this.#closed = true;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#renew) clearInterval(this.#renew);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, withinMs);
    });
    await Promise.race([Promise.all([this.#draining, ...this.#running]), timedOut]);
    clearTimeout(timer);
    await releaseClaims(this.#db, [...this.#handling]).catch((error: unknown) =>
      this.#log.warn({ err: error }, "webhook inbox: could not let go of deliveries"),
    );
  }

  async #drain(): Promise<void> {
    for (;;) {
      const free = this.#options.concurrency - this.#handling.size;
      if (free <= 0 || this.#closed) return;
      const now = this.#now();
      const claimed = await claimDue(this.#db, now, this.#leaseEnd(now), free);
      if (claimed.length === 0) return;
      for (const delivery of claimed) {
        this.#handling.add(delivery.delivery);
        const run = this.#handle(delivery).finally(() => {
          this.#handling.delete(delivery.delivery);
          this.#running.delete(run);
          this.kick();
        });
        this.#running.add(run);
      }
    }
  }

  async #handle(delivery: InboxDelivery): Promise<void> {
    const log = this.#log.child({ delivery: delivery.delivery, event: delivery.event, attempt: delivery.attempts });
    let outcome: DeliveryOutcome;
    try {
      await this.#probot.webhooks.receive({
        id: delivery.delivery,
        name: delivery.event,
        payload: JSON.parse(delivery.payload),
      } as WebhookEvent);
      outcome = { delivery: delivery.delivery, attempt: delivery.attempts, handled: true };
    } catch (error) {
      // Probot's error handler has logged what the handler threw; the inbox keeps the gist.
      const message = errorText(error);
      const retryAt =
        delivery.attempts >= this.#options.maxAttempts
          ? null
          : new Date(this.#now().getTime() + this.#retryDelay(delivery.attempts));
      outcome = { delivery: delivery.delivery, attempt: delivery.attempts, handled: false, error: message, retryAt };
      if (retryAt) log.warn({ retryAt, error: message }, "webhook delivery failed; it will be tried again");
      else
        log.error({ error: message }, "webhook delivery failed too often; given up (GitHub's redelivery revives it)");
    }
    try {
      if (outcome.handled) await forgetHandled(this.#db, delivery.delivery);
      else await recordFailure(this.#db, delivery.delivery, outcome.error ?? "", outcome.retryAt ?? null, this.#now());
    } catch (error) {
      // Its lease runs out and it is tried again: handlers are safe to repeat.
      log.warn({ err: error }, "webhook inbox: could not record how a delivery went");
    }
    this.#events.emit("outcome", outcome);
  }

  #retryDelay(attempts: number): number {
    return Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  }

  #leaseEnd(now: Date): Date {
    return new Date(now.getTime() + this.#options.leaseMs);
  }

  async #renewLeases(): Promise<void> {
    try {
      await renewLease(this.#db, [...this.#handling], this.#leaseEnd(this.#now()));
    } catch (error) {
      this.#log.warn({ err: error }, "webhook inbox: could not renew leases");
    }
  }
}

/** What a failed handler threw, short: Probot wraps handlers' errors in an AggregateError. */
function errorText(error: unknown): string {
  const inner = error instanceof AggregateError && error.errors.length > 0 ? error.errors : [error];
  const text = inner.map((e) => (e instanceof Error ? e.message : String(e))).join("; ");
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
