/** GET /queue's answer: a zod schema (only zod: the dashboard reads its type). */
import { z } from "zod";

const QueuedCell = z
  .object({
    build_id: z.string(),
    repository: z.string().describe("owner/name"),
    cell: z.object({ key: z.string(), name: z.string() }),
    attempt_id: z.string(),
    attempt: z.number().int().describe("The attempt's number (re-runs count up)"),
    queued_at: z.string().describe("When the attempt was made"),
    wait_ms: z.number().int().describe("Waiting so far (waiting cells), or waited before it started (running ones)"),
  })
  .meta({ id: "QueuedCell" });

const WaitingCell = QueuedCell.extend({
  held: z.boolean().describe("Queued, held back by its build's max_parallel: no worker can take it yet"),
  waiting_approval: z.boolean().describe("A fork's cell waiting for a maintainer's approval"),
}).meta({ id: "WaitingCell" });

const RunningCell = QueuedCell.extend({
  worker: z.string().nullable().describe("The worker that runs it"),
  started_at: z.string(),
  running_ms: z.number().int().describe("Running so far"),
}).meta({ id: "RunningCell" });

export const QueueAnswer = z
  .object({
    at: z.string().describe("The server's time the waits are counted to"),
    platforms: z.array(
      z.object({
        platform: z.string(),
        waiting: z.array(WaitingCell).describe("Oldest first"),
        running: z.array(RunningCell).describe("Oldest first"),
      }),
    ),
  })
  .meta({ id: "Queue" });
