/** GET /metrics's answer: zod schemas (only zod: the dashboard reads their types). */
import { z } from "zod";

const Duration = z
  .object({
    count: z.number().int().describe("Attempts measured"),
    avg_ms: z.number().nullable().describe("null: none measured"),
    p95_ms: z.number().nullable().describe("95th percentile, interpolated (percentile_cont)"),
  })
  .meta({ id: "DurationStats" });

export const Metrics = z
  .object({
    attempts: z
      .number()
      .int()
      .describe("Attempts that ended in the window with success, neutral, failure or timed_out"),
    conclusions: z.object({
      success: z.number().int(),
      neutral: z.number().int(),
      failure: z.number().int(),
      timed_out: z.number().int(),
    }),
    success_rate: z.number().nullable().describe("(success + neutral) / attempts; null without attempts"),
    build_time: Duration.describe("completed_at − started_at"),
    queue_wait: Duration.describe("started_at − created_at"),
    tests: z.object({
      passed: z.number().int(),
      failed: z.number().int(),
      pass_rate: z.number().nullable().describe("passed / (passed + failed); null without test results"),
    }),
  })
  .meta({ id: "Metrics" });

export const MetricsAnswer = z
  .object({
    since: z.string(),
    until: z.string(),
    overall: Metrics,
    platforms: z.array(Metrics.extend({ platform: z.string() })),
    compilers: z.array(Metrics.extend({ compiler: z.string().describe("e.g. gcc-12") })),
    series: z
      .array(Metrics.extend({ since: z.string(), until: z.string() }))
      .optional()
      .describe("With ?buckets=N: the overall figures of each of N equal parts of the window, oldest first"),
  })
  .meta({ id: "MetricsWindow" });
