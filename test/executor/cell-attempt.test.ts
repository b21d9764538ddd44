/**
 * The attempt path `run` and the worker share (cell-attempt.ts), around an
 * executor of the test's own: a cell cancelled or failing before its build
 * starts. (Built cells, and a config's missing image, are run's and the
 * worker's own tests, through the real executors.)
 */
import { describe, expect, test } from "vitest";
import { type CellAttemptRequest, runCellAttempt } from "../../src/executor/cell-attempt.ts";
import type { Executor, Preparation } from "../../src/executor/executor.ts";
import { configured, scriptConfig } from "../support/executor.ts";

const { cells, settings } = configured(scriptConfig("true"));
const cell = cells[0] as (typeof cells)[number];

/** What the path asked of the executor and the workspace. */
interface Seen {
  prepared: number;
  workspaces: number;
  released: number;
  runs: number;
}

type Step = "start" | "prepare" | "workspace";

/** An attempt whose executor and workspace are the test's: cancelled at a step, or a step failing with a reason. */
function attempt(steps: { readonly cancelAt?: Step; readonly fails?: { step: Step; reason: string } } = {}) {
  const controller = new AbortController();
  const seen: Seen = { prepared: 0, workspaces: 0, released: 0, runs: 0 };
  const at = (step: Step) => {
    if (steps.cancelAt === step) controller.abort();
    return steps.fails?.step === step ? steps.fails.reason : null;
  };
  at("start");
  const executor: Executor = {
    unavailableReason: () => null,
    prepare: async (): Promise<Preparation> => {
      seen.prepared++;
      const failed = at("prepare");
      if (failed !== null) return { ready: false, reason: failed, missing: null };
      return {
        ready: true,
        executor: {
          ranOn: "test",
          memoryLimit: null,
          packages: async () => [],
          run: async () => {
            seen.runs++;
            throw new Error("the test's executor builds nothing");
          },
        },
      };
    },
  };
  const request: CellAttemptRequest = {
    executor,
    cell,
    settings,
    signal: controller.signal,
    repository: "o/r",
    headSha: "a".repeat(40),
    jobs: 1,
    outputs: null,
    workspace: async () => {
      seen.workspaces++;
      const failed = at("workspace");
      if (failed !== null) return { failed };
      return {
        path: "/nonexistent",
        release: async () => {
          seen.released++;
        },
      };
    },
  };
  return { seen, run: () => runCellAttempt(request) };
}

const NOTHING = { prepared: 0, workspaces: 0, released: 0, runs: 0 };

describe("the shared attempt path, before the build", () => {
  test.each<[string, Step, Seen]>([
    ["before it starts: nothing is prepared", "start", NOTHING],
    ["while the image is made: no workspace made, nothing run", "prepare", { ...NOTHING, prepared: 1 }],
    [
      "while the workspace is made: the workspace released, nothing run",
      "workspace",
      { ...NOTHING, prepared: 1, workspaces: 1, released: 1 },
    ],
  ])("cancelled %s", async (_, cancelAt, expected) => {
    const { seen, run } = attempt({ cancelAt });
    expect(await run()).toEqual({ built: false, cancelled: true });
    expect(seen).toEqual(expected);
  });

  test.each<[Step, string]>([
    ["prepare", "the image could not be made: no"],
    ["workspace", "The source could not be fetched: gone"],
  ])("a %s step that fails: its reason, nothing run; failing while cancelled, the cancel", async (step, reason) => {
    const failing = attempt({ fails: { step, reason } });
    expect(await failing.run()).toEqual({ built: false, cancelled: false, reason, missing: null });
    expect(failing.seen.runs).toBe(0);
    expect(await attempt({ fails: { step, reason }, cancelAt: step }).run()).toEqual({ built: false, cancelled: true });
  });

  test("a build that throws still releases its workspace", async () => {
    const { seen, run } = attempt();
    await expect(run()).rejects.toThrow("the test's executor builds nothing");
    expect(seen).toEqual({ prepared: 1, workspaces: 1, released: 1, runs: 1 });
  });
});
