/**
 * The live tail of a running attempt's log, through Redis, so that the API on
 * any server can show what a worker on any host is printing. One capped Redis
 * stream per attempt: the worker appends the output in batches (a few a
 * second, whatever the build prints), the stream keeps about the last
 * TAIL_ENTRIES of them, and an `end` entry says the attempt is over. The whole
 * log is the object store's; this is only its moving end.
 */
import type { Redis } from "ioredis";

/** Entries kept per stream (approximately: Redis trims whole nodes). */
export const TAIL_ENTRIES = 256;
/** The most text one entry carries; a batch larger than this is cut into several. */
export const ENTRY_CHARS = 16 * 1024;
/** Text waiting for Redis at most: past it the oldest is dropped (a slow Redis never grows a worker). */
const MAX_PENDING_CHARS = 256 * 1024;
const FLUSH_MS = 250;
/** How long a finished attempt's tail stays readable. */
const KEEP_SECONDS = 24 * 60 * 60;

export function liveLogKey(prefix: string, attemptId: string): string {
  return `${prefix}:live-log:${attemptId}`;
}

/** A worker's side: `write` each chunk of output as it comes, `end` once. */
export class LiveLogPublisher {
  readonly #redis: Redis;
  readonly #key: string;
  #pending: string[] = [];
  #pendingChars = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The batch on its way to Redis; the next waits in #pending (bounded) until it is done. */
  #sending: Promise<void> | null = null;
  #ended = false;

  constructor(redis: Redis, prefix: string, attemptId: string) {
    this.#redis = redis;
    this.#key = liveLogKey(prefix, attemptId);
  }

  /**
   * Forgets an earlier run of the same attempt (a worker that died mid-build)
   * and says the cell is being prepared, so its link answers before the build prints.
   */
  async start(): Promise<void> {
    await this.#redis
      .multi()
      .del(this.#key)
      .xadd(this.#key, "*", "text", "[heimdall-build: preparing the cell: image, source]\n")
      .expire(this.#key, KEEP_SECONDS)
      .exec()
      .catch(() => undefined);
  }

  write(chunk: string): void {
    if (this.#ended || chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#pendingChars += chunk.length;
    while (this.#pendingChars > MAX_PENDING_CHARS && this.#pending.length > 1) {
      const dropped = this.#pending.shift() ?? "";
      this.#pendingChars -= dropped.length;
      this.#dropped += dropped.length;
    }
    this.#schedule();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, FLUSH_MS);
  }

  /** Sends what is left and the end entry; the tail then expires after a day. */
  async end(conclusion: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#sending) await this.#sending;
    this.#flush();
    while (this.#sending) await this.#sending;
    await this.#redis
      .multi()
      .xadd(this.#key, "MAXLEN", "~", TAIL_ENTRIES, "*", "end", conclusion)
      .expire(this.#key, KEEP_SECONDS)
      .exec()
      .catch(() => undefined);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    if (this.#sending) {
      // One batch at a time: the text waits in the bounded buffer meanwhile.
      if (!this.#ended) this.#schedule();
      return;
    }
    let text = this.#pending.join("");
    if (this.#dropped > 0) text = `\n[heimdall-build: ${this.#dropped} characters of the live tail skipped]\n${text}`;
    this.#pending = [];
    this.#pendingChars = 0;
    this.#dropped = 0;
    const multi = this.#redis.multi();
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + ENTRY_CHARS);
      // Never between the two halves of a surrogate pair.
      if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1] ?? "")) end--;
      multi.xadd(this.#key, "MAXLEN", "~", TAIL_ENTRIES, "*", "text", text.slice(at, end));
      at = end;
    }
    multi.expire(this.#key, KEEP_SECONDS);
    // A failed batch is lost from the tail only (the stored log has it).
    this.#sending = multi.exec().then(
      () => {
        this.#sending = null;
      },
      () => {
        this.#sending = null;
      },
    );
  }
}

export interface LiveLogRead {
  /** The text of the entries read, in order. */
  readonly text: string;
  /** The last entry's id: read on from there. */
  readonly cursor: string;
  /** The attempt is over ("success", "failure"...), or null while it runs. */
  readonly ended: string | null;
}

/**
 * The tail after `cursor` ("0": all that is kept); with `blockMs`, waits that
 * long for something new when there is nothing yet. null when there is no
 * such stream (never started, or long expired).
 */
export async function readLiveLog(
  redis: Redis,
  prefix: string,
  attemptId: string,
  cursor = "0",
  blockMs = 0,
): Promise<LiveLogRead | null> {
  const key = liveLogKey(prefix, attemptId);
  let entries: [string, string[]][];
  if (cursor === "0") {
    // The first read: the newest entries (the stream may hold more than are wanted), oldest first.
    entries = ((await redis.xrevrange(key, "+", "-", "COUNT", TAIL_ENTRIES)) as [string, string[]][]).reverse();
  } else {
    const args: (string | number)[] = blockMs > 0 ? ["BLOCK", blockMs] : [];
    const reply = (await redis.xread("COUNT", TAIL_ENTRIES, ...(args as ["BLOCK", number]), "STREAMS", key, cursor)) as
      | [string, [string, string[]][]][]
      | null;
    entries = reply?.[0]?.[1] ?? [];
  }
  if (entries.length === 0 && !(await redis.exists(key))) return null;
  let text = "";
  // "0-0", not "0", after an empty first read: the next read waits for what comes.
  let last = cursor === "0" ? "0-0" : cursor;
  let ended: string | null = null;
  for (const [id, fields] of entries) {
    last = id;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "text") text += fields[i + 1];
      else if (fields[i] === "end") ended = fields[i + 1] ?? "";
    }
  }
  return { text, cursor: last, ended };
}
