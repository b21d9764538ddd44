/**
 * A clock for the GitHub writer that moves only when the writer waits. Sleeps
 * end in the order of their ends: once a turn of the event loop has passed with
 * nothing {@link VirtualClock.during held}, the time jumps to the earliest end
 * of a pending sleep and the sleeps ending then return, the others wait on.
 * Writes run as fast as the machine allows while every decision the limiter
 * makes is about this clock alone, so a test asserts those decisions exactly,
 * however loaded the machine is.
 *
 * Work the writer does between two waits in microtasks (the in-memory limiter)
 * needs nothing more. Work that waits on I/O (a Redis round trip of the shared
 * limiter) must be held with {@link VirtualClock.during}, or another lane's sleep
 * could move the time while the answer is on its way.
 */
import type { Redis } from "ioredis";
import type { WriterClock } from "../../src/github/writer.ts";

interface Sleeper {
  readonly until: number;
  readonly wake: () => void;
}

export class VirtualClock implements WriterClock {
  #now: number;
  /** The sleeps asked for, in ms, in order. */
  readonly sleeps: number[] = [];
  #sleepers: Sleeper[] = [];
  #holds = 0;
  #turnPending = false;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const abort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      };
      const sleeper: Sleeper = {
        until: this.#now + Math.max(0, ms),
        wake: () => {
          signal.removeEventListener("abort", abort);
          resolve();
        },
      };
      signal.addEventListener("abort", abort, { once: true });
      this.#sleepers.push(sleeper);
      this.#nextTurn();
    });
  }

  /** Keeps the time still until `work` settles. */
  during<T>(work: Promise<T>): Promise<T> {
    this.#holds++;
    return work.finally(() => {
      this.#holds--;
      this.#nextTurn();
    });
  }

  #nextTurn(): void {
    if (this.#turnPending || this.#holds > 0 || this.#sleepers.length === 0) return;
    this.#turnPending = true;
    setImmediate(() => {
      this.#turnPending = false;
      this.#advance();
    });
  }

  #advance(): void {
    if (this.#holds > 0 || this.#sleepers.length === 0) return;
    this.#now = Math.max(this.#now, Math.min(...this.#sleepers.map((s) => s.until)));
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#now);
    for (const sleeper of due) sleeper.wake();
    // The woken run on (in microtasks) before the next turn: they may sleep again, or hold.
    this.#nextTurn();
  }
}

/** `redis`, every command of which holds `clock` until its answer has arrived. */
export function heldBy(clock: VirtualClock, redis: Redis): Redis {
  return new Proxy(redis, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? clock.during(result) : result;
      };
    },
  });
}
