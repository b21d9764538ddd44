/**
 * The API's reads of builds: a page of builds with their cells' tally (each
 * cell's latest attempt), filtered, newest first, by keyset (the id): a page
 * stays the same while builds are added above it. One build with every cell
 * and every attempt.
 */
import { sql } from "kysely";
import { type BuildConclusion, type BuildStatus, type CellTally, tallyOf } from "../report/build-outcome.ts";
import type { Db } from "./connect.ts";
import type { Attempt, Build, CellRow } from "./schema.ts";

export interface BuildFilter {
  /** Repository ids the caller may see (null: all); a repository filter narrows them. */
  readonly repositoryIds: readonly string[] | null;
  readonly branch?: string;
  /** A full commit, or a prefix of at least 7 hex digits. */
  readonly sha?: string;
  readonly pullRequest?: number;
  readonly status?: BuildStatus;
  readonly conclusion?: BuildConclusion;
  readonly since?: Date;
  /** Builds older than this id (the previous page's last). */
  readonly before?: string;
  readonly limit: number;
}

export interface BuildRow extends Build {
  readonly repository: string;
  readonly tally: CellTally;
  readonly started_at: Date | null;
  readonly last_completed_at: Date | null;
}

/** Each count of the tally, over the cells' latest attempts (the same words as build-outcome.ts). */
const TALLY = sql`
  SELECT count(*)::int AS total,
    count(*) FILTER (WHERE a.state = 'queued')::int AS queued,
    count(*) FILTER (WHERE a.state = 'in_progress')::int AS in_progress,
    count(*) FILTER (WHERE a.state = 'waiting_approval')::int AS waiting_approval,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'success')::int AS success,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'failure')::int AS failure,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'timed_out')::int AS timed_out,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'cancelled')::int AS cancelled,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'skipped')::int AS skipped,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'neutral')::int AS neutral,
    count(*) FILTER (WHERE a.state = 'completed' AND a.conclusion = 'action_required')::int AS action_required,
    min(a.started_at) AS started_at,
    max(a.completed_at) AS last_completed_at
  FROM cells c
  JOIN LATERAL (
    SELECT state, conclusion, started_at, completed_at FROM attempts
    WHERE cell_id = c.id ORDER BY number DESC LIMIT 1
  ) a ON true
  WHERE c.build_id = b.id`;

/**
 * The status and conclusion filters as predicates on the tally: buildOutcome's
 * rule written in SQL (test/api/builds-read.test.ts checks they agree).
 */
function outcomePredicate(filter: BuildFilter) {
  const open = sql`(k.queued + k.in_progress)`;
  const started = sql`(k.in_progress + k.success + k.failure + k.timed_out + k.cancelled + k.neutral + k.action_required)`;
  const parts = [];
  if (filter.status === "queued") parts.push(sql`${open} > 0 AND ${started} = 0`);
  if (filter.status === "in_progress") parts.push(sql`${open} > 0 AND ${started} > 0`);
  if (filter.status === "completed") parts.push(sql`${open} = 0`);
  const failed = sql`(k.failure + k.timed_out)`;
  switch (filter.conclusion) {
    case "failure":
      parts.push(sql`${open} = 0 AND ${failed} > 0`);
      break;
    case "action_required":
      parts.push(sql`${open} = 0 AND ${failed} = 0 AND k.waiting_approval > 0`);
      break;
    case "cancelled":
      parts.push(sql`${open} = 0 AND ${failed} = 0 AND k.waiting_approval = 0 AND k.cancelled > 0`);
      break;
    case "neutral":
      parts.push(sql`${open} = 0 AND ${failed} = 0 AND k.waiting_approval = 0 AND k.cancelled = 0 AND k.neutral > 0`);
      break;
    case "success":
      parts.push(sql`${open} = 0 AND ${failed} = 0 AND k.waiting_approval = 0 AND k.cancelled = 0 AND k.neutral = 0`);
      break;
  }
  return parts;
}

export async function listBuilds(db: Db, filter: BuildFilter): Promise<BuildRow[]> {
  const where: ReturnType<typeof sql>[] = [sql`true`];
  if (filter.repositoryIds) {
    if (filter.repositoryIds.length === 0) return [];
    // One parameter whatever the count: one statement shape to prepare.
    where.push(sql`b.repository_id = ANY(${filter.repositoryIds}::bigint[])`);
  }
  if (filter.branch !== undefined) where.push(sql`b.branch = ${filter.branch}`);
  if (filter.pullRequest !== undefined) where.push(sql`b.pull_number = ${filter.pullRequest}`);
  if (filter.sha !== undefined) {
    where.push(
      filter.sha.length === 40
        ? sql`b.head_sha = ${filter.sha}`
        : sql`b.head_sha >= ${filter.sha} AND b.head_sha < ${`${filter.sha}g`}`,
    );
  }
  if (filter.since) {
    // As an id bound too: ids grow with time, and the scan newest-first stops at the window's first build.
    where.push(sql`b.created_at >= ${filter.since}`);
    where.push(
      sql`b.id >= coalesce((SELECT min(id) FROM builds WHERE created_at >= ${filter.since}), 9223372036854775807)`,
    );
  }
  if (filter.before !== undefined) where.push(sql`b.id < ${filter.before}::bigint`);
  where.push(...outcomePredicate(filter));
  const result = await sql<Record<string, unknown>>`
    SELECT b.*, r.full_name AS repository, k.*
    FROM builds b
    JOIN repositories r ON r.id = b.repository_id
    CROSS JOIN LATERAL (${TALLY}) k
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY b.id DESC
    LIMIT ${filter.limit}`.execute(db);
  return result.rows.map(toBuildRow);
}

/** A build and its repository's name; undefined when there is none. One plain query: no tally. */
export async function buildWithRepository(db: Db, id: string): Promise<(Build & { repository: string }) | undefined> {
  return db
    .selectFrom("builds")
    .innerJoin("repositories", "repositories.id", "builds.repository_id")
    .selectAll("builds")
    .select("repositories.full_name as repository")
    .where("builds.id", "=", id)
    .executeTakeFirst();
}

/**
 * A build with its tally, from its cells and their attempts as read by
 * cellsWithAttempts (the same counts as the list's SQL, in TypeScript: one
 * build needs no lateral query, whose planning alone costs more than reading it).
 */
export function buildRowOf(build: Build & { repository: string }, cells: readonly CellWithAttempts[]): BuildRow {
  const latest = cells.flatMap(({ attempts }) => attempts.slice(-1));
  const started = latest.map((a) => a.started_at).filter((d): d is Date => d !== null);
  const completed = latest.map((a) => a.completed_at).filter((d): d is Date => d !== null);
  return {
    ...build,
    tally: tallyOf(latest),
    started_at: started.length > 0 ? new Date(Math.min(...started.map((d) => d.getTime()))) : null,
    last_completed_at: completed.length > 0 ? new Date(Math.max(...completed.map((d) => d.getTime()))) : null,
  };
}

function toBuildRow(row: Record<string, unknown>): BuildRow {
  const n = (key: string) => Number(row[key] ?? 0);
  const date = (key: string) => (row[key] === null || row[key] === undefined ? null : new Date(row[key] as string));
  return {
    ...(row as unknown as Build),
    id: String(row.id),
    repository_id: String(row.repository_id),
    superseded_by: row.superseded_by === null ? null : String(row.superseded_by),
    matrix_check_run_id: row.matrix_check_run_id === null ? null : String(row.matrix_check_run_id),
    repository: String(row.repository),
    started_at: date("started_at"),
    last_completed_at: date("last_completed_at"),
    tally: {
      total: n("total"),
      queued: n("queued"),
      inProgress: n("in_progress"),
      waitingApproval: n("waiting_approval"),
      success: n("success"),
      failure: n("failure"),
      timedOut: n("timed_out"),
      cancelled: n("cancelled"),
      skipped: n("skipped"),
      neutral: n("neutral"),
      actionRequired: n("action_required"),
    },
  };
}

/** Repository ids by owner/name, without case. */
export async function repositoryIds(db: Db, fullNames: readonly string[]): Promise<string[]> {
  if (fullNames.length === 0) return [];
  const rows = await db
    .selectFrom("repositories")
    .select("id")
    .where(
      sql<string>`lower(full_name)`,
      "in",
      fullNames.map((n) => n.toLowerCase()),
    )
    .execute();
  return rows.map((r) => r.id);
}

export interface CellWithAttempts {
  readonly cell: CellRow;
  readonly attempts: readonly Attempt[];
}

/** Every cell of a build in the matrix's order, each with all its attempts, oldest first. */
export async function cellsWithAttempts(db: Db, buildId: string): Promise<CellWithAttempts[]> {
  const cells = await db.selectFrom("cells").selectAll().where("build_id", "=", buildId).orderBy("id").execute();
  if (cells.length === 0) return [];
  const attempts = await db
    .selectFrom("attempts")
    .selectAll()
    .where(
      "cell_id",
      "in",
      cells.map((c) => c.id),
    )
    .orderBy("cell_id")
    .orderBy("number")
    .execute();
  const byCell = new Map<string, Attempt[]>();
  for (const attempt of attempts) {
    const list = byCell.get(attempt.cell_id) ?? [];
    list.push(attempt);
    byCell.set(attempt.cell_id, list);
  }
  return cells.map((cell) => ({ cell, attempts: byCell.get(cell.id) ?? [] }));
}
