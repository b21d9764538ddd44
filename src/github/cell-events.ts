/**
 * Applies what workers report (started, finished) to the database, then asks
 * the reporter to carry it to GitHub. Workers never call GitHub themselves.
 */
import { type ConnectionOptions, Worker } from "bullmq";
import { saveAnnotations } from "../db/annotations.ts";
import type { Db } from "../db/connect.ts";
import { attemptContext, markCompleted, markReturned, markStarted } from "../db/store.ts";
import {
  CELL_EVENT_BACKOFF,
  CELL_EVENTS_QUEUE,
  type CellEvent,
  cellEventBackoff,
  type Queues,
} from "../queue/queues.ts";

/** A matrix check is rewritten at most this often per build: cells finishing together make one write. */
export const MATRIX_DEBOUNCE_MS = 3000;

export async function applyCellEvent(db: Db, queues: Queues, event: CellEvent): Promise<void> {
  const context = await attemptContext(db, event.attemptId);
  if (!context) return;
  if (event.type === "started") {
    if (!(await markStarted(db, event.attemptId, event.worker, new Date(event.at)))) return;
  } else if (event.type === "returned") {
    if (!(await markReturned(db, event.attemptId, event.worker))) return;
  } else {
    await saveAnnotations(db, event.attemptId, event.annotations);
    const completed = await markCompleted(
      db,
      event.attemptId,
      event.conclusion,
      event.summary,
      new Date(event.at),
      event.title ?? null,
      event.standardCheck === undefined
        ? null
        : { check: event.standardCheck, mismatch: event.standardMismatch ?? false },
    );
    if (!completed) return;
  }
  await queues.requestSync({ kind: "attempt", attemptId: event.attemptId });
  await queues.requestSync({ kind: "matrix", buildId: context.build.id }, MATRIX_DEBOUNCE_MS);
}

export function startCellEventConsumer(
  db: Db,
  queues: Queues,
  connection: ConnectionOptions,
  options: { prefix?: string } = {},
): Worker<CellEvent> {
  return new Worker<CellEvent>(CELL_EVENTS_QUEUE, (job) => applyCellEvent(db, queues, job.data), {
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
