/**
 * The plan's success metrics over a window, computed in PostgreSQL: build
 * time and queue wait (average and p95), success rate and test pass rate,
 * overall, per platform and per compiler in one pass (GROUPING SETS).
 *
 * What counts: attempts that ended in [since, until) (completed_at) with a
 * conclusion a build gave: success, neutral, failure, timed_out. Skipped,
 * cancelled and action_required attempts built nothing to judge. Successful:
 * success and neutral (neutral passed; it only warns that the standard
 * differed). Build time: completed_at − started_at; queue wait: started_at −
 * created_at (attempts the server concluded without a start have neither).
 * p95 is percentile_cont's (interpolated).
 */
import { sql } from "kysely";
import type { Db } from "./connect.ts";

export const JUDGED_CONCLUSIONS = ["success", "neutral", "failure", "timed_out"] as const;

export interface MetricsRow {
  /** null in the overall row and in the per-compiler rows. */
  readonly platform: string | null;
  /** e.g. `gcc-12`; null in the overall row and in the per-platform rows. */
  readonly compiler: string | null;
  readonly grouped_by: "all" | "platform" | "compiler";
  readonly attempts: number;
  readonly success: number;
  readonly neutral: number;
  readonly failure: number;
  readonly timed_out: number;
  readonly build_count: number;
  readonly build_avg_ms: number | null;
  readonly build_p95_ms: number | null;
  readonly wait_count: number;
  readonly wait_avg_ms: number | null;
  readonly wait_p95_ms: number | null;
  readonly tests_passed: number;
  readonly tests_failed: number;
}

interface RawRow {
  platform: string | null;
  compiler: string | null;
  by_platform: number;
  by_compiler: number;
  attempts: string;
  success: string;
  neutral: string;
  failure: string;
  timed_out: string;
  build_count: string;
  build_avg_ms: number | null;
  build_p95_ms: number | null;
  wait_count: string;
  wait_avg_ms: number | null;
  wait_p95_ms: number | null;
  tests_passed: string | null;
  tests_failed: string | null;
}

export async function windowMetrics(
  db: Db,
  window: { readonly since: Date; readonly until: Date },
  repositories: readonly string[] | null,
): Promise<MetricsRow[]> {
  const onlyThese = repositories === null ? sql`true` : sql`lower(r.full_name) = any(${[...repositories]}::text[])`;
  const { rows } = await sql<RawRow>`
    WITH judged AS (
      SELECT c.platform,
             (c.spec -> 'compiler' ->> 'family') || '-' || (c.spec -> 'compiler' ->> 'version') AS compiler,
             a.conclusion,
             -- In whole milliseconds of each time, as the API shows times: a wait is the difference of
             -- the queued_at and started_at a client reads, not of the microseconds PostgreSQL keeps.
             extract(epoch FROM date_trunc('milliseconds', a.completed_at) - date_trunc('milliseconds', a.started_at)) * 1000 AS build_ms,
             extract(epoch FROM date_trunc('milliseconds', a.started_at) - date_trunc('milliseconds', a.created_at)) * 1000 AS wait_ms,
             a.tests_passed,
             a.tests_failed
        FROM attempts a
        JOIN cells c ON c.id = a.cell_id
        JOIN builds b ON b.id = c.build_id
        JOIN repositories r ON r.id = b.repository_id
       WHERE a.state = 'completed'
         AND a.completed_at >= ${window.since} AND a.completed_at < ${window.until}
         AND a.conclusion IN (${sql.join([...JUDGED_CONCLUSIONS])})
         AND ${onlyThese}
    )
    SELECT platform, compiler,
           grouping(platform) AS by_platform, grouping(compiler) AS by_compiler,
           count(*) AS attempts,
           count(*) FILTER (WHERE conclusion = 'success') AS success,
           count(*) FILTER (WHERE conclusion = 'neutral') AS neutral,
           count(*) FILTER (WHERE conclusion = 'failure') AS failure,
           count(*) FILTER (WHERE conclusion = 'timed_out') AS timed_out,
           count(build_ms) AS build_count,
           avg(build_ms)::float8 AS build_avg_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY build_ms) AS build_p95_ms,
           count(wait_ms) AS wait_count,
           avg(wait_ms)::float8 AS wait_avg_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY wait_ms) AS wait_p95_ms,
           sum(tests_passed) AS tests_passed,
           sum(tests_failed) AS tests_failed
      FROM judged
     GROUP BY GROUPING SETS ((), (platform), (compiler))
     ORDER BY by_platform DESC, by_compiler DESC, platform, compiler`.execute(db);
  return (
    rows
      .map(
        (row): MetricsRow => ({
          platform: row.platform,
          compiler: row.compiler,
          // grouping() is 1 for a column the row is not grouped by.
          grouped_by: row.by_platform && row.by_compiler ? "all" : row.by_compiler ? "platform" : "compiler",
          attempts: Number(row.attempts),
          success: Number(row.success),
          neutral: Number(row.neutral),
          failure: Number(row.failure),
          timed_out: Number(row.timed_out),
          build_count: Number(row.build_count),
          build_avg_ms: row.build_avg_ms,
          build_p95_ms: row.build_p95_ms,
          wait_count: Number(row.wait_count),
          wait_avg_ms: row.wait_avg_ms,
          wait_p95_ms: row.wait_p95_ms,
          tests_passed: Number(row.tests_passed ?? 0),
          tests_failed: Number(row.tests_failed ?? 0),
        }),
      )
      // With no attempt at all, GROUPING SETS still gives the overall row; per-group rows need members.
      .filter((row) => row.grouped_by === "all" || row.attempts > 0)
  );
}
