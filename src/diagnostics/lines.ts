/**
 * Bytes or text in, clean lines out: split on \n (and \r\n), bounded in length,
 * terminal colour and cursor codes removed, a carriage-return progress line
 * reduced to what it finally shows.
 */
import { Utf8Chunks } from "./utf8.ts";

/** A line longer than this is cut: a minified blob must not hold the whole log in memory. */
export const MAX_LINE_CHARS = 16 * 1024;
export const CUT_MARKER = " [... line cut by heimdall-build]";

// CSI (ESC [ params final), OSC (ESC ] ... BEL or ESC \), and two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes("\u001b") ? text.replace(ANSI, "") : text;
}

/** The line as a terminal would finally show it. */
export function cleanLine(raw: string): string {
  if (raw.indexOf("\r") === -1 && raw.indexOf("\u001b") === -1) return raw;
  let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  const cr = line.lastIndexOf("\r");
  if (cr !== -1) line = line.slice(cr + 1);
  return stripAnsi(line);
}

export class LineSplitter {
  private partial = "";
  private cutting = false;
  private readonly decoder = new Utf8Chunks();

  /** The complete lines in this chunk; a trailing partial line waits for the next chunk. */
  push(chunk: string | Uint8Array): string[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (this.partial === "" && !this.cutting && nl - start <= MAX_LINE_CHARS) {
        lines.push(cleanLine(text.slice(start, nl)));
      } else {
        this.append(text.slice(start, nl));
        lines.push(cleanLine(this.partial));
        this.partial = "";
        this.cutting = false;
      }
      start = nl + 1;
    }
    this.append(text.slice(start));
    return lines;
  }

  /** The last line, if the log did not end with a newline. */
  end(): string[] {
    const rest = this.decoder.end();
    this.append(rest);
    const last = this.partial;
    this.partial = "";
    this.cutting = false;
    return last === "" ? [] : [cleanLine(last)];
  }

  private append(piece: string) {
    if (this.cutting || piece === "") return;
    if (this.partial.length + piece.length <= MAX_LINE_CHARS) {
      this.partial += piece;
      return;
    }
    this.partial = this.partial + piece.slice(0, MAX_LINE_CHARS - this.partial.length) + CUT_MARKER;
    this.cutting = true;
  }
}
