/**
 * The webhook inbox's rows (migration 011): deliveries acknowledged and not yet
 * handled. Times come from the caller's clock, so a test moves them.
 */
import { sql } from "kysely";
import type { Db } from "./connect.ts";

export interface InboxDelivery {
  readonly delivery: string;
  readonly event: string;
  readonly payload: string;
  /** Tries so far, this one included. */
  readonly attempts: number;
}

/**
 * Keeps a verified delivery. The same delivery again (GitHub's redelivery, or
 * someone's "Redeliver" click) while it waits makes it due now, and revives it
 * when it had given up; while it is being handled nothing changes.
 */
export async function keepDelivery(
  db: Db,
  delivery: { readonly id: string; readonly event: string; readonly payload: string },
  now: Date,
): Promise<void> {
  await db
    .insertInto("webhook_inbox")
    .values({
      delivery: delivery.id,
      event: delivery.event,
      payload: delivery.payload,
      received_at: now,
      next_attempt_at: now,
    })
    .onConflict((oc) =>
      oc.column("delivery").doUpdateSet({
        next_attempt_at: sql`least(webhook_inbox.next_attempt_at, excluded.next_attempt_at)`,
        attempts: sql`case when webhook_inbox.gave_up_at is null then webhook_inbox.attempts else 0 end`,
        gave_up_at: null,
      }),
    )
    .execute();
}

/**
 * Claims up to `limit` due deliveries, oldest first, leased until `leaseUntil`:
 * rows another server holds (locked now, or leased) are passed over.
 */
export async function claimDue(db: Db, now: Date, leaseUntil: Date, limit: number): Promise<InboxDelivery[]> {
  const result = await sql<InboxDelivery>`
    UPDATE webhook_inbox SET leased_until = ${leaseUntil}, attempts = attempts + 1
    WHERE delivery IN (
      SELECT delivery FROM webhook_inbox
      WHERE gave_up_at IS NULL AND next_attempt_at <= ${now}
        AND (leased_until IS NULL OR leased_until <= ${now})
      ORDER BY next_attempt_at, received_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING delivery, event, payload, attempts`.execute(db);
  return result.rows;
}

/** Holds a claim longer while its handling goes on. */
export async function renewLease(db: Db, deliveries: readonly string[], leaseUntil: Date): Promise<void> {
  if (deliveries.length === 0) return;
  await db
    .updateTable("webhook_inbox")
    .set({ leased_until: leaseUntil })
    .where("delivery", "in", deliveries)
    .where("gave_up_at", "is", null)
    .execute();
}

/**
 * A delivery handled: its row goes (its id is in `deliveries` where its work
 * needs one). The same delivery arriving while it was handled changed nothing
 * (keepDelivery), so nothing of it is lost here.
 */
export async function forgetHandled(db: Db, delivery: string): Promise<void> {
  await db.deleteFrom("webhook_inbox").where("delivery", "=", delivery).execute();
}

/** A try failed: tried again at `retryAt`, or given up (a dead letter) when it is null. */
export async function recordFailure(
  db: Db,
  delivery: string,
  error: string,
  retryAt: Date | null,
  now: Date,
): Promise<void> {
  await db
    .updateTable("webhook_inbox")
    .set({
      leased_until: null,
      last_error: error,
      ...(retryAt ? { next_attempt_at: retryAt } : { gave_up_at: now }),
    })
    .where("delivery", "=", delivery)
    .execute();
}

/** Lets go of claims (a server stopping): another server, or this one started again, takes them at once. */
export async function releaseClaims(db: Db, deliveries: readonly string[]): Promise<void> {
  if (deliveries.length === 0) return;
  await db.updateTable("webhook_inbox").set({ leased_until: null }).where("delivery", "in", deliveries).execute();
}

export interface InboxCounts {
  /** Waiting for their first try or for another. */
  readonly waiting: number;
  /** Given up on: they stay until redelivered. */
  readonly failed: number;
  /** When the oldest waiting one arrived. */
  readonly oldestWaiting: Date | null;
}

export async function inboxCounts(db: Db): Promise<InboxCounts> {
  const row = await db
    .selectFrom("webhook_inbox")
    .select([
      sql<string>`count(*) filter (where gave_up_at is null)`.as("waiting"),
      sql<string>`count(*) filter (where gave_up_at is not null)`.as("failed"),
      sql<Date | null>`min(received_at) filter (where gave_up_at is null)`.as("oldest"),
    ])
    .executeTakeFirstOrThrow();
  return { waiting: Number(row.waiting), failed: Number(row.failed), oldestWaiting: row.oldest };
}

/** Whether a delivery is kept here (waiting, being handled or given up). */
export async function inInbox(db: Db, delivery: string): Promise<boolean> {
  const row = await db
    .selectFrom("webhook_inbox")
    .select("delivery")
    .where("delivery", "=", delivery)
    .executeTakeFirst();
  return row !== undefined;
}
