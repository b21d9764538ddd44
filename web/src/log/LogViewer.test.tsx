// @vitest-environment jsdom
/**
 * The log viewer in jsdom with the API's answers stubbed: a 500 MB log reads
 * one page (its tail) and puts only the rows on screen in the DOM; scrolling
 * to the top asks for the page before; colours render as styles, never HTML;
 * a running cell's output appears as it arrives and its end is told.
 */
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LogViewer } from "./LogViewer.tsx";

// jsdom lays nothing out: the log's box is given the size a browser would give it.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 600 });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 1200 });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const encoder = new TextEncoder();

/** The API serving a whole (short, ASCII) log as one range. */
function serveWhole(text: string) {
  vi.stubGlobal(
    "fetch",
    vi.fn(
      async () =>
        new Response(encoder.encode(text), {
          status: 206,
          headers: { "content-range": `bytes 0-${text.length - 1}/${text.length}` },
        }),
    ),
  );
}

/** A log of `size` bytes made of `line N` lines, served by range as the API does. */
function hugeLog(size: number) {
  const requests: string[] = [];
  const byteAt = (offset: number) => {
    // Lines of 16 bytes: "line 0000000001\n".
    const line = Math.floor(offset / 16);
    const text = `line ${String(line).padStart(10, "0")}\n`;
    return text.charCodeAt(offset % 16);
  };
  const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("range") ?? "";
    requests.push(range);
    const suffix = /^bytes=-(\d+)$/.exec(range);
    const span = /^bytes=(\d+)-(\d+)$/.exec(range);
    const start = suffix ? size - Number(suffix[1]) : Number(span?.[1]);
    const end = suffix ? size - 1 : Number(span?.[2]);
    const body = new Uint8Array(end - start + 1);
    for (let i = 0; i < body.length; i++) body[i] = byteAt(start + i);
    return new Response(body, { status: 206, headers: { "content-range": `bytes ${start}-${end}/${size}` } });
  });
  return { fetch, requests };
}

describe("LogViewer", () => {
  it("a 500 MB log: one page read (its tail), a few rows in the DOM, the page before read at the top", async () => {
    const size = 500 * 1024 * 1024;
    const log = hugeLog(size);
    vi.stubGlobal("fetch", log.fetch);
    render(<LogViewer url="/api/v1/builds/1/logs/c?attempt=1" live={false} />);
    await waitFor(() =>
      expect(screen.getByLabelText("Log status").textContent).toBe("the last 256 KiB of 500.0 MiB; scroll up for more"),
    );
    expect(log.requests).toEqual(["bytes=-262144"]);
    const rows = screen.getByRole("log").querySelectorAll("[data-offset]");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(200);
    // The page before: the bytes just before what was read.
    await act(async () => {
      screen.getByRole("button", { name: "Load earlier" }).click();
    });
    await waitFor(() => expect(log.requests).toHaveLength(2));
    expect(log.requests[1]).toBe(`bytes=${size - 2 * 262144}-${size - 262144 - 1}`);
    await waitFor(() =>
      expect(screen.getByLabelText("Log status").textContent).toBe("the last 512 KiB of 500.0 MiB; scroll up for more"),
    );
  });

  it("colours are styles on text: an escape never becomes markup", async () => {
    const text = "\u001b[31mred\u001b[0m plain <b>not bold</b>\n";
    serveWhole(text);
    render(<LogViewer url="/log" live={false} />);
    const red = await screen.findByText("red");
    expect(red.getAttribute("style")).toContain("color: rgb(242, 109, 109)");
    expect(screen.getByRole("log").querySelector("b")).toBeNull();
    expect(screen.getByText(/plain <b>not bold<\/b>/)).toBeTruthy();
  });

  it("a running cell: output appears as it arrives, the unfinished line too; the end is told", async () => {
    let push: (text: string) => void = () => {};
    let end: () => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(encoder.encode(text));
        end = () => controller.close();
      },
    });
    const fetch = vi.fn(async () => new Response(body, { status: 200 }));
    vi.stubGlobal("fetch", fetch);
    const ended = vi.fn();
    render(<LogViewer url="/log?attempt=2" live onEnded={ended} />);
    await waitFor(() => expect(fetch).toHaveBeenCalledWith("/log?attempt=2&follow=1", expect.anything()));
    act(() => push("[1/3] configure\n[2/3] buil"));
    await screen.findByText("[1/3] configure");
    await screen.findByText("[2/3] buil");
    expect(screen.getByLabelText("Log status").textContent).toBe("following the running cell");
    act(() => push("d\n"));
    await screen.findByText("[2/3] build");
    expect(ended).not.toHaveBeenCalled();
    act(() => end());
    await waitFor(() => expect(ended).toHaveBeenCalledTimes(1));
  });

  it("search: matches counted, Enter goes to the next", async () => {
    const text = "ok\nerror: one\nok\nERROR: two\n";
    serveWhole(text);
    render(<LogViewer url="/log" live={false} />);
    await screen.findByText("error: one");
    const { fireEvent } = await import("@testing-library/react");
    fireEvent.change(screen.getByLabelText("Search the log"), { target: { value: "error" } });
    expect(screen.getByLabelText("Matches").textContent).toBe("1 of 2");
    fireEvent.keyDown(screen.getByLabelText("Search the log"), { key: "Enter" });
    expect(screen.getByLabelText("Matches").textContent).toBe("2 of 2");
    expect(screen.getByRole("log").querySelectorAll("mark")).toHaveLength(2);
  });
});

describe("annotationFor", () => {
  const annotations = [
    { path: "src/parse.cpp", line: 12, anchor: "a0" },
    { path: "include/lib.hpp", line: 3, anchor: "a1" },
  ];
  it("a compiler's diagnostic line names its annotation, whatever folder the build ran in", async () => {
    const { annotationFor } = await import("./LogViewer.tsx");
    expect(annotationFor("/work/src/parse.cpp:12:5: warning: unused", annotations)?.anchor).toBe("a0");
    expect(annotationFor("\u001b[1minclude/lib.hpp:3:1: \u001b[31merror: expected ';'", annotations)?.anchor).toBe(
      "a1",
    );
    expect(annotationFor("src/parse.cpp:13:5: warning: unused", annotations)).toBeUndefined();
    expect(annotationFor("/work/xsrc/parse.cpp:12:5: warning: unused", annotations)).toBeUndefined();
    expect(annotationFor("compiling src/parse.cpp", annotations)).toBeUndefined();
  });
});
