import { describe, expect, it } from "vitest";
import { type AttemptView, checkRunBody } from "../../src/report/check-run.ts";

const view: AttemptView = {
  attemptId: "41",
  number: 1,
  name: "linux / gcc-12 / c++17 / Release",
  headSha: "a".repeat(40),
  platform: "linux",
  state: "in_progress",
  conclusion: null,
  title: null,
  summary: null,
  skipReason: null,
  startedAt: new Date("2026-11-27T12:00:00Z"),
  completedAt: null,
  detailsUrl: null,
};

describe("checkRunBody", () => {
  it("links a running cell's live log when there is one, and says where it runs", () => {
    const link = "https://heimdall.example.com/api/v1/attempts/41/log?expires=1&signature=x";
    const body = checkRunBody({ ...view, liveLogUrl: link });
    expect(body.status).toBe("in_progress");
    expect(body.output.summary).toBe(`Running on a linux worker. [Live log](${link})`);
    expect(checkRunBody({ ...view, liveLogUrl: null }).output.summary).toBe("Running on a linux worker.");
    // A completed cell's summary is the worker's, with no live link.
    const done = checkRunBody({
      ...view,
      state: "completed",
      conclusion: "success",
      summary: "Passed.",
      liveLogUrl: link,
    });
    expect(done.output.summary).toBe("Passed.");
  });
});
