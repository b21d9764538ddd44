/**
 * Applies what workers report (started, finished) to the database, then asks
 * the reporter to carry it to GitHub. Workers never call GitHub themselves.
 */
import { type ConnectionOptions, Worker } from "bullmq";
import { saveAnnotations } from "../db/annotations.ts";
import { attemptContext, markReturned, markStarted } from "../db/store.ts";
import { CELL_EVENT_BACKOFF, CELL_EVENTS_QUEUE, type CellEvent, cellEventBackoff } from "../queue/queues.ts";
import { type AttemptEndDeps, endAttempt } from "./attempt-end.ts";

/** A matrix check is rewritten at most this often per build: cells finishing together make one write. */
export const MATRIX_DEBOUNCE_MS = 3000;

export async function applyCellEvent(deps: AttemptEndDeps, event: CellEvent): Promise<void> {
  const { db, queues } = deps;
  const context = await attemptContext(db, event.attemptId);
  if (!context) return;
  if (event.type === "started") {
    if (!(await markStarted(db, event.attemptId, event.worker, new Date(event.at)))) return;
  } else if (event.type === "returned") {
    if (!(await markReturned(db, event.attemptId, event.worker))) return;
  } else {
    await saveAnnotations(db, event.attemptId, event.annotations);
    const { completed } = await endAttempt(deps, {
      attemptId: event.attemptId,
      buildId: context.build.id,
      cellName: context.cell.name,
      conclusion: event.conclusion,
      summary: event.summary,
      title: event.title ?? null,
      at: new Date(event.at),
      standards:
        event.standardCheck === undefined
          ? null
          : { check: event.standardCheck, mismatch: event.standardMismatch ?? false },
      // An older worker's event has no counts: the columns stay NULL (unknown), never 0.
      counts:
        event.errors === undefined || event.warnings === undefined
          ? null
          : { errors: event.errors, warnings: event.warnings, tests: event.tests ?? null },
    });
    if (!completed) return;
  }
  await queues.requestSync({ kind: "attempt", attemptId: event.attemptId });
  await queues.requestSync({ kind: "matrix", buildId: context.build.id }, MATRIX_DEBOUNCE_MS);
}

export function startCellEventConsumer(
  deps: AttemptEndDeps,
  connection: ConnectionOptions,
  options: { prefix?: string } = {},
): Worker<CellEvent> {
  return new Worker<CellEvent>(CELL_EVENTS_QUEUE, (job) => applyCellEvent(deps, job.data), {
    connection,
    concurrency: 8,
    // An event that cannot be applied (the database is away) is tried again, a minute apart at most.
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === CELL_EVENT_BACKOFF ? cellEventBackoff(attemptsMade) : 1000,
    },
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
}
