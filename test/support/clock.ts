/**
 * A clock for the GitHub writer that moves only when the writer waits: a sleep
 * of `ms` started at `t` returns on the next turn of the event loop with the
 * time at least `t + ms`. Writes run as fast as the machine allows while
 * every decision the limiter makes is about this clock alone, so a test asserts
 * those decisions exactly, however loaded the machine is.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { WriterClock } from "../../src/github/writer.ts";

export class VirtualClock implements WriterClock {
  #now: number;
  /** The sleeps asked for, in ms, in order. */
  readonly sleeps: number[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.sleeps.push(ms);
    const until = this.#now + Math.max(0, ms);
    await nextTurn(undefined, { signal });
    // Never early; later when another sleep moved the time further meanwhile. Never back.
    this.#now = Math.max(this.#now, until);
  }
}
