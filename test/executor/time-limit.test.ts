import { describe, expect, test } from "vitest";
import { attemptTimeLimit } from "../../src/executor/attempt.ts";

describe("attemptTimeLimit", () => {
  test("the config's timeout_minutes when the worker sets no cap, or a higher one", () => {
    expect(attemptTimeLimit({ timeout_minutes: 60 })).toEqual({ ms: 3_600_000, text: "60 min" });
    expect(attemptTimeLimit({ timeout_minutes: 60 }, 3_600_000)).toEqual({ ms: 3_600_000, text: "60 min" });
    expect(attemptTimeLimit({ timeout_minutes: 30 }, 7_200_000)).toEqual({ ms: 1_800_000, text: "30 min" });
  });

  test("the worker's cap when lower, named as the worker's with what the config allowed", () => {
    expect(attemptTimeLimit({ timeout_minutes: 60 }, 540_000)).toEqual({
      ms: 540_000,
      text: "9 min, this worker's limit (the config allows 60 min)",
    });
    expect(attemptTimeLimit({ timeout_minutes: 60 }, 90_000).text).toBe(
      "1.5 min, this worker's limit (the config allows 60 min)",
    );
    expect(attemptTimeLimit({ timeout_minutes: 1 }, 3_000)).toEqual({
      ms: 3_000,
      text: "3 s, this worker's limit (the config allows 1 min)",
    });
  });
});
