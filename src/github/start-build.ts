/**
 * A parsed config made a build: its cells and first attempts persisted once
 * (the database's unique build), older builds of its branch or pull request
 * superseded, one job per queued cell, held cells released, check runs asked
 * of the reporter. A push, a pull request and the API's POST /builds all build
 * through here; every step is safe to repeat (a redelivered webhook does it again).
 */
import type { Cell } from "../config/matrix.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../db/connect.ts";
import type { Build } from "../db/schema.ts";
import {
  type CreatedBuild,
  createBuild,
  latestAttempts,
  markSuperseded,
  type NewBuildInput,
  supersededBy,
  supersedingBuild,
} from "../db/store.ts";
import type { Queues } from "../queue/queues.ts";
import { cancelOpenCells } from "./cancel-cells.ts";
import { MATRIX_DEBOUNCE_MS } from "./cell-events.ts";
import { cellJob } from "./cell-job.ts";
import { releaseHeldCells } from "./release-cells.ts";

export interface StartBuildDeps {
  readonly db: Db;
  readonly queues: Queues;
  /** Tells the workers to stop a running attempt (a superseded build's). */
  readonly cancelRunning: (attemptId: string) => Promise<void>;
}

/** What the build is of; its settings, limits and cells come from `config` and `cells`. */
export type BuildOrigin = Omit<NewBuildInput, "settings" | "cells" | "maxParallel" | "failFast">;

export interface StartBuildInput {
  readonly origin: BuildOrigin;
  readonly config: Config;
  readonly cells: readonly Cell[];
  readonly installationId: number | string;
}

export async function startBuild(deps: StartBuildDeps, input: StartBuildInput): Promise<CreatedBuild> {
  const { db, queues } = deps;
  const { config } = input;
  const made = await createBuild(db, {
    ...input.origin,
    settings: settingsForWorkers(config),
    cells: input.cells,
    maxParallel: config.max_parallel ?? null,
    failFast: config.fail_fast,
  });
  const { build } = made;

  // Whether this call made the build or an earlier one did (push + pull request, or a webhook
  // delivery's first try), what follows is idempotent: superseding, one job per queued attempt
  // (a held one's when its place comes), syncs.
  // The newer commit's cancel_superseded decides, as the branch's config now: a delivery that
  // comes late (redelivered after a newer commit's) is itself superseded if the newer one says so.
  const newer = await supersedingBuild(db, build);
  if (newer) {
    if (cancelsSuperseded(newer)) await supersede(deps, build, newer);
  } else if (config.cancel_superseded) {
    for (const older of await supersededBy(db, build)) await supersede(deps, older, build);
  }
  const latest = await latestAttempts(db, build.id);
  // The jobs in one call per platform, in the matrix's order; the check runs' syncs side by side.
  await queues.enqueueCells(
    latest
      .filter(({ attempt }) => attempt.state === "queued" && !attempt.held)
      .map(({ cell, attempt }) => cellJob(build, cell.spec as Cell, attempt.id, input.installationId)),
  );
  await Promise.all(latest.map(({ attempt }) => queues.requestSync({ kind: "attempt", attemptId: attempt.id })));
  await releaseHeldCells(deps, build.id);
  await queues.requestSync({ kind: "matrix", buildId: build.id });
  return made;
}

/** A stored build's cancel_superseded (its settings are its config's, for forks with the default branch's trust settings). */
function cancelsSuperseded(build: Build): boolean {
  return (build.settings as { cancel_superseded?: boolean }).cancel_superseded ?? true;
}

/** What workers need of the config (not the matrix: each job carries its cell). */
function settingsForWorkers(config: Config) {
  const { matrix: _matrix, ...settings } = config;
  return settings;
}

/** A newer commit on a branch or pull request cancels what is left of an older one's build. */
async function supersede(deps: StartBuildDeps, older: Build, newer: Build): Promise<void> {
  const where = newer.pull_number !== null ? `pull request #${newer.pull_number}` : `branch ${newer.branch}`;
  const summary = `Cancelled: ${newer.head_sha.slice(0, 7)} superseded this commit on ${where}.`;
  // Marked superseded with its cells cancelled, in one transaction: a crash leaves neither half.
  await cancelOpenCells(deps, older.id, { title: null, summary }, (tx) => markSuperseded(tx, older.id, newer.id));
  await deps.queues.requestSync({ kind: "matrix", buildId: older.id }, MATRIX_DEBOUNCE_MS);
}
