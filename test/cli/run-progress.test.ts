/**
 * RunProgress driven with a fake terminal and a fake clock. Live frames are
 * checked the way a terminal would show them: the output is replayed on a
 * small screen model that understands the escapes the class writes.
 */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, test } from "vitest";
import { formatElapsed, type ProgressOutput, RunProgress } from "../../src/cli/run-progress.ts";

const CELLS = [
  { id: "a", name: "linux / gcc-12 / c++17 / Debug" },
  { id: "b", name: "linux / clang-16 / c++20 / Release" },
  { id: "c", name: "linux / gcc-13 / c++17 / Debug / asan+ubsan" },
];

class FakeOutput implements ProgressOutput {
  readonly writes: string[] = [];
  readonly isTTY: boolean;
  columns?: number;
  rows?: number;

  constructor(tty: boolean, columns?: number, rows?: number) {
    this.isTTY = tty;
    if (columns !== undefined) this.columns = columns;
    if (rows !== undefined) this.rows = rows;
  }

  write(text: string): void {
    this.writes.push(text);
  }

  get text(): string {
    return this.writes.join("");
  }
}

class FakeClock {
  ms = 1_000_000;
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * What a terminal shows after `text`: handles \r, \n, CSI n A (up), CSI 2K
 * (erase line) and CSI J (erase below); colours are dropped; anything else fails.
 */
function screen(text: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  let column = 0;
  const put = (ch: string) => {
    const line = (lines[row] ?? "").padEnd(column);
    lines[row] = line.slice(0, column) + ch + line.slice(column + 1);
    column++;
  };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escapes are what is parsed
  const tokens = text.match(/\u001b\[[0-9;]*[A-Za-z]|\r|\n|[^\u001b\r\n]/gu) ?? [];
  for (const token of tokens) {
    if (token === "\r") column = 0;
    else if (token === "\n") {
      row++;
      column = 0;
      if (lines[row] === undefined) lines[row] = "";
    } else if (token.startsWith("\u001b[")) {
      const final = token.at(-1);
      const n = Number(token.slice(2, -1) || "1");
      if (final === "A") row = Math.max(0, row - n);
      else if (final === "K" && token === "\u001b[2K") lines[row] = "";
      else if (final === "J") {
        lines.splice(row + 1);
        lines[row] = (lines[row] ?? "").slice(0, column);
      } else if (final === "m") continue;
      else throw new Error(`unexpected escape ${JSON.stringify(token)}`);
    } else put(token);
  }
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines.map((l) => l.trimEnd());
}

describe("plain mode (not a terminal, or CI)", () => {
  test("one line per change of state, with the cell's elapsed time, never an escape code", () => {
    const output = new FakeOutput(false);
    const clock = new FakeClock();
    const progress = new RunProgress({ output, cells: CELLS, live: false, now: clock.now, color: true });
    progress.update("a", "image", "building image heimdall-build/gcc-12:bookworm");
    clock.advance(2_000);
    progress.update("b", "skipped", "clang 16 is not installed on this host");
    progress.update("a", "configure");
    clock.advance(10_300);
    progress.update("a", "build");
    clock.advance(65_000);
    progress.update("a", "failure", "2 errors");
    progress.tick();
    progress.finish();
    expect(output.text.split("\n")).toEqual([
      "[   0.0s] linux / gcc-12 / c++17 / Debug: image (building image heimdall-build/gcc-12:bookworm)",
      "[   0.0s] linux / clang-16 / c++20 / Release: skipped (clang 16 is not installed on this host)",
      "[   2.0s] linux / gcc-12 / c++17 / Debug: configure",
      "[  12.3s] linux / gcc-12 / c++17 / Debug: build",
      "[  1m17s] linux / gcc-12 / c++17 / Debug: failure (2 errors)",
      "",
    ]);
    expect(output.text).not.toContain("\u001b");
  });

  test("nothing for a repeated identical state, or for queued at the start", () => {
    const output = new FakeOutput(false);
    const clock = new FakeClock();
    const progress = new RunProgress({ output, cells: CELLS, live: false, now: clock.now });
    progress.update("a", "queued");
    expect(output.writes).toEqual([]);
    progress.update("a", "build");
    clock.advance(500);
    progress.update("a", "build");
    progress.update("a", "build");
    expect(output.writes).toHaveLength(1);
    // A new detail is news.
    progress.update("a", "build", "3 warnings");
    expect(output.writes).toHaveLength(2);
    expect(output.writes[1]).toBe("[   0.5s] linux / gcc-12 / c++17 / Debug: build (3 warnings)\n");
  });

  test("a live request on an output that is not a terminal prints plain lines", () => {
    const output = new FakeOutput(false, 80);
    const progress = new RunProgress({ output, cells: CELLS, live: true, now: new FakeClock().now });
    progress.update("a", "build");
    progress.tick();
    progress.finish();
    expect(output.text).toBe("[   0.0s] linux / gcc-12 / c++17 / Debug: build\n");
  });

  test("escapes and line breaks in a detail are taken out", () => {
    const output = new FakeOutput(false);
    const progress = new RunProgress({ output, cells: CELLS, live: false, now: new FakeClock().now });
    progress.update("a", "image", "step 1/4\r\n\u001b[31mRUN apt-get\u001b[0m");
    expect(output.text).toBe("[   0.0s] linux / gcc-12 / c++17 / Debug: image (step 1/4 RUN apt-get)\n");
  });

  test("an unknown cell is a programming error", () => {
    const progress = new RunProgress({ output: new FakeOutput(false), cells: CELLS, live: false });
    expect(() => progress.update("nope", "build")).toThrow(/no cell 'nope'/);
  });
});

describe("live mode (a terminal)", () => {
  test("redraws the block in place; running cells' times tick, finished cells keep theirs", () => {
    const output = new FakeOutput(true, 120, 40);
    const clock = new FakeClock();
    const progress = new RunProgress({ output, cells: CELLS, live: true, now: clock.now });
    progress.update("a", "build");
    expect(screen(output.text)).toEqual([
      "  ⠋ linux / gcc-12 / c++17 / Debug               build         0.0s",
      "  · linux / clang-16 / c++20 / Release           queued",
      "  · linux / gcc-13 / c++17 / Debug / asan+ubsan  queued",
    ]);
    clock.advance(5_000);
    progress.update("b", "image", "building image heimdall-build/clang-16:bookworm");
    clock.advance(7_300);
    progress.tick();
    // The second frame went back up over the first.
    expect(output.writes[1]?.startsWith("\r\u001b[3A")).toBe(true);
    expect(screen(output.text)).toEqual([
      "  ⠙ linux / gcc-12 / c++17 / Debug               build        12.3s",
      "  ⠙ linux / clang-16 / c++20 / Release           image         7.3s  building image heimdall-build/clang-16:bookworm",
      "  · linux / gcc-13 / c++17 / Debug / asan+ubsan  queued",
    ]);
    progress.update("a", "success");
    progress.update("c", "skipped", "no image recipe");
    clock.advance(60_000);
    progress.tick();
    progress.update("b", "failure", "2 errors");
    progress.finish();
    const final = screen(output.text);
    expect(final).toEqual([
      "  ✓ linux / gcc-12 / c++17 / Debug               success      12.3s",
      "  ✗ linux / clang-16 / c++20 / Release           failure      1m07s  2 errors",
      "  - linux / gcc-13 / c++17 / Debug / asan+ubsan  skipped             no image recipe",
    ]);
    // The cursor is left below the block: what is written next starts a new line under it.
    expect(screen(`${output.text}done`)).toEqual([...final, "done"]);
    // Nothing after finish.
    const written = output.writes.length;
    progress.tick();
    progress.update("a", "failure");
    progress.finish();
    expect(output.writes).toHaveLength(written);
  });

  test("every frame moves the cursor up and clears the lines it redraws", () => {
    const output = new FakeOutput(true, 100, 40);
    const clock = new FakeClock();
    const progress = new RunProgress({ output, cells: CELLS, live: true, now: clock.now });
    progress.tick();
    progress.tick();
    progress.finish();
    expect(output.writes).toHaveLength(3);
    expect(output.writes[0]).not.toContain("\u001b[3A");
    for (const frame of output.writes.slice(1)) {
      expect(frame.startsWith("\r\u001b[3A")).toBe(true);
      expect(frame.split("\u001b[2K")).toHaveLength(4);
    }
  });

  test("lines are cut to the terminal's width", () => {
    const output = new FakeOutput(true, 40, 40);
    const progress = new RunProgress({ output, cells: CELLS, live: true, now: new FakeClock().now, color: true });
    progress.update("c", "configure", "a long detail that cannot fit");
    progress.finish();
    for (const frame of output.writes) {
      for (const line of stripVTControlCharacters(frame).split("\n")) {
        expect([...line.replace(/^\r?/, "")].length).toBeLessThan(40);
      }
    }
    const shown = screen(output.text);
    expect(shown).toHaveLength(3);
    expect(shown[2]).toBe("  ⠋ linux / gcc-13 / c++17 / Debug / a…");
    expect(shown[0]).toMatch(/^ {2}· linux \/ gcc-12 \/ c\+\+17 \/ Debug {2,}…$/);
  });

  test("colour only when asked, and the same text either way", () => {
    const run = (color: boolean) => {
      const output = new FakeOutput(true, 120, 40);
      const clock = new FakeClock();
      const progress = new RunProgress({ output, cells: CELLS, live: true, now: clock.now, color });
      progress.update("a", "build");
      clock.advance(1_000);
      progress.update("a", "success");
      progress.update("b", "failure");
      progress.finish();
      return output.text;
    };
    const plain = run(false);
    const coloured = run(true);
    const sgr = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);
    expect(plain).not.toMatch(sgr);
    expect(coloured).toMatch(sgr);
    expect(coloured).toContain("\u001b[32m✓\u001b[39m");
    expect(screen(coloured)).toEqual(screen(plain));
  });

  test("a block taller than the terminal is condensed to the running cells and a count, then shown whole at the end", () => {
    const cells = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, name: `linux / gcc-${i + 5} / c++17 / Debug` }));
    const output = new FakeOutput(true, 100, 5);
    const clock = new FakeClock();
    const progress = new RunProgress({ output, cells, live: true, now: clock.now });
    progress.update("c0", "success");
    progress.update("c1", "failure");
    progress.update("c2", "build");
    progress.update("c3", "test");
    clock.advance(3_000);
    progress.tick();
    const frame = screen(output.text);
    expect(frame.length).toBeLessThan(5);
    expect(frame).toEqual([
      "  ⠙ linux / gcc-7 / c++17 / Debug  build         3.0s",
      "  ⠙ linux / gcc-8 / c++17 / Debug  test          3.0s",
      "  2/12 done · 1 passed · 1 failed · 2 running · 8 queued",
    ]);
    progress.finish();
    const final = screen(output.text);
    expect(final).toHaveLength(12);
    expect(final[0]).toMatch(/^ {2}✓ linux \/ gcc-5 \/ c\+\+17 \/ Debug +success +0\.0s$/);
    expect(final[11]).toMatch(/^ {2}· linux \/ gcc-16 \/ c\+\+17 \/ Debug +queued$/);
  });
});

test("formatElapsed", () => {
  expect(formatElapsed(0)).toBe("0.0s");
  expect(formatElapsed(12_345)).toBe("12.3s");
  expect(formatElapsed(59_999)).toBe("59.9s");
  expect(formatElapsed(65_000)).toBe("1m05s");
  expect(formatElapsed(3_725_000)).toBe("1h02m");
  expect(formatElapsed(-5)).toBe("0.0s");
});
