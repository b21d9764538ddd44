/**
 * One installation's write budget shared by every process through Redis: one
 * Lua script over a sorted set per installation (a sliding-window log of the
 * writes started) records a write as starting now or answers how long until
 * it may; another blocks the installation for a rate-limit wait. Time is
 * Redis's TIME, the one clock all processes share, unless the writer was
 * given a clock of its own (tests).
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export interface SharedLimits {
  readonly writesPerMinute: number;
  readonly windowMs: number;
  readonly minSpacingMs: number;
  /** Keys are `<keyPrefix>:{<installationId>}:log` and `...:block`. */
  readonly keyPrefix: string;
}

// KEYS: log, block. ARGV: windowMs, limit, minSpacingMs, member, now ('' for Redis's TIME).
// Records a write as started now and returns "0" when the installation's limits
// allow it; otherwise returns how many ms until they may (as a string: Lua
// numbers would be truncated to integers).
const ACQUIRE_SCRIPT = `
local now
if ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local now_parts = redis.call('TIME')
  now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
end
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local spacing = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked - now > wait then wait = blocked - now end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) + spacing - now > wait then wait = tonumber(last[2]) + spacing - now end
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  if tonumber(oldest[2]) + window - now > wait then wait = tonumber(oldest[2]) + window - now end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
return '0'
`;

// KEYS: block. ARGV: waitMs, now ('' for Redis's TIME). Blocks the installation until now + waitMs, unless already blocked longer.
const BLOCK_SCRIPT = `
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local now_parts = redis.call('TIME')
  now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
end
local blocked_until = math.ceil(now + tonumber(ARGV[1]))
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked_until > current then
  redis.call('SET', KEYS[1], tostring(blocked_until), 'PX', math.ceil(blocked_until - now) + 1000)
end
return 'OK'
`;

export class SharedLimiter {
  readonly #redis: Redis;
  readonly #settings: SharedLimits;
  /** The writer's own clock when one was given; null: Redis's TIME. */
  readonly #now: (() => number) | null;

  constructor(redis: Redis, settings: SharedLimits, now: (() => number) | null) {
    this.#redis = redis;
    this.#settings = settings;
    this.#now = now;
  }

  #time(): string {
    return this.#now ? String(this.#now()) : "";
  }

  /** Records a write of the installation as started now and returns 0, or returns the ms until one may start. */
  async tryAcquire(installationId: number): Promise<number> {
    const { windowMs, writesPerMinute, minSpacingMs } = this.#settings;
    const reply = await this.#eval(
      ACQUIRE_SCRIPT,
      [this.#key(installationId, "log"), this.#key(installationId, "block")],
      [windowMs, writesPerMinute, minSpacingMs, randomUUID(), this.#time()],
    );
    const wait = Number(reply);
    if (!Number.isFinite(wait)) throw new Error(`unexpected reply from the write limiter script: ${String(reply)}`);
    return Math.max(0, wait);
  }

  async block(installationId: number, waitMs: number): Promise<void> {
    await this.#eval(BLOCK_SCRIPT, [this.#key(installationId, "block")], [waitMs, this.#time()]);
  }

  #key(installationId: number, kind: "log" | "block"): string {
    // The hash tag keeps both keys of an installation in one Redis Cluster slot.
    return `${this.#settings.keyPrefix}:{${installationId}}:${kind}`;
  }

  async #eval(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const sha = scriptSha(script);
    try {
      return await this.#redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
      return await this.#redis.eval(script, keys.length, ...keys, ...args);
    }
  }
}

const shas = new Map<string, string>();
function scriptSha(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash("sha1").update(script).digest("hex");
    shas.set(script, sha);
  }
  return sha;
}
