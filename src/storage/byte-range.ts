/** Parts of stored objects, as HTTP range requests ask for them (a long log read a page at a time). */
/** A byte range as HTTP asks for one: `start`–`end` (inclusive; end omitted: to the end), or the last `suffix` bytes. */
export type ByteRange = { readonly start: number; readonly end?: number } | { readonly suffix: number };

/** A part of an object: its bytes from `start` to `end` (inclusive) of `size`. */
export interface ObjectPart {
  readonly body: NodeJS.ReadableStream;
  readonly start: number;
  readonly end: number;
  readonly size: number;
}

/** The range lies past the object's end: HTTP's 416. */
export class RangeNotSatisfiable extends Error {
  override readonly name = "RangeNotSatisfiable";
  readonly size: number;
  constructor(size: number) {
    super(`the range lies past the object's ${size} bytes`);
    this.size = size;
  }
}

/** A range against an object's size: the bytes it names, or RangeNotSatisfiable. An empty object has none. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  if ("suffix" in range) {
    if (size === 0 || range.suffix <= 0) throw new RangeNotSatisfiable(size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) throw new RangeNotSatisfiable(size);
  return { start: range.start, end: Math.min(size - 1, range.end ?? size - 1) };
}
