/**
 * A cell's log with bounded memory, whatever the build prints: every byte is
 * counted, the last few KiB are kept for the live tail, and the output is
 * forwarded to a writable (the log's upload) up to a cap, after which one
 * marker line says where the log was cut and how much the build printed.
 *
 * Backpressure: when the writable asks to wait (`write` returned false),
 * `write` returns a promise and the caller pauses the container's output until
 * it settles, so the build blocks on its own writes and nothing piles up here.
 * A writable that stays full for `stallMs` is given up on: the log is cut
 * there and the rest only counted, so a stalled upload cannot hold a cell past
 * that (nor hold its container's stream open after a timeout or cancel).
 */

export interface CappedLogOptions {
  /** Bytes forwarded to the writable, at most; the default is 512 MiB. */
  readonly maxBytes?: number;
  /** The live tail's size; the default is 64 KiB. */
  readonly tailBytes?: number;
  /** Where the log goes (the object store upload); it is ended by `end()`. */
  readonly writable?: NodeJS.WritableStream;
  /** How long the writable may ask to wait before the log stops forwarding; the default is 60 s. */
  readonly stallMs?: number;
}

export interface LogSummary {
  /** Bytes the build printed. */
  readonly bytes: number;
  /** Bytes of them forwarded to the writable (or that would have been, without one). */
  readonly kept: number;
  readonly truncated: boolean;
  /** The end of the output, as text. */
  readonly tail: string;
}

export const DEFAULT_MAX_LOG_BYTES = 512 * 1024 * 1024;
export const DEFAULT_TAIL_BYTES = 64 * 1024;
const DEFAULT_STALL_MS = 60_000;

export function cutMarker(kept: number, bytes: number): string {
  return `\n[heimdall-build: the log was cut at ${kept} bytes; the build printed ${bytes} bytes]\n`;
}

export class CappedLog {
  private readonly maxBytes: number;
  private readonly stallMs: number;
  private readonly writable: NodeJS.WritableStream | undefined;
  private readonly ring: Buffer;
  /** Where the next byte goes in the ring, and whether it has wrapped. */
  private ringAt = 0;
  private ringFull = false;
  private total = 0;
  private forwarded = 0;
  /** No more output is forwarded: the cap was reached, the writable failed or stalled. */
  private cut = false;
  private failed: Error | null = null;
  private stalled = false;
  private ended = false;
  private waiting: Promise<void> | null = null;

  constructor(options: CappedLogOptions = {}) {
    this.maxBytes = Math.max(0, Math.floor(options.maxBytes ?? DEFAULT_MAX_LOG_BYTES));
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    this.writable = options.writable;
    this.ring = Buffer.alloc(Math.max(1, Math.floor(options.tailBytes ?? DEFAULT_TAIL_BYTES)));
    // Its owner sees its errors too; here one only stops the forwarding (and
    // does not crash the worker for want of a listener).
    this.writable?.on("error", (error: Error) => {
      this.failed ??= error;
      this.cut = true;
    });
  }

  /**
   * One chunk of output. Returns a promise when the writable asked to wait:
   * pause the source until it settles (it never rejects).
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.ended) throw new Error("CappedLog: write after end");
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.total += bytes.length;
    this.remember(bytes);
    if (this.cut) return undefined;

    let piece = bytes;
    const room = this.maxBytes - this.forwarded;
    if (bytes.length >= room) {
      // The cap: cut on a character's first byte, so the stored log stays valid UTF-8.
      let length = room;
      for (let back = 0; back < 3 && length > 0 && isContinuation(bytes[length]); back++) length--;
      if (length < bytes.length && isContinuation(bytes[length])) length = room; // not UTF-8: cut where asked
      piece = bytes.subarray(0, length);
      this.cut = true;
    }
    this.forwarded += piece.length;
    if (!this.writable || piece.length === 0) return undefined;
    if (this.writable.write(piece)) return undefined;
    this.waiting ??= this.drained();
    return this.waiting;
  }

  /**
   * The output has ended: the marker if the log was cut, then the writable is
   * ended and, unless it stalled or failed, its finish awaited (at most stallMs).
   */
  async end(): Promise<LogSummary> {
    if (!this.ended) {
      this.ended = true;
      const writable = this.writable;
      if (writable && !this.failed) {
        if (this.truncated) writable.write(cutMarker(this.forwarded, this.total));
        const finished = this.stalled ? Promise.resolve() : this.settled(writable, ["finish", "close", "error"]);
        writable.end();
        await finished;
      }
    }
    return this.summary();
  }

  get bytes(): number {
    return this.total;
  }

  get kept(): number {
    return this.forwarded;
  }

  get truncated(): boolean {
    return this.total > this.forwarded;
  }

  /** Why the writable stopped taking the log, if it did: its error, or its stall. */
  get problem(): string | null {
    if (this.failed) return `the log's writable failed: ${this.failed.message}`;
    if (this.stalled) return `the log's writable took nothing for ${this.stallMs} ms`;
    return null;
  }

  /** The last tailBytes of the output (all of it, past the cut too), from a character's start. */
  tail(): string {
    const raw = this.ringFull
      ? Buffer.concat([this.ring.subarray(this.ringAt), this.ring.subarray(0, this.ringAt)])
      : this.ring.subarray(0, this.ringAt);
    let start = 0;
    if (this.ringFull) while (start < 3 && isContinuation(raw[start])) start++;
    return raw.subarray(start, completeUtf8Length(raw)).toString("utf8");
  }

  summary(): LogSummary {
    return { bytes: this.total, kept: this.forwarded, truncated: this.truncated, tail: this.tail() };
  }

  private remember(bytes: Buffer) {
    const size = this.ring.length;
    if (bytes.length >= size) {
      bytes.copy(this.ring, 0, bytes.length - size);
      this.ringAt = 0;
      this.ringFull = true;
      return;
    }
    const first = Math.min(bytes.length, size - this.ringAt);
    bytes.copy(this.ring, this.ringAt, 0, first);
    if (first < bytes.length) {
      bytes.copy(this.ring, 0, first);
      this.ringAt = bytes.length - first;
      this.ringFull = true;
    } else {
      this.ringAt += first;
      if (this.ringAt === size) {
        this.ringAt = 0;
        this.ringFull = true;
      }
    }
  }

  /** Settles on drain, the writable's end or error, or the stall limit (then the log is cut). */
  private async drained(): Promise<void> {
    const writable = this.writable;
    if (!writable) return;
    const outcome = await this.settled(writable, ["drain", "close", "error"]);
    this.waiting = null;
    if (outcome === "timeout") {
      this.stalled = true;
      this.cut = true;
    } else if (outcome === "close") this.cut = true;
  }

  private settled(writable: NodeJS.WritableStream, events: readonly string[]): Promise<string> {
    return new Promise((resolve) => {
      const listeners = events.map((event) => {
        const listener = () => finish(event);
        writable.once(event, listener);
        return [event, listener] as const;
      });
      const timer = setTimeout(() => finish("timeout"), this.stallMs);
      const finish = (outcome: string) => {
        clearTimeout(timer);
        for (const [event, listener] of listeners) writable.removeListener(event, listener);
        resolve(outcome);
      };
    });
  }
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/** The buffer's length without a character its end cut short. */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
