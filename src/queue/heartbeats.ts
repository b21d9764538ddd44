/**
 * Workers' heartbeats: each worker writes what it is and what it runs to
 * `<prefix>:worker:<name>` every `intervalMs` (and at once when it takes or
 * ends a cell), and keeps its name in the set `<prefix>:workers`. A clean stop
 * removes both. A worker that died stops writing: readers show it `stale` once
 * STALE_BEATS beats are missed, and drop it once DROP_BEATS are (the key's TTL
 * does the same in Redis, so nothing is left behind when no one reads).
 *
 * Staleness is judged by the reader's clock against the worker's `last_seen`
 * and `interval_ms`, both in the record: workers may beat at different rates.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";

/** How often a worker beats by default. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** Missed beats after which a worker is shown stale (30 s at the default rate). */
export const STALE_BEATS = 3;
/** Missed beats after which a worker is no longer shown (10 min at the default rate). */
export const DROP_BEATS = 60;

export interface RunningCell {
  readonly attempt_id: string;
  readonly build_id: string;
  readonly repository: string;
  /** The cell's key, e.g. `linux-gcc-12-cxx17-release`. */
  readonly cell: string;
}

export interface Heartbeat {
  readonly name: string;
  readonly host: string;
  readonly platform: string;
  readonly executor: "docker" | "host";
  readonly concurrency: number;
  readonly running: readonly RunningCell[];
  readonly started_at: string;
  readonly last_seen: string;
  readonly interval_ms: number;
}

export interface ShownWorker extends Omit<Heartbeat, "interval_ms"> {
  readonly stale: boolean;
}

export function workersKey(prefix: string): string {
  return `${prefix}:workers`;
}

export function heartbeatKey(prefix: string, name: string): string {
  return `${prefix}:worker:${name}`;
}

export interface HeartbeatOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly worker: Omit<Heartbeat, "running" | "last_seen" | "started_at" | "interval_ms">;
  readonly intervalMs?: number;
  /** The clock last_seen and started_at are read from (tests pass their own). */
  readonly now?: () => Date;
  readonly log?: Pick<Logger, "warn">;
}

export interface HeartbeatSender {
  /** The cells the worker runs now changed: beat at once. */
  update(running: readonly RunningCell[]): void;
  /** Stops beating and removes the worker's record (a clean stop). */
  stop(): Promise<void>;
}

/** Starts beating: the first beat is written before this returns (or fails, logged). */
export async function startHeartbeat(options: HeartbeatOptions): Promise<HeartbeatSender> {
  const { redis, prefix } = options;
  const intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const now = options.now ?? (() => new Date());
  const key = heartbeatKey(prefix, options.worker.name);
  const startedAt = now().toISOString();
  let running: readonly RunningCell[] = [];
  let warned = false;
  const beat = async () => {
    const record: Heartbeat = {
      ...options.worker,
      running,
      started_at: startedAt,
      last_seen: now().toISOString(),
      interval_ms: intervalMs,
    };
    try {
      await redis
        .multi()
        .set(key, JSON.stringify(record), "PX", intervalMs * DROP_BEATS)
        .sadd(workersKey(prefix), options.worker.name)
        .exec();
      warned = false;
    } catch (error) {
      // Best effort: a Redis away only makes the worker look stale until it is back. Said once per outage.
      if (!warned) options.log?.warn({ err: error }, "the worker's heartbeat could not be written");
      warned = true;
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    update(next) {
      running = next;
      void beat();
    },
    async stop() {
      clearInterval(timer);
      await redis
        .multi()
        .del(key)
        .srem(workersKey(prefix), options.worker.name)
        .exec()
        .catch(() => undefined);
    },
  };
}

/**
 * The workers that beat recently enough, by name, as of `now`: stale after
 * STALE_BEATS missed beats; those past DROP_BEATS (or whose key expired) are
 * removed from the set.
 */
export async function readWorkers(redis: Redis, prefix: string, now: Date): Promise<ShownWorker[]> {
  const names = (await redis.smembers(workersKey(prefix))).sort();
  if (names.length === 0) return [];
  const values = await redis.mget(...names.map((name) => heartbeatKey(prefix, name)));
  const shown: ShownWorker[] = [];
  const gone: string[] = [];
  names.forEach((name, i) => {
    const beat = parse(values[i] ?? null);
    const silentMs = beat ? now.getTime() - Date.parse(beat.last_seen) : Number.POSITIVE_INFINITY;
    if (!beat || silentMs > beat.interval_ms * DROP_BEATS) {
      gone.push(name);
      return;
    }
    const { interval_ms, ...rest } = beat;
    shown.push({ ...rest, stale: silentMs > interval_ms * STALE_BEATS });
  });
  if (gone.length > 0) {
    await redis
      .multi()
      .srem(workersKey(prefix), ...gone)
      .del(...gone.map((name) => heartbeatKey(prefix, name)))
      .exec();
  }
  return shown;
}

function parse(text: string | null): Heartbeat | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Heartbeat;
    return typeof value.last_seen === "string" && typeof value.interval_ms === "number" ? value : null;
  } catch {
    return null;
  }
}
