/**
 * A running attempt's live log to an HTTP response: its tail as text, or,
 * followed, the output as the worker prints it (chunked text) until the
 * attempt ends or the reader leaves. Followers are bounded (each holds a
 * Redis connection) and all end when the server stops.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { type LiveLogRead, readLiveLog } from "../queue/live-log.ts";

export interface LiveLogFollowersOptions {
  readonly redis: Redis;
  readonly prefix: string;
  /** Followers at once, at most (default 100). */
  readonly max?: number;
  /** How long a follower waits for new output per Redis read (default 5 s). */
  readonly blockMs?: number;
}

export class LiveLogFollowers {
  readonly #options: LiveLogFollowersOptions;
  readonly #following = new Set<ServerResponse>();

  constructor(options: LiveLogFollowersOptions) {
    this.#options = options;
  }

  /** The tail as it is now; null when there is no live log for the attempt. */
  first(attemptId: string): Promise<LiveLogRead | null> {
    return readLiveLog(this.#options.redis, this.#options.prefix, attemptId);
  }

  /** Whether one more may follow now. */
  get full(): boolean {
    return this.#following.size >= (this.#options.max ?? 100);
  }

  /** Sends `first` and then what follows it, until the attempt ends or the response closes. */
  async follow(attemptId: string, first: LiveLogRead, response: ServerResponse): Promise<void> {
    let gone = response.destroyed;
    response.on("close", () => {
      gone = true;
    });
    this.#following.add(response);
    const reader = this.#options.redis.duplicate();
    response.on("close", () => reader.disconnect());
    try {
      // A reader that does not read holds the stream here, not in this process's memory.
      const send = async (text: string) => {
        if (!response.write(text) && !gone) await once(response, "drain").catch(() => undefined);
      };
      await send(first.text);
      let cursor = first.cursor;
      while (!gone) {
        const next = await readLiveLog(reader, this.#options.prefix, attemptId, cursor, this.#options.blockMs ?? 5000);
        if (!next) break;
        if (next.text) await send(next.text);
        cursor = next.cursor;
        if (next.ended !== null) break;
      }
    } catch {
      // The client went away (its reader disconnected) or Redis did: the response ends.
    } finally {
      this.#following.delete(response);
      reader.disconnect();
      response.end();
    }
  }

  /** Ends every followed live log (the server is stopping: they could last hours). */
  shutdown(): void {
    for (const response of this.#following) response.destroy();
  }
}
