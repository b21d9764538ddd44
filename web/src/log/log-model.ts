/**
 * A log as far as it has been read: a window of whole lines between two byte
 * offsets of the stored log (read from its tail back, a page at a time), or
 * a running cell's output as it arrives. Lines keep the byte offset they start
 * at: a line's link (`#b<offset>`) names the same line whatever part was read.
 * Pure: no fetch, no DOM.
 */
export interface LogLine {
  /** Where the line starts in the log, in bytes. */
  readonly offset: number;
  readonly text: string;
}

export interface LogWindow {
  readonly lines: readonly LogLine[];
  /** The first byte read; 0 once the log is read from its start. */
  readonly start: number;
  /** Bytes read before `start` that do not end a line yet (the page before completes them). */
  readonly headFragment: Uint8Array<ArrayBufferLike>;
  /** The log's size when last asked; null while it grows (a running cell). */
  readonly size: number | null;
  /** An unfinished last line (live output), shown but not yet a line. */
  readonly tail: string;
  /** Where the next appended byte lies. */
  readonly end: number;
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder("utf-8");

export function emptyWindow(): LogWindow {
  return { lines: [], start: 0, headFragment: new Uint8Array(), size: null, tail: "", end: 0 };
}

/** Splits bytes starting at `offset` into whole lines and what follows the last newline. */
function splitLines(bytes: Uint8Array, offset: number): { lines: LogLine[]; rest: Uint8Array } {
  const lines: LogLine[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== NEWLINE) continue;
    lines.push({ offset: offset + from, text: decoder.decode(bytes.subarray(from, i)).replace(/\r$/, "") });
    from = i + 1;
  }
  return { lines, rest: bytes.subarray(from) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * The last page of a stored log (`bytes start–end of size`): lines from the
 * first newline on when it does not start the log (the bytes before it wait
 * for the page before); the last line even without its newline.
 */
export function fromTail(bytes: Uint8Array, start: number, size: number): LogWindow {
  let head: Uint8Array<ArrayBufferLike> = new Uint8Array();
  let body = bytes;
  if (start > 0) {
    const newline = bytes.indexOf(NEWLINE);
    head = newline < 0 ? bytes : bytes.subarray(0, newline + 1);
    body = newline < 0 ? new Uint8Array() : bytes.subarray(newline + 1);
  }
  const bodyStart = start + head.length;
  const { lines, rest } = splitLines(body, bodyStart);
  if (rest.length > 0) lines.push({ offset: start + bytes.length - rest.length, text: decoder.decode(rest) });
  return { lines, start, headFragment: head, size, tail: "", end: start + bytes.length };
}

/** The page before the window (`bytes` ending where the window starts). */
export function prepend(window: LogWindow, bytes: Uint8Array, start: number): LogWindow {
  const joined = concat(bytes, window.headFragment);
  let head: Uint8Array<ArrayBufferLike> = new Uint8Array();
  let body = joined;
  if (start > 0) {
    const newline = joined.indexOf(NEWLINE);
    head = newline < 0 ? joined : joined.subarray(0, newline + 1);
    body = newline < 0 ? new Uint8Array() : joined.subarray(newline + 1);
  }
  const { lines, rest } = splitLines(body, start + head.length);
  // Bytes after the last newline: the window held no whole line, so they are the log's last, unterminated one.
  if (rest.length > 0) lines.push({ offset: window.end - rest.length, text: decoder.decode(rest) });
  return { ...window, lines: [...lines, ...window.lines], start, headFragment: head };
}

/** Live output appended: whole lines join the window, the unfinished one stays as its tail. */
export function append(window: LogWindow, text: string): LogWindow {
  const combined = window.tail + text;
  const parts = combined.split("\n");
  const tail = parts.pop() ?? "";
  const encoder = new TextEncoder();
  let offset = window.end - encoder.encode(window.tail).length;
  const lines: LogLine[] = [];
  for (const part of parts) {
    lines.push({ offset, text: part.replace(/\r$/, "") });
    offset += encoder.encode(part).length + 1;
  }
  return { ...window, lines: [...window.lines, ...lines], tail, end: offset + encoder.encode(tail).length };
}

/** The lines to show: the window's, and the unfinished one while output arrives. */
export function visibleLines(window: LogWindow): readonly LogLine[] {
  if (!window.tail) return window.lines;
  return [...window.lines, { offset: window.end - new TextEncoder().encode(window.tail).length, text: window.tail }];
}

/** Indexes of the lines that contain `query` (case-insensitive; ANSI colours ignored). */
export function findLines(lines: readonly LogLine[], query: string): number[] {
  const needle = query.toLowerCase();
  if (!needle) return [];
  const found: number[] = [];
  for (const [index, line] of lines.entries())
    if (stripAnsi(line.text).toLowerCase().includes(needle)) found.push(index);
  return found;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}
