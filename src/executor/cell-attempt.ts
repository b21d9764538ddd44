/**
 * One attempt of a cell from nothing to its report, the same for a worker's
 * job and a local run's cell: the executor made ready (the image) → cancelled?
 * → the workspace (its caller's: a copy of the local files, a checkout) →
 * cancelled? → runAttempt → the workspace released. What differs between the
 * callers is passed in; what cannot start comes back as a "not built" outcome,
 * for each caller to say in its own words.
 */
import type { Cell } from "../config/matrix.ts";
import { type AttemptReport, type AttemptRequest, runAttempt } from "./attempt.ts";
import type { Workspace } from "./cell-workspace.ts";
import type { Executor } from "./executor.ts";

export interface CellAttemptRequest extends Omit<AttemptRequest, "cell" | "workspace" | "executor" | "signal"> {
  readonly cell: Cell;
  readonly executor: Executor;
  /** The preparation's progress (an image build's lines). */
  readonly onPreparing?: (line: string) => void;
  /** The cell's own copy of the source, or why it could not be had (in the caller's words). */
  readonly workspace: () => Promise<Workspace | { readonly failed: string }>;
  readonly signal: AbortSignal;
}

export type CellAttemptOutcome =
  | { readonly built: true; readonly report: AttemptReport }
  /** Cancelled before anything of the build was started. */
  | { readonly built: false; readonly cancelled: true }
  /** Could not start: the executor's reason (lower case, detail on later lines) or the workspace's. */
  | {
      readonly built: false;
      readonly cancelled: false;
      readonly reason: string;
      /** What the executor lacks and makes none of (a config's image: see Preparation). */
      readonly missing: string | null;
    };

const CANCELLED: CellAttemptOutcome = { built: false, cancelled: true };

export async function runCellAttempt(request: CellAttemptRequest): Promise<CellAttemptOutcome> {
  const { executor, cell, signal, workspace: getWorkspace, onPreparing, ...attempt } = request;
  // A step that failed because the cell was cancelled (a token wait cut short, say) reports the cancel.
  const failed = (reason: string, missing: string | null = null): CellAttemptOutcome =>
    signal.aborted ? CANCELLED : { built: false, cancelled: false, reason, missing };

  if (signal.aborted) return CANCELLED;
  const preparation = await executor.prepare(cell, onPreparing);
  if (!preparation.ready) return failed(preparation.reason, preparation.missing);
  // Cancelled while its image was being made: nothing is started.
  if (signal.aborted) return CANCELLED;
  const workspace = await getWorkspace();
  if ("failed" in workspace) return failed(workspace.failed);
  try {
    // Cancelled while its source was being made: no build is started.
    if (signal.aborted) return CANCELLED;
    const report = await runAttempt({
      ...attempt,
      cell,
      workspace: workspace.path,
      executor: preparation.executor,
      signal,
    });
    return { built: true, report };
  } finally {
    await workspace.release();
  }
}
