/**
 * GET /metrics?since=&until=: the plan's success metrics as JSON over a window
 * (the last 7 days by default): build time and queue wait (average, p95),
 * success rate and test pass rate, overall, per platform and per compiler.
 * What counts is db/metrics.ts's. Not Prometheus: that text is another route's.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { type MetricsRow, windowMetrics } from "../../db/metrics.ts";
import { repositoryFilter } from "../auth.ts";
import { ApiError } from "../errors.ts";
import { type Metrics, MetricsAnswer } from "../schemas/metrics.ts";
import type { V1Deps } from "../v1.ts";

const DEFAULT_WINDOW_MS = 7 * 24 * 3600_000;
/** The longest window asked at once: a year and a day. */
const MAX_WINDOW_MS = 366 * 24 * 3600_000;

// No .meta({id}): @fastify/swagger cannot resolve a query string given as a reference.
const MetricsQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional().describe("Start of the window (ISO 8601); default until − 7 days"),
  until: z.iso.datetime({ offset: true }).optional().describe("End of the window, excluded; default now"),
  buckets: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .optional()
    .describe(
      "Also the overall figures of this many equal parts of the window, oldest first (`series`): a chart over time",
    ),
});

export function metricsRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/metrics",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["farm"],
          summary: "Build time, queue wait, success and test pass rates over a window (the token's repositories only)",
          querystring: MetricsQuery,
          response: { 200: MetricsAnswer },
        },
      },
      async (request) => {
        const until = request.query.until ? new Date(request.query.until) : deps.now();
        const since = request.query.since
          ? new Date(request.query.since)
          : new Date(until.getTime() - DEFAULT_WINDOW_MS);
        if (since >= until) {
          throw new ApiError("invalid_request", "since must be before until", {
            since: since.toISOString(),
            until: until.toISOString(),
          });
        }
        if (until.getTime() - since.getTime() > MAX_WINDOW_MS) {
          throw new ApiError("invalid_request", "the window is at most 366 days", {
            since: since.toISOString(),
            until: until.toISOString(),
          });
        }
        const repositories = repositoryFilter(request);
        const rows = await windowMetrics(deps.db, { since, until }, repositories);
        const overall = rows.find((row) => row.grouped_by === "all");
        const buckets = request.query.buckets;
        const series = [];
        if (buckets) {
          const step = (until.getTime() - since.getTime()) / buckets;
          for (let i = 0; i < buckets; i++) {
            const part = {
              since: new Date(since.getTime() + Math.round(i * step)),
              until: i === buckets - 1 ? until : new Date(since.getTime() + Math.round((i + 1) * step)),
            };
            const partRows = await windowMetrics(deps.db, part, repositories);
            series.push({
              since: part.since.toISOString(),
              until: part.until.toISOString(),
              ...metrics(partRows.find((row) => row.grouped_by === "all")),
            });
          }
        }
        return {
          ...(buckets ? { series } : {}),
          since: since.toISOString(),
          until: until.toISOString(),
          overall: metrics(overall),
          platforms: rows
            .filter((row) => row.grouped_by === "platform")
            .map((row) => ({ platform: row.platform ?? "", ...metrics(row) })),
          compilers: rows
            .filter((row) => row.grouped_by === "compiler")
            .map((row) => ({ compiler: row.compiler ?? "", ...metrics(row) })),
        };
      },
    );
  };
}

function metrics(row: MetricsRow | undefined): z.infer<typeof Metrics> {
  const r = row ?? EMPTY;
  const tested = r.tests_passed + r.tests_failed;
  return {
    attempts: r.attempts,
    conclusions: { success: r.success, neutral: r.neutral, failure: r.failure, timed_out: r.timed_out },
    success_rate: r.attempts > 0 ? (r.success + r.neutral) / r.attempts : null,
    build_time: { count: r.build_count, avg_ms: r.build_avg_ms, p95_ms: r.build_p95_ms },
    queue_wait: { count: r.wait_count, avg_ms: r.wait_avg_ms, p95_ms: r.wait_p95_ms },
    tests: { passed: r.tests_passed, failed: r.tests_failed, pass_rate: tested > 0 ? r.tests_passed / tested : null },
  };
}

const EMPTY: MetricsRow = {
  platform: null,
  compiler: null,
  grouped_by: "all",
  attempts: 0,
  success: 0,
  neutral: 0,
  failure: 0,
  timed_out: 0,
  build_count: 0,
  build_avg_ms: null,
  build_p95_ms: null,
  wait_count: 0,
  wait_avg_ms: null,
  wait_p95_ms: null,
  tests_passed: 0,
  tests_failed: 0,
};
