/**
 * Failed deliveries asked for again. GitHub keeps the App's webhook deliveries
 * for a few days and says how each went; a delivery our server answered with
 * an error, or never received (down, unreachable), is redelivered here, so an
 * outage loses no push, pull request or re-run within GitHub's window.
 *
 * A delivery (its guid, the X-GitHub-Delivery header) counts as done when any
 * of its tries was answered 2xx (it was kept in the webhook inbox, which tries
 * its handlers until they succeed), or when our database has it. Each
 * is asked for at most `maxTries` times, and not again while a request is on
 * its way (no newer try seen since the last request).
 */
import { sql } from "kysely";
import type { Db } from "../db/connect.ts";
import { inInbox } from "../db/webhook-inbox.ts";
import { deliveryHandled } from "../db/webhook-records.ts";

/**
 * The events and actions the app handles (its handlers in app.ts); other
 * deliveries are never asked for again: nothing records them as done, and each
 * request takes a write slot.
 */
const HANDLED: Readonly<Record<string, ReadonlySet<string | null>>> = {
  push: new Set([null]),
  pull_request: new Set(["opened", "synchronize", "reopened"]),
  check_run: new Set(["rerequested", "requested_action"]),
  check_suite: new Set(["rerequested"]),
};

export function isHandled(event: string, action: string | null | undefined): boolean {
  return HANDLED[event]?.has(action ?? null) ?? false;
}

export interface RedeliveryOptions {
  /** How far back deliveries are looked at (GitHub keeps them three days). */
  readonly lookbackMs: number;
  /** Requests per delivery before it is left alone. */
  readonly maxTries: number;
  /** Pages of 100 deliveries read per pass at most. */
  readonly maxPages: number;
}

export const REDELIVERY_DEFAULTS: RedeliveryOptions = {
  lookbackMs: 3 * 24 * 3600_000,
  maxTries: 3,
  maxPages: 20,
};

/** One try of a delivery, as `GET /app/hook/deliveries` lists it. */
export interface DeliveryTry {
  readonly id: number;
  readonly guid: string;
  readonly delivered_at: string;
  readonly status_code: number;
  readonly event: string;
  readonly action?: string | null;
  readonly installation_id?: number | null;
}

/** The app's side of GitHub's delivery API (an Octokit authenticated as the App, through the writer). */
export interface DeliveryApi {
  /** Deliveries, newest first, page by page. */
  list(): AsyncIterable<readonly DeliveryTry[]>;
  /** Asks for one delivery again, in its installation's write lane (the App's own requests when it has none). */
  redeliver(deliveryId: number, installationId: number | null): Promise<void>;
}

export interface RedeliveryReport {
  readonly seen: number;
  readonly requested: string[];
}

export async function redeliverFailed(
  db: Db,
  api: DeliveryApi,
  now: Date = new Date(),
  overrides: Partial<RedeliveryOptions> = {},
): Promise<RedeliveryReport> {
  const options = { ...REDELIVERY_DEFAULTS, ...overrides };
  const since = now.getTime() - options.lookbackMs;
  // Newest try first, per guid; and whether any try succeeded.
  const latest = new Map<string, DeliveryTry>();
  const succeeded = new Set<string>();
  let pages = 0;
  let seen = 0;
  listing: for await (const page of api.list()) {
    for (const item of page) {
      if (Date.parse(item.delivered_at) < since) break listing;
      seen++;
      if (item.status_code >= 200 && item.status_code < 300) succeeded.add(item.guid);
      if (!latest.has(item.guid)) latest.set(item.guid, item);
    }
    if (++pages >= options.maxPages) break;
  }

  const failed = [...latest.values()].filter((d) => !succeeded.has(d.guid) && isHandled(d.event, d.action));
  const requested: string[] = [];
  for (const delivery of failed.reverse()) {
    // Its work is in our database, or the inbox has it (an answer that came too late for GitHub):
    // GitHub's record of it failing does not matter.
    if ((await deliveryHandled(db, delivery.guid)) || (await inInbox(db, delivery.guid))) continue;
    const asked = await db
      .selectFrom("redelivery_requests")
      .selectAll()
      .where("guid", "=", delivery.guid)
      .executeTakeFirst();
    if (asked && asked.tries >= options.maxTries) continue;
    // Asked for since its newest try: that redelivery is still on its way.
    if (asked && asked.requested_at.getTime() > Date.parse(delivery.delivered_at)) continue;
    await api.redeliver(delivery.id, delivery.installation_id ?? null);
    await db
      .insertInto("redelivery_requests")
      .values({ guid: delivery.guid, delivery_id: delivery.id, event: delivery.event, requested_at: now })
      .onConflict((oc) =>
        oc
          .column("guid")
          .doUpdateSet({ delivery_id: delivery.id, tries: sql`redelivery_requests.tries + 1`, requested_at: now }),
      )
      .execute();
    requested.push(delivery.guid);
  }
  return { seen, requested };
}
