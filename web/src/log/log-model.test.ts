import { describe, expect, it } from "vitest";
import { append, emptyWindow, findLines, fromTail, prepend, visibleLines } from "./log-model.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("the log's model", () => {
  const log = "first\nsecond é\nthird\nlast without newline";
  const all = bytes(log);

  it("a whole log: every line at its byte offset, the last one even without its newline", () => {
    const window = fromTail(all, 0, all.length);
    expect(window.lines).toEqual([
      { offset: 0, text: "first" },
      { offset: 6, text: "second é" },
      { offset: 16, text: "third" },
      { offset: 22, text: "last without newline" },
    ]);
    expect(window.start).toBe(0);
  });

  it("read from its tail back, a page at a time: the same lines at the same offsets, a character split between pages whole", () => {
    // Cut inside "é" (two bytes at 13 and 14) and inside "third".
    const tail = fromTail(all.subarray(14), 14, all.length);
    expect(tail.lines.map((l) => l.text)).toEqual(["third", "last without newline"]);
    const middle = prepend(tail, all.subarray(3, 14), 3);
    expect(middle.lines.map((l) => l.text)).toEqual(["second é", "third", "last without newline"]);
    const whole = prepend(middle, all.subarray(0, 3), 0);
    expect(whole.lines).toEqual(fromTail(all, 0, all.length).lines);
    expect(whole.start).toBe(0);
  });

  it("a page with no newline at all waits whole for the page before", () => {
    const text = bytes("aaaa\nbbbbbbbbbb\ncc\n");
    const tail = fromTail(text.subarray(7, 12), 7, text.length);
    expect(tail.lines).toEqual([]);
    const joined = prepend(prepend(tail, text.subarray(2, 7), 2), text.subarray(0, 2), 0);
    expect(joined.lines.map((l) => l.text)).toEqual(["aaaa", "bbbbbbb"]);
  });

  it("live output: whole lines join, the unfinished one shows until its newline comes, offsets in bytes", () => {
    let window = append(emptyWindow(), "é one\ntw");
    expect(visibleLines(window)).toEqual([
      { offset: 0, text: "é one" },
      { offset: 7, text: "tw" },
    ]);
    window = append(window, "o\r\nthree\n");
    expect(window.lines).toEqual([
      { offset: 0, text: "é one" },
      { offset: 7, text: "two" },
      { offset: 12, text: "three" },
    ]);
    expect(window.tail).toBe("");
    expect(window.end).toBe(18);
  });

  it("search ignores colours and case", () => {
    const window = fromTail(bytes("\u001b[31mError\u001b[0m: x\nfine\nan ERROR again\n"), 0, 40);
    expect(findLines(window.lines, "error")).toEqual([0, 2]);
    expect(findLines(window.lines, "")).toEqual([]);
  });
});
