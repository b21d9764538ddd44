// @vitest-environment jsdom
/**
 * The build page's grid: the matrix check's model drawn: a table per build
 * type, compilers and their variants by standards, each cell a link with its
 * mark and a label that says it in words (≠ for a standard mismatch).
 */
import { cleanup, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { Cell } from "../api/types.ts";
import { MatrixGrid } from "./MatrixGrid.tsx";

afterEach(cleanup);

function cell(over: Partial<Cell> & Pick<Cell, "key" | "compiler">): Cell {
  return {
    id: over.key,
    name: over.key,
    platform: "linux",
    cxx_standard: 17,
    c_standard: null,
    build_type: "Release",
    llvm: null,
    axes: {},
    variant: "",
    sanitizers: [],
    coverage: false,
    tests: true,
    skip_reason: null,
    state: "completed",
    conclusion: "success",
    attempts: [],
    ...over,
  };
}

const attempt = (standardMismatch: boolean) => ({
  id: "1",
  number: 1,
  state: "completed" as const,
  conclusion: "success",
  title: null,
  worker: null,
  created_at: "2026-12-01T00:00:00Z",
  started_at: null,
  completed_at: null,
  queue_wait_ms: null,
  duration_ms: null,
  standard_mismatch: standardMismatch,
  errors: null,
  warnings: null,
  tests: null,
  check_run_url: null,
  log_url: "/log",
});

describe("MatrixGrid", () => {
  it("a table per build type; rows by compiler and variant, columns by standard in order; marks, words and links", () => {
    const cells = [
      cell({ key: "g20", compiler: "gcc-13", cxx_standard: 20, conclusion: "failure" }),
      cell({ key: "g17", compiler: "gcc-13", cxx_standard: 17, attempts: [attempt(true)] }),
      cell({ key: "c17asan", compiler: "clang-17", variant: "asan", state: "in_progress", conclusion: null }),
      cell({ key: "g17dbg", compiler: "gcc-13", build_type: "Debug", conclusion: "skipped", skip_reason: "no" }),
    ];
    render(
      <MemoryRouter>
        <MatrixGrid buildId="9" cells={cells} selected="g20" />
      </MemoryRouter>,
    );
    const release = screen.getByRole("table", { name: "Cells, Release" });
    const headers = within(release)
      .getAllByRole("columnheader")
      .map((h) => h.textContent);
    expect(headers).toEqual(["Release", "C++17", "C++20"]);
    const rows = within(release).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getByRole("rowheader").textContent)).toEqual([
      "linux / gcc-13",
      "linux / clang-17 / asan",
    ]);
    const failed = within(release).getByRole("link", { name: "g20: failed" });
    expect(failed.textContent).toBe("❌");
    expect(failed.getAttribute("href")).toBe("/builds/9/cells/g20");
    expect(failed.getAttribute("aria-current")).toBe("true");
    expect(within(release).getByRole("link", { name: "g17: passed, built with another standard" }).textContent).toBe(
      "✅≠",
    );
    expect(within(release).getByRole("link", { name: "c17asan: running" }).textContent).toBe("🔄");
    const debug = screen.getByRole("table", { name: "Cells, Debug" });
    expect(within(debug).getByRole("link", { name: "g17dbg: skipped" }).textContent).toBe("⏭️");
  });
});
