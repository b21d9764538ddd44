/**
 * GitHub's side of webhook deliveries, for the fake GitHub: it delivers events
 * to the app's URL as GitHub does (signed, 10 s to answer), records each try
 * as `GET /app/hook/deliveries` lists it (newest first), and redelivers a try
 * on `POST /app/hook/deliveries/{id}/attempts`.
 */
import { randomUUID } from "node:crypto";
import type { FakeGitHub } from "./github.ts";
import { signedWebhook } from "./github.ts";

export interface DeliveryTry {
  readonly id: number;
  readonly guid: string;
  readonly delivered_at: string;
  readonly redelivery: boolean;
  readonly duration: number;
  readonly status: string;
  readonly status_code: number;
  readonly event: string;
  readonly action: string | null;
  readonly installation_id: number | null;
  readonly repository_id: number | null;
}

export interface DeliveryLog {
  /** Delivers an event once; the try is recorded whatever happens. */
  deliver(event: string, payload: unknown): Promise<DeliveryTry>;
  /** Every try so far, newest first. */
  tries(): readonly DeliveryTry[];
  /** Ids of the tries redelivery was asked for. */
  readonly redeliveryRequests: number[];
}

export function deliveryLog(github: FakeGitHub, url: () => string, secret: string): DeliveryLog {
  const tries: DeliveryTry[] = [];
  const sent = new Map<string, { event: string; payload: unknown }>();
  const redeliveryRequests: number[] = [];
  let nextId = 1;

  const attempt = async (guid: string, redelivery: boolean): Promise<DeliveryTry> => {
    const { event, payload } = sent.get(guid) ?? { event: "", payload: {} };
    const { headers, body } = signedWebhook(secret, event, payload, { deliveryId: guid });
    const started = Date.now();
    let statusCode = 0;
    let status = "failed to connect";
    try {
      const response = await fetch(url(), { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      statusCode = response.status;
      status = response.ok ? "OK" : `Invalid HTTP Response: ${response.status}`;
    } catch {
      // Refused, reset or timed out: GitHub records no status code.
    }
    const record: DeliveryTry = {
      id: nextId++,
      guid,
      delivered_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery,
      duration: (Date.now() - started) / 1000,
      status,
      status_code: statusCode,
      event,
      action: (payload as { action?: string }).action ?? null,
      installation_id: (payload as { installation?: { id: number } }).installation?.id ?? null,
      repository_id: (payload as { repository?: { id: number } }).repository?.id ?? null,
    };
    tries.unshift(record);
    return record;
  };

  github.reply("GET", "/app/hook/deliveries", () => ({ body: tries }));
  github.reply("POST", "/app/hook/deliveries/{delivery_id}/attempts", (request) => {
    const id = Number(request.params.delivery_id);
    const original = tries.find((t) => t.id === id);
    if (!original) return { status: 404, body: { message: "Not Found" } };
    redeliveryRequests.push(id);
    // GitHub answers at once and delivers afterwards.
    setImmediate(() => void attempt(original.guid, true));
    return { status: 202, body: {} };
  });

  return {
    deliver(event, payload) {
      const guid = randomUUID();
      sent.set(guid, { event, payload });
      return attempt(guid, false);
    },
    tries: () => tries,
    redeliveryRequests,
  };
}
