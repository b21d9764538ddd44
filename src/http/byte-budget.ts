/**
 * The bytes of request bodies this process holds at once, across requests. A
 * cap per body alone still lets many bodies at once take the memory (thirty
 * unsigned 25 MB POSTs are 750 MB before one signature is checked); with a
 * budget the sum is bounded too, and a body that does not fit is refused.
 */
export class ByteBudget {
  readonly #limit: number;
  #used = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` if they fit: false (nothing taken) when they do not. */
  reserve(bytes: number): boolean {
    if (this.#used + bytes > this.#limit) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
