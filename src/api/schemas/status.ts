/** GET /status's answer: zod schemas (only zod: the dashboard reads their types). */
import { z } from "zod";

export const Probe = z
  .object({
    ok: z.boolean(),
    latency_ms: z.number().int().min(0).describe("How long it took to answer (or to fail)"),
    error: z.string().optional().describe("Why it is not ok"),
  })
  .meta({ id: "Probe" });

const RunningCell = z
  .object({
    attempt_id: z.string(),
    build_id: z.string(),
    repository: z.string(),
    cell: z.string().describe("The cell's key, e.g. linux-gcc-12-cxx17-release"),
  })
  .meta({ id: "WorkerCell" });

const WorkerStatus = z
  .object({
    name: z.string(),
    host: z.string(),
    platform: z.string(),
    executor: z.enum(["docker", "host"]),
    concurrency: z.number().int(),
    running: z.array(RunningCell).describe("The cells it runs now (only the token's repositories')"),
    started_at: z.string().describe("When the worker started (its clock)"),
    last_seen: z.string().describe("Its last heartbeat (its clock)"),
    stale: z.boolean().describe("It missed 3 heartbeats: it may have died"),
  })
  .meta({ id: "Worker" });

export const StatusAnswer = z
  .object({
    version: z.string(),
    ok: z.boolean().describe("PostgreSQL, Redis, the object store and GitHub all answer"),
    postgres: Probe,
    redis: Probe,
    object_store: Probe.extend({ kind: z.enum(["s3", "fs", "none"]) }),
    github: Probe.extend({
      api_url: z.string().describe("The GitHub API the app speaks to (GitHub Enterprise Server: its /api/v3)"),
      status: z.number().int().optional().describe("GitHub's HTTP status, when it answered"),
    }),
    workers: z.array(WorkerStatus),
    webhooks: z
      .object({
        waiting: z.number().int().describe("Deliveries acknowledged and not yet handled (retries included)"),
        failed: z.number().int().describe("Deliveries given up after every try; GitHub's redelivery revives one"),
        oldest_waiting: z.string().nullable().describe("When the oldest waiting delivery arrived"),
      })
      .nullable()
      .describe("The webhook inbox (null while PostgreSQL does not answer)"),
  })
  .meta({ id: "Status" });
