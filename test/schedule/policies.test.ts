/** The pure rules of max_parallel and fail_fast that the server and `run` share. */
import { describe, expect, test } from "vitest";
import { failFastCancel, failFastReason, failFastStop, stopsBuild } from "../../src/schedule/fail-fast.ts";
import { cellsToRelease, runLanes } from "../../src/schedule/max-parallel.ts";

describe("cellsToRelease", () => {
  test.each([
    { limit: null, taken: 7, held: ["a", "b"], released: ["a", "b"] },
    { limit: 2, taken: 0, held: ["a", "b", "c"], released: ["a", "b"] },
    { limit: 2, taken: 1, held: ["a", "b", "c"], released: ["a"] },
    { limit: 2, taken: 2, held: ["a", "b"], released: [] },
    // More running than the limit (a released attempt whose commit failed, then started): none, never negative.
    { limit: 1, taken: 3, held: ["a"], released: [] },
    { limit: 3, taken: 0, held: [], released: [] },
  ])("limit $limit, $taken taken, held $held: $released", ({ limit, taken, held, released }) => {
    expect(cellsToRelease(limit, taken, held)).toEqual(released);
  });
});

describe("runLanes", () => {
  test.each([
    { jobs: 8, limit: undefined, cells: 3, lanes: 3 },
    { jobs: 8, limit: 2, cells: 5, lanes: 2 },
    { jobs: 1, limit: 4, cells: 5, lanes: 1 },
    { jobs: 4, limit: 1, cells: 0, lanes: 1 },
  ])("--jobs $jobs, max_parallel $limit, $cells cells: $lanes", ({ jobs, limit, cells, lanes }) => {
    expect(runLanes(jobs, limit, cells)).toBe(lanes);
  });
});

describe("fail_fast", () => {
  test("a failure or a time-out stops the build; a pass, a neutral pass, a cancel or a skip does not", () => {
    expect(["failure", "timed_out"].filter(stopsBuild)).toEqual(["failure", "timed_out"]);
    expect(["success", "neutral", "cancelled", "skipped", "action_required", null].filter(stopsBuild)).toEqual([]);
  });

  test("a build stops when it has fail_fast and the cell failed or timed out, with the words the others get", () => {
    const name = "linux / gcc-12 / c++20 / Release";
    expect(failFastStop(true, name, "failure")).toEqual({
      reason: failFastReason(name, "failure"),
      ...failFastCancel(name, "failure"),
    });
    expect(failFastStop(true, name, "timed_out")?.reason).toBe(
      "linux / gcc-12 / c++20 / Release timed out (fail_fast)",
    );
    expect(failFastStop(false, name, "failure")).toBeNull();
    expect(failFastStop(true, name, "neutral")).toBeNull();
  });

  test("the others' words name the cell and what happened to it", () => {
    expect(failFastReason("linux / gcc-12 / c++20 / Release", "failure")).toBe(
      "linux / gcc-12 / c++20 / Release failed (fail_fast)",
    );
    const timedOut = failFastCancel("linux / clang-16 / c++17 / Debug", "timed_out");
    expect(timedOut.title).toBe("Cancelled: linux / clang-16 / c++17 / Debug timed out (fail_fast)");
    expect(timedOut.summary).toContain(
      "**linux / clang-16 / c++17 / Debug** timed out, and this build has `fail_fast: true`",
    );
  });
});
