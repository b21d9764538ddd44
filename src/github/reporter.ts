/**
 * The one writer of check runs. It brings GitHub up to what the database says
 * of an attempt or a build: create the check run the first time, update it when
 * its state changed since the last write, skip the write when nothing did.
 * Intermediate states coalesce (a cell that starts and finishes before its sync
 * runs is written once, completed), which keeps writes to about three a cell.
 */
import { createHash } from "node:crypto";
import { type ConnectionOptions, Worker } from "bullmq";
import type { ProbotOctokit } from "probot";
import { cellVariant } from "../config/make-cell.ts";
import type { Cell } from "../config/matrix.ts";
import { annotationsOf } from "../db/annotations.ts";
import type { Db } from "../db/connect.ts";
import {
  type AttemptContext,
  attemptContext,
  getBuild,
  latestAttempts,
  setCheckRun,
  setMatrixCheckRun,
  setMatrixSynced,
  setSynced,
} from "../db/store.ts";
import { CHECK_SYNC_QUEUE, type SyncRequest } from "../queue/queues.ts";
import { type AttemptView, annotationBatches, checkRunBody, syncSignature } from "../report/check-run.ts";
import { fitCheckRun } from "../report/github-limits.ts";
import { type MatrixEntry, matrixSummary } from "../report/matrix-summary.ts";
import type { GitHubWriter } from "./writer.ts";

export type InstallationOctokit = InstanceType<typeof ProbotOctokit>;

export interface ReporterDeps {
  readonly db: Db;
  readonly writer: GitHubWriter;
  /** An Octokit authenticated as the installation (Probot's `auth(id)`). */
  readonly auth: (installationId: number) => Promise<InstallationOctokit>;
  /** A check run's `details_url`: the build's page, or its cell's (storage/links.ts's detailsLink); null: no link. */
  readonly buildPageUrl?: (buildId: string, cellKey?: string) => string | null;
  /** A running attempt's live log link (signed), or null when the server serves none. */
  readonly liveLogUrl?: (attemptId: string) => string | null;
}

export const MATRIX_CHECK_NAME = "heimdall-build / matrix";

export class Reporter {
  private readonly deps: ReporterDeps;

  constructor(deps: ReporterDeps) {
    this.deps = deps;
  }

  /** Runs the sync queue's jobs until closed. */
  start(connection: ConnectionOptions, options: { prefix?: string; concurrency?: number } = {}): Worker<SyncRequest> {
    return new Worker<SyncRequest>(
      CHECK_SYNC_QUEUE,
      async (job) => {
        if (job.data.kind === "attempt") await this.syncAttempt(job.data.attemptId);
        else await this.syncMatrix(job.data.buildId);
      },
      { connection, concurrency: options.concurrency ?? 4, ...(options.prefix ? { prefix: options.prefix } : {}) },
    );
  }

  /** Brings one attempt's check run up to date; loops while the state moves under it. */
  async syncAttempt(attemptId: string): Promise<void> {
    for (let round = 0; round < 5; round++) {
      const context = await attemptContext(this.deps.db, attemptId);
      if (!context) return;
      const view = this.view(context);
      const signature = syncSignature(view);
      if (context.attempt.check_run_id !== null && context.attempt.synced === signature) return;
      await this.write(context, view, signature);
    }
  }

  /**
   * One check run's requests: the create or update with the first 50 annotations,
   * then one request per further 50. `synced` records the progress
   * (`<signature>#<batches sent>`) until the last, so a sync that fails half-way
   * (GitHub answering 502 on the third batch, say) resumes where it stopped when
   * tried again: no batch is lost, none is sent twice.
   */
  private async write(context: AttemptContext, view: AttemptView, signature: string): Promise<void> {
    const { writer, db } = this.deps;
    const installationId = Number(context.installationId);
    const octokit = await this.deps.auth(installationId);
    const [owner = "", repo = ""] = context.repository.split("/");
    const body = checkRunBody(view);
    const batches = view.state === "completed" ? annotationBatches(await annotationsOf(db, view.attemptId)) : [];
    const progress = (sent: number) => (sent >= Math.max(1, batches.length) ? signature : `${signature}#${sent}`);
    let checkRunId = context.attempt.check_run_id === null ? null : Number(context.attempt.check_run_id);
    const resumed = checkRunId !== null ? resumedBatches(context.attempt.synced, signature) : 0;
    let sent = resumed;
    if (resumed === 0) {
      const [first] = batches;
      // Every request body within GitHub's limits: a 422 would leave the check run as it was.
      const output = fitCheckRun({ output: { ...body.output, ...(first ? { annotations: first } : {}) } }).output;
      if (checkRunId === null) {
        const created = await writer.write(installationId, () =>
          octokit.rest.checks.create({ owner, repo, ...body, output } as Parameters<
            typeof octokit.rest.checks.create
          >[0]),
        );
        checkRunId = created.data.id;
        await setCheckRun(db, view.attemptId, checkRunId, progress(1));
      } else {
        const { head_sha: _sha, ...update } = body;
        const id = checkRunId;
        await writer.write(installationId, () =>
          octokit.rest.checks.update({ owner, repo, check_run_id: id, ...update, output } as Parameters<
            typeof octokit.rest.checks.update
          >[0]),
        );
        await setSynced(db, view.attemptId, progress(1));
      }
      sent = 1;
    }
    // Each further 50 annotations is one more request, as the Checks API allows.
    for (const batch of batches.slice(sent)) {
      const id = checkRunId ?? 0;
      await writer.write(installationId, () =>
        octokit.rest.checks.update({
          owner,
          repo,
          check_run_id: id,
          ...fitCheckRun({ output: { title: body.output.title, summary: body.output.summary, annotations: batch } }),
        } as Parameters<typeof octokit.rest.checks.update>[0]),
      );
      sent++;
      await setSynced(db, view.attemptId, progress(sent));
    }
  }

  private view(context: AttemptContext): AttemptView {
    const { attempt, cell, build } = context;
    return {
      attemptId: attempt.id,
      number: attempt.number,
      name: cell.name,
      headSha: build.head_sha,
      platform: cell.platform,
      state: attempt.state,
      conclusion: attempt.conclusion,
      title: attempt.title,
      summary: attempt.summary,
      skipReason: cell.skip_reason,
      startedAt: attempt.started_at,
      completedAt: attempt.completed_at,
      detailsUrl: this.deps.buildPageUrl?.(build.id, cell.key) ?? null,
      maxParallel: build.max_parallel,
      ...(attempt.state === "in_progress" && this.deps.liveLogUrl
        ? { liveLogUrl: this.deps.liveLogUrl(attempt.id) }
        : {}),
    };
  }

  /** The `heimdall-build / matrix` check of a build, made or updated from its cells' latest attempts. */
  async syncMatrix(buildId: string): Promise<void> {
    const { db, writer } = this.deps;
    const build = await getBuild(db, buildId);
    if (!build) return;
    const repo = await db
      .selectFrom("repositories")
      .select(["installation_id", "full_name"])
      .where("id", "=", build.repository_id)
      .executeTakeFirstOrThrow();
    const entries: MatrixEntry[] = (await latestAttempts(db, buildId)).map(({ cell, attempt }) => {
      const spec = cell.spec as Cell;
      return {
        platform: spec.platform,
        compiler: `${spec.compiler.family}-${spec.compiler.version}`,
        cxxStandard: spec.cxxStandard,
        // Cells made before the C axis have none.
        cStandard: spec.cStandard ?? null,
        buildType: spec.buildType,
        tags: cellVariant(spec).join(" "),
        state: attempt.state,
        conclusion: attempt.conclusion,
        standardMismatch: attempt.standard_mismatch,
      };
    });
    const summary = matrixSummary(entries);
    const installationId = Number(repo.installation_id);
    const octokit = await this.deps.auth(installationId);
    const [owner = "", name = ""] = repo.full_name.split("/");
    const status = summary.conclusion === null ? ("in_progress" as const) : ("completed" as const);
    const detailsUrl = this.deps.buildPageUrl?.(build.id) ?? null;
    const body = fitCheckRun({
      ...(detailsUrl ? { details_url: detailsUrl } : {}),
      owner,
      repo: name,
      name: MATRIX_CHECK_NAME,
      status,
      ...(summary.conclusion ? { conclusion: summary.conclusion, completed_at: new Date().toISOString() } : {}),
      output: { title: summary.title, summary: summary.summary },
    });
    // What GitHub is told, less the time: a sync that would change nothing writes nothing.
    const signature = `${status}:${createHash("sha256")
      .update(JSON.stringify([summary.conclusion, body.output]))
      .digest("hex")
      .slice(0, 32)}`;
    if (build.matrix_check_run_id === null) {
      const created = await writer.write(installationId, () =>
        octokit.rest.checks.create({ ...body, head_sha: build.head_sha, external_id: `build-${build.id}` }),
      );
      await setMatrixCheckRun(db, buildId, created.data.id, signature);
    } else if (build.matrix_synced !== signature) {
      const id = Number(build.matrix_check_run_id);
      await writer.write(installationId, () => octokit.rest.checks.update({ ...body, check_run_id: id }));
      await setMatrixSynced(db, buildId, signature);
    }
  }
}

/** Batches of this signature already sent by a sync that stopped half-way (0: start again). */
function resumedBatches(synced: string | null, signature: string): number {
  if (synced === null || !synced.startsWith(`${signature}#`)) return 0;
  const sent = Number(synced.slice(signature.length + 1));
  return Number.isSafeInteger(sent) && sent > 0 ? sent : 0;
}
