/** The line splitter every log goes through: bytes in any chunking, clean bounded lines out. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CUT_MARKER, cleanLine, LineSplitter, MAX_LINE_CHARS, stripAnsi } from "../../src/diagnostics/lines.ts";

function splitAll(chunks: readonly (string | Uint8Array)[]): string[] {
  const splitter = new LineSplitter();
  return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
}

describe("LineSplitter", () => {
  test("any chunking of UTF-8 bytes gives the same lines, characters cut between chunks included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 30 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (lines, cuts) => {
          const text = lines
            .map((l) => l.replaceAll("\r", "").replaceAll("\n", "").replaceAll("\u001b", ""))
            .join("\n");
          const bytes = Buffer.from(text, "utf8");
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let start = 0;
          for (const point of [...points, bytes.length]) {
            chunks.push(bytes.subarray(start, point));
            start = point;
          }
          const expected = text === "" ? [] : text.split("\n");
          if (text.endsWith("\n")) expected.pop();
          expect(splitAll(chunks)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("\\r\\n line ends and carriage-return progress lines show what a terminal would", () => {
    expect(splitAll(["a.cpp:1:1: warning: x\r\n", "[1/3] a\r[2/3] b\r[3/3] c\n"])).toEqual([
      "a.cpp:1:1: warning: x",
      "[3/3] c",
    ]);
  });

  test("colour, erase-line and hyperlink escapes are removed", () => {
    const gcc =
      "\u001b[01m\u001b[Ka.cpp:6:7:\u001b[m\u001b[K \u001b[01;35m\u001b[Kwarning: \u001b[m\u001b[Kunused variable [\u001b[01;35m\u001b[K\u001b]8;;https://gcc.gnu.org/onlinedocs/gcc/Warning-Options.html#index-Wunused-variable\u001b\\-Wunused-variable\u001b]8;;\u001b\\\u001b[m\u001b[K]";
    expect(stripAnsi(gcc)).toBe("a.cpp:6:7: warning: unused variable [-Wunused-variable]");
    expect(cleanLine("plain")).toBe("plain");
  });

  test("a line longer than the limit is cut with a marker and the rest of it dropped", () => {
    const long = "x".repeat(MAX_LINE_CHARS * 3);
    const lines = splitAll([long.slice(0, 1000), long.slice(1000), "\nnext\n"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${"x".repeat(MAX_LINE_CHARS)}${CUT_MARKER}`);
    expect(lines[1]).toBe("next");
  });
});
