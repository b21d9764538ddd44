/** Builds, cells and attempts as the API shows them (schemas/build.ts): rows in, JSON out, no I/O. */
import type { z } from "zod";
import { cellVariant } from "../config/make-cell.ts";
import type { Cell as CellSpec } from "../config/matrix.ts";
import type { BuildRow, CellWithAttempts } from "../db/build-queries.ts";
import type { Attempt as AttemptRow } from "../db/schema.ts";
import { buildOutcome } from "../report/build-outcome.ts";
import type { Attempt, Build, Cell } from "./schemas/build.ts";

export interface ViewLinks {
  /** PUBLIC_URL, or "" for paths. */
  readonly publicUrl: string;
  /** Where GitHub's pages are (https://github.com, or a GitHub Enterprise Server's). */
  readonly githubUrl: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function buildView(row: BuildRow, links: ViewLinks): z.infer<typeof Build> {
  const outcome = buildOutcome(row.tally);
  const t = row.tally;
  const completedAt = outcome.status === "completed" ? row.last_completed_at : null;
  return {
    id: row.id,
    repository: row.repository,
    commit: row.head_sha,
    branch: row.branch,
    pull_request: row.pull_number,
    event: row.event,
    fork: row.fork,
    superseded_by: row.superseded_by,
    requested_by: row.requested_by,
    cancelled_by: row.cancelled_by,
    sender: row.sender,
    status: outcome.status,
    conclusion: outcome.conclusion,
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    completed_at: iso(completedAt),
    duration_ms: row.started_at && completedAt ? completedAt.getTime() - row.started_at.getTime() : null,
    cell_counts: {
      total: t.total,
      queued: t.queued,
      in_progress: t.inProgress,
      waiting_approval: t.waitingApproval,
      success: t.success,
      failure: t.failure,
      timed_out: t.timedOut,
      cancelled: t.cancelled,
      skipped: t.skipped,
      neutral: t.neutral,
      action_required: t.actionRequired,
    },
    html_url: `${links.publicUrl}/builds/${row.id}`,
    commit_url: `${links.githubUrl}/${row.repository}/commit/${row.head_sha}`,
    url: `${links.publicUrl}/api/v1/builds/${row.id}`,
  };
}

export function cellView(
  build: BuildRow,
  { cell, attempts }: CellWithAttempts,
  links: ViewLinks,
  now: Date,
): z.infer<typeof Cell> {
  const spec = cell.spec as CellSpec;
  const latest = attempts.at(-1);
  return {
    id: cell.id,
    key: cell.key,
    name: cell.name,
    platform: cell.platform,
    compiler: `${spec.compiler.family}-${spec.compiler.version}`,
    cxx_standard: spec.cxxStandard ?? null,
    c_standard: spec.cStandard ?? null,
    build_type: spec.buildType,
    llvm: spec.llvm ?? null,
    axes: { ...(spec.customAxes ?? {}) },
    variant: cellVariant(spec).join(" "),
    sanitizers: [...(spec.sanitizers ?? [])],
    coverage: spec.coverage ?? false,
    tests: spec.tests ?? false,
    skip_reason: cell.skip_reason,
    state: latest?.state ?? "queued",
    conclusion: latest?.conclusion ?? null,
    attempts: attempts.map((attempt) => attemptView(build, cell.key, attempt, links, now)),
  };
}

function attemptView(
  build: BuildRow,
  cellKey: string,
  attempt: AttemptRow,
  links: ViewLinks,
  now: Date,
): z.infer<typeof Attempt> {
  const started = attempt.started_at;
  const ended = attempt.completed_at;
  const waitEnd = started ?? (attempt.state === "queued" ? now : ended);
  const tests =
    attempt.tests_passed === null
      ? null
      : { passed: attempt.tests_passed, failed: attempt.tests_failed ?? 0, skipped: attempt.tests_skipped ?? 0 };
  return {
    id: attempt.id,
    number: attempt.number,
    state: attempt.state,
    conclusion: attempt.conclusion,
    title: attempt.title,
    worker: attempt.worker,
    created_at: attempt.created_at.toISOString(),
    started_at: iso(started),
    completed_at: iso(ended),
    queue_wait_ms: waitEnd ? Math.max(0, waitEnd.getTime() - attempt.created_at.getTime()) : null,
    duration_ms: started ? Math.max(0, (ended ?? now).getTime() - started.getTime()) : null,
    standard_mismatch: attempt.standard_mismatch,
    errors: attempt.errors,
    warnings: attempt.warnings,
    tests,
    check_run_url: attempt.check_run_id ? `${links.githubUrl}/${build.repository}/runs/${attempt.check_run_id}` : null,
    log_url: `${links.publicUrl}/api/v1/builds/${build.id}/logs/${encodeURIComponent(cellKey)}?attempt=${attempt.number}`,
  };
}
