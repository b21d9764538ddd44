/**
 * GET /status: whether what the farm stands on answers now (PostgreSQL, Redis,
 * the object store, GitHub) and which workers beat. Each probe is bounded, so
 * the answer comes even when a component hangs; it is 200 whatever it says
 * (`ok` says it), as a monitor reads the body.
 */

import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { sql } from "kysely";
import type { z } from "zod";
import { inboxCounts } from "../../db/webhook-inbox.ts";
import { readWorkers } from "../../queue/heartbeats.ts";
import { repositoryFilter } from "../auth.ts";
import { type Probe, StatusAnswer } from "../schemas/status.ts";
import type { V1Deps } from "../v1.ts";

/** How long each probe may take by default. */
export const PROBE_TIMEOUT_MS = 2000;

type ProbeResult = z.infer<typeof Probe> & { status?: number };

/** Runs `work` with a signal that aborts at `ms`; the time-out is an answer, not an exception. */
async function probe(ms: number, work: (signal: AbortSignal) => Promise<number | undefined>): Promise<ProbeResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  const latency = () => Math.round(performance.now() - started);
  try {
    const status = await Promise.race([work(controller.signal), timedOut]);
    return { ok: true, latency_ms: latency(), ...(status === undefined ? {} : { status }) };
  } catch (error) {
    // An HTTP status only when something answered: Octokit calls a failed connection 500 too.
    const answered = (error as { response?: unknown }).response !== undefined;
    const status = answered ? (error as { status?: unknown }).status : undefined;
    return {
      ok: false,
      latency_ms: latency(),
      error: error instanceof Error ? error.message || error.name : String(error),
      ...(typeof status === "number" ? { status } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What `work` gives within `ms`, or null when it fails or takes longer: a part of the answer that may be missing. */
function orNull<T>(work: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([work, new Promise<null>((resolve) => setTimeout(resolve, ms, null).unref())]).catch(() => null);
}

export function statusRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  const ms = deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  return async (app) => {
    app.get(
      "/status",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["farm"],
          summary: "Whether the farm's services answer, and its workers",
          response: { 200: StatusAnswer },
        },
      },
      async (request) => {
        const store = deps.store;
        const [postgres, redis, objectStore, github, workers, inbox] = await Promise.all([
          probe(ms, async () => {
            await sql`select 1`.execute(deps.db);
            return undefined;
          }),
          probe(ms, async () => {
            await deps.redis.ping();
            return undefined;
          }),
          store
            ? probe(ms, async (signal) => {
                await store.probe(signal);
                return undefined;
              })
            : Promise.resolve<ProbeResult>({ ok: false, latency_ms: 0, error: "no object store is configured" }),
          probe(ms, (signal) => deps.github.probe(signal)),
          // Redis being away must not keep the rest of the answer: no workers are then known.
          orNull(readWorkers(deps.redis, deps.prefix, deps.now()), ms),
          orNull(inboxCounts(deps.db), ms),
        ]);
        const kind: "s3" | "fs" | "none" = store?.kind ?? "none";
        const repositories = repositoryFilter(request);
        const shown = (workers ?? []).map((worker) => ({
          ...worker,
          running: worker.running.filter(
            (cell) => repositories === null || repositories.includes(cell.repository.toLowerCase()),
          ),
        }));
        return {
          version: deps.version,
          ok: postgres.ok && redis.ok && objectStore.ok && github.ok,
          postgres,
          redis,
          object_store: { ...objectStore, kind },
          github: { ...github, api_url: deps.github.apiUrl },
          workers: shown,
          webhooks: inbox
            ? {
                waiting: inbox.waiting,
                failed: inbox.failed,
                oldest_waiting: inbox.oldestWaiting?.toISOString() ?? null,
              }
            : null,
        };
      },
    );
  };
}
