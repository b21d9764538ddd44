/** A source that cannot be had: a refused URL or sha, a failed or timed-out git. */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceError";
  }
}
