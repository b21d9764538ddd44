/**
 * Progress of `heimdall-build run` while the matrix runs: on a terminal, a
 * block with one line per cell redrawn in place; elsewhere (a pipe, CI), one
 * plain line each time a cell changes state, never an escape code.
 */
import { stripVTControlCharacters, styleText } from "node:util";

export type CellState =
  | "queued"
  | "image"
  | "source"
  | "compiler"
  | "configure"
  | "build"
  | "test"
  | "sbom"
  | "success"
  | "neutral"
  | "failure"
  | "timed_out"
  | "cancelled"
  | "skipped";

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns?: number;
  /** The terminal's height: a block taller than this cannot be redrawn in place, so it is condensed. */
  readonly rows?: number;
}

export interface RunProgressOptions {
  readonly output: ProgressOutput;
  readonly cells: readonly { readonly id: string; readonly name: string }[];
  /** Redraw a block in place; honoured only when the output is a TTY. */
  readonly live: boolean;
  /** Milliseconds from any origin; `performance.now` when absent. */
  readonly now?: () => number;
  /** Colour in live mode (plain mode never has any); off when absent. */
  readonly color?: boolean;
}

const TERMINAL: ReadonlySet<CellState> = new Set([
  "success",
  "neutral",
  "failure",
  "timed_out",
  "cancelled",
  "skipped",
]);

const WORD: Readonly<Record<CellState, string>> = {
  queued: "queued",
  image: "image",
  source: "source",
  compiler: "compiler",
  configure: "configure",
  build: "build",
  test: "test",
  sbom: "sbom",
  success: "success",
  neutral: "pass≠",
  failure: "failure",
  timed_out: "timed out",
  cancelled: "cancelled",
  skipped: "skipped",
};
const WORD_WIDTH = Math.max(...Object.values(WORD).map((w) => w.length));

type Format = Parameters<typeof styleText>[0];

const SYMBOL: Readonly<Partial<Record<CellState, readonly [string, Format]>>> = {
  queued: ["·", "gray"],
  success: ["✓", "green"],
  neutral: ["≠", "yellow"],
  failure: ["✗", "red"],
  timed_out: ["✗", "red"],
  cancelled: ["-", "yellow"],
  skipped: ["-", "gray"],
};
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;

/** `12.3s`, `4m05s`, `1h02m`. */
export function formatElapsed(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < 60_000) return `${(Math.floor(safe / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(safe / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

interface Track {
  readonly id: string;
  readonly name: string;
  state: CellState;
  detail: string | null;
  /** When it left the queue. */
  startedAt: number | null;
  /** When it reached a final state. */
  endedAt: number | null;
  /** State and detail of the last plain line, to print only changes. */
  printed: string;
}

/** A piece of a line: its text and, in colour, its format. */
interface Segment {
  readonly text: string;
  readonly format?: Format;
}

const ESC = "\u001b[";

export class RunProgress {
  private readonly output: ProgressOutput;
  private readonly live: boolean;
  private readonly now: () => number;
  private readonly color: boolean;
  private readonly tracks: Track[];
  private readonly byId = new Map<string, Track>();
  /** Lines of the block on screen, to move back over. */
  private drawn = 0;
  private spin = 0;
  private finished = false;

  constructor(options: RunProgressOptions) {
    this.output = options.output;
    this.live = options.live && options.output.isTTY;
    this.now = options.now ?? (() => performance.now());
    this.color = options.color ?? false;
    this.tracks = options.cells.map((c) => ({
      id: c.id,
      name: oneLine(c.name),
      state: "queued",
      detail: null,
      startedAt: null,
      endedAt: null,
      printed: key("queued", null),
    }));
    for (const track of this.tracks) this.byId.set(track.id, track);
  }

  /** A cell's new state; `detail` says more ("building image ...", "2 errors") until the next update. */
  update(id: string, state: CellState, detail?: string): void {
    const track = this.byId.get(id);
    if (!track) throw new Error(`RunProgress: no cell '${id}'`);
    if (this.finished) return;
    const t = this.now();
    if (state !== "queued" && track.startedAt === null) track.startedAt = t;
    if (!TERMINAL.has(state)) track.endedAt = null;
    else if (track.endedAt === null) track.endedAt = t;
    track.state = state;
    track.detail = detail === undefined ? null : oneLine(detail) || null;

    if (this.live) {
      this.draw(false);
      return;
    }
    const printed = key(state, track.detail);
    if (printed === track.printed) return;
    track.printed = printed;
    const elapsed = formatElapsed(this.elapsed(track) ?? 0).padStart(7);
    this.output.write(`[${elapsed}] ${track.name}: ${WORD[state]}${track.detail ? ` (${track.detail})` : ""}\n`);
  }

  /** Redraws the running cells' elapsed times (live mode only). */
  tick(): void {
    if (!this.live || this.finished) return;
    this.spin = (this.spin + 1) % SPINNER.length;
    this.draw(false);
  }

  /** The last frame, every cell shown, the cursor left below it; later calls do nothing. */
  finish(): void {
    if (this.finished) return;
    if (this.live) this.draw(true);
    this.finished = true;
  }

  private elapsed(track: Track): number | null {
    if (track.startedAt === null) return null;
    return (track.endedAt ?? this.now()) - track.startedAt;
  }

  private draw(final: boolean): void {
    const width = Math.max(10, (this.output.columns ?? 80) - 1);
    const lines = this.frame(final).map((segments) => this.paint(cutToWidth(segments, width)));
    const back = this.drawn > 0 ? `\r${ESC}${this.drawn}A` : "";
    const body = lines.map((line) => `${ESC}2K${line}\n`).join("");
    // Clears what is left of a taller previous frame.
    this.output.write(`${back}${body}${ESC}J`);
    this.drawn = lines.length;
  }

  /** Every cell, or, when the block would not fit the terminal, the running ones and a count of the rest. */
  private frame(final: boolean): Segment[][] {
    const room = this.output.rows !== undefined && this.output.rows > 1 ? this.output.rows - 1 : Infinity;
    if (final || this.tracks.length <= room) {
      const nameWidth = Math.max(...this.tracks.map((t) => t.name.length));
      return this.tracks.map((t) => this.line(t, nameWidth));
    }
    const running = this.tracks.filter((t) => t.state !== "queued" && !TERMINAL.has(t.state));
    const shown = running.slice(0, Math.max(0, room - 1));
    const nameWidth = Math.max(0, ...shown.map((t) => t.name.length));
    return [...shown.map((t) => this.line(t, nameWidth)), this.summary()];
  }

  private line(track: Track, nameWidth: number): Segment[] {
    const symbol = SYMBOL[track.state] ?? [SPINNER[this.spin] ?? "…", "cyan"];
    const elapsed = this.elapsed(track);
    const time = elapsed === null || track.state === "skipped" ? "" : formatElapsed(elapsed);
    const running = !TERMINAL.has(track.state) && track.state !== "queued";
    return [
      { text: "  " },
      { text: symbol[0], format: symbol[1] },
      { text: ` ${track.name.padEnd(nameWidth)}  ` },
      {
        text: WORD[track.state].padEnd(WORD_WIDTH),
        format: track.state === "queued" ? "gray" : running ? "cyan" : symbol[1],
      },
      { text: `  ${time.padStart(7)}`, format: "gray" },
      ...(track.detail ? [{ text: `  ${track.detail}` }] : []),
    ];
  }

  private summary(): Segment[] {
    const count = (test: (t: Track) => boolean) => this.tracks.filter(test).length;
    const done = count((t) => TERMINAL.has(t.state));
    const parts = [
      `${done}/${this.tracks.length} done`,
      `${count((t) => t.state === "success")} passed`,
      `${count((t) => t.state === "failure" || t.state === "timed_out")} failed`,
      `${count((t) => t.state !== "queued" && !TERMINAL.has(t.state))} running`,
      `${count((t) => t.state === "queued")} queued`,
    ];
    return [{ text: `  ${parts.join(" · ")}` }];
  }

  private paint(segments: readonly Segment[]): string {
    return segments
      .map((s) =>
        this.color && s.format !== undefined && s.text.trim() !== ""
          ? styleText(s.format, s.text, { validateStream: false })
          : s.text,
      )
      .join("")
      .trimEnd();
  }
}

function key(state: CellState, detail: string | null): string {
  return `${state}\u0000${detail ?? ""}`;
}

/** Text that cannot move the cursor or break the block: escapes and control characters out, on one line. */
function oneLine(text: string): string {
  return (
    stripVTControlCharacters(text)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u001f\u007f]+/g, " ")
      .trim()
  );
}

/** The segments cut to `width` characters, `…` marking the cut. */
function cutToWidth(segments: readonly Segment[], width: number): Segment[] {
  const total = segments.reduce((n, s) => n + [...s.text].length, 0);
  if (total <= width) return [...segments];
  const out: Segment[] = [];
  let left = width - 1;
  for (const s of segments) {
    const chars = [...s.text];
    if (chars.length <= left) {
      out.push(s);
      left -= chars.length;
      continue;
    }
    out.push({ ...s, text: chars.slice(0, left).join("") });
    break;
  }
  out.push({ text: "…" });
  return out;
}
