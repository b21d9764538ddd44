/**
 * The Probot app: webhooks in, builds persisted and queued, check runs asked
 * of the reporter. A webhook handler writes to GitHub at most once (a broken
 * configuration's check); every cell's check run is the reporter's, so the
 * handler answers GitHub within its timeout however large the matrix.
 */
import { createHash } from "node:crypto";
import type { ApplicationFunction, Context, Probot } from "probot";
import { forkAdmission, forkConfig, trustSettingsOf } from "../config/trust.ts";
import type { Db } from "../db/connect.ts";
import {
  addAttemptIn,
  attemptContext,
  buildsForCommit,
  type CellAttempt,
  latestAttempts,
  markCompleted,
  saveRepository,
} from "../db/store.ts";
import {
  deliveryHandled,
  isApproved,
  recordApproval,
  recordConfigFailure,
  recordDelivery,
  setConfigFailureCheckRun,
} from "../db/webhook-records.ts";
import type { Queues } from "../queue/queues.ts";
import { configurationCheck } from "../report/configuration-check.ts";
import { MATRIX_DEBOUNCE_MS } from "./cell-events.ts";
import { readCommitConfig } from "./commit-config.ts";
import { guarded } from "./guarded.ts";
import { addAttemptsIn, failedCell, type NewAttempt, startAttempts } from "./rerun-cells.ts";
import { startBuild } from "./start-build.ts";
import type { GitHubWriter } from "./writer.ts";

export interface AppDeps {
  readonly db: Db;
  readonly queues: Queues;
  readonly writer: GitHubWriter;
  /** Tells the workers to stop a running attempt (a Redis channel they listen on). */
  readonly cancelRunning: (attemptId: string) => Promise<void>;
}

/** Permissions that may approve a fork's commit. */
const APPROVERS = new Set(["admin", "maintain", "write"]);

interface Commit {
  readonly event: "push" | "pull_request";
  readonly sha: string;
  readonly branch: string | null;
  readonly pullNumber: number | null;
  readonly headRepository: string;
  readonly cloneUrl: string;
  readonly fork: boolean;
  /**
   * Where a fork's trust settings are read: the base repository's default branch
   * (not the pull request's base branch, which the fork picks: a stale branch
   * with laxer settings would do).
   */
  readonly trustRef: string | null;
  /** When the commit reached its branch or pull request, as GitHub says (null when it does not). */
  readonly eventAt: Date | null;
  /** Who sent the event (the pusher, or who opened or updated the pull request). */
  readonly sender: string | null;
}

/** What a push or a pull request event says of its repository. */
interface EventSource {
  readonly deliveryId: string;
  readonly event: string;
  readonly installationId: number | undefined;
  readonly repository: {
    readonly id: number;
    readonly name: string;
    readonly full_name: string;
    readonly clone_url: string;
    readonly private: boolean;
    readonly owner: { readonly login: string } | null;
  };
  readonly octokit: Context["octokit"];
}

export function heimdallApp(deps: AppDeps): ApplicationFunction {
  return (app: Probot) => {
    app.on(
      "push",
      guarded(async (context) => {
        const p = context.payload;
        // Branch and tag deletions, and tags, build nothing.
        if (p.deleted || !p.ref.startsWith("refs/heads/") || /^0+$/.test(p.after)) return;
        await onCommit(deps, source(context), {
          event: "push",
          sha: p.after,
          branch: p.ref.slice("refs/heads/".length),
          pullNumber: null,
          headRepository: p.repository.full_name,
          cloneUrl: p.repository.clone_url,
          fork: false,
          trustRef: null,
          eventAt: gitHubTime(p.repository.pushed_at),
          sender: p.sender?.login ?? null,
        });
      }),
    );

    app.on(
      ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"],
      guarded(async (context) => {
        const pr = context.payload.pull_request;
        const base = context.payload.repository;
        const head = pr.head.repo;
        await onCommit(deps, source(context), {
          event: "pull_request",
          sha: pr.head.sha,
          branch: null,
          pullNumber: pr.number,
          headRepository: head?.full_name ?? base.full_name,
          cloneUrl: head?.clone_url ?? base.clone_url,
          // A head repository GitHub no longer shows (a deleted fork) is a fork: its commit is nobody's we trust.
          fork: head === null || head === undefined || head.full_name !== base.full_name,
          trustRef: base.default_branch,
          eventAt: gitHubTime(pr.updated_at),
          sender: context.payload.sender?.login ?? null,
        });
      }),
    );

    app.on(
      "check_run.rerequested",
      guarded(async (context) => {
        await rerunCheckRun(deps, context.id, context.name, context.payload.check_run.external_id ?? "");
      }),
    );

    app.on(
      "check_run.requested_action",
      guarded(async (context) => {
        const action = context.payload.requested_action?.identifier;
        if (action === "rerun") {
          await rerunCheckRun(deps, context.id, context.name, context.payload.check_run.external_id ?? "");
        }
        if (action === "approve") await approve(deps, context);
      }),
    );

    app.on(
      "check_suite.rerequested",
      guarded(async (context) => {
        const repositoryId = context.payload.repository.id;
        const builds = await buildsForCommit(deps.db, repositoryId, context.payload.check_suite.head_sha);
        const queued = await once(deps.db, context.id, context.name, async (tx) => {
          const attempts: NewAttempt[] = [];
          for (const build of builds) {
            // Finished cells run again; a queued, running or waiting one already will give its answer.
            attempts.push(...(await addAttemptsIn(tx, build, finishedCell)));
          }
          return attempts;
        });
        await startAttempts(deps, queued);
        for (const build of builds)
          await deps.queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
      }),
    );
  };
}

/** A time as GitHub's payloads give it: epoch seconds (a push's pushed_at) or ISO 8601. */
function gitHubTime(value: number | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function source(context: {
  readonly id: string;
  readonly name: string;
  readonly payload: { readonly installation?: { readonly id: number }; readonly repository: EventSource["repository"] };
  readonly octokit: Context["octokit"];
}): EventSource {
  return {
    deliveryId: context.id,
    event: context.name,
    installationId: context.payload.installation?.id,
    repository: context.payload.repository,
    octokit: context.octokit,
  };
}

/**
 * A pushed commit or a pull request's head: its build, cells and first attempts
 * made once (the database's unique build), then queued and synced. Every step is
 * safe to repeat, and the delivery is recorded only at the end: a delivery that
 * failed half-way (GitHub or Redis away) does the rest when GitHub redelivers it.
 */
async function onCommit(deps: AppDeps, from: EventSource, commit: Commit): Promise<void> {
  const { db } = deps;
  const { repository, installationId, octokit } = from;
  if (installationId === undefined) return;
  if (await deliveryHandled(db, from.deliveryId)) return;
  const owner = repository.owner?.login ?? repository.full_name.split("/")[0] ?? "";
  const repo = repository.name;
  await saveRepository(db, {
    installationId,
    accountLogin: owner,
    id: repository.id,
    fullName: repository.full_name,
    cloneUrl: repository.clone_url,
    private: repository.private,
  });

  const read = await readCommitConfig(db, octokit, owner, repo, commit.sha);
  if (read.kind === "missing") return; // No configuration: this repository is not built.
  if (read.kind === "broken") {
    const digest = createHash("sha256").update(read.digestInput).digest("hex");
    if (await recordConfigFailure(db, repository.id, commit.sha, digest)) {
      const body = configurationCheck(commit.sha, read.problems);
      const created = await deps.writer.write(installationId, () =>
        octokit.rest.checks.create({ owner, repo, ...body }),
      );
      await setConfigFailureCheckRun(db, repository.id, commit.sha, digest, created.data.id);
    }
    await recordDelivery(db, from.deliveryId, from.event);
    return;
  }

  // A fork decides what to build, never whether or how its code runs: those settings come from the default branch.
  let { config, cells } = read.parsed;
  let digestInput = read.digestInput;
  if (commit.fork) {
    const base = commit.trustRef ? await readCommitConfig(db, octokit, owner, repo, commit.trustRef) : null;
    const baseConfig = base?.kind === "ok" ? base.parsed.config : null;
    const trusted = forkConfig(config, baseConfig);
    ({ config, cells } = trusted);
    // The same fork commit under other base-branch rules is another build.
    digestInput = `${read.digestInput}\0${JSON.stringify(trustSettingsOf(baseConfig))}`;
  }
  const digest = createHash("sha256").update(digestInput).digest("hex");

  const admission = forkAdmission(config, commit.fork);
  if (admission === "none") {
    await recordDelivery(db, from.deliveryId, from.event);
    return;
  }
  const approved = admission === "approval" ? await isApproved(db, repository.id, commit.sha) : true;
  await startBuild(deps, {
    origin: {
      repositoryId: repository.id,
      headSha: commit.sha,
      configDigest: digest,
      event: commit.event,
      branch: commit.branch,
      pullNumber: commit.pullNumber,
      headRepository: commit.headRepository,
      cloneUrl: commit.cloneUrl,
      fork: commit.fork,
      eventAt: commit.eventAt,
      sender: commit.sender,
      waitForApproval: commit.fork && !approved,
    },
    config,
    cells,
    installationId,
  });
  await recordDelivery(db, from.deliveryId, from.event);
}

/** A cell that ran to its end (not skipped): check_suite's Re-run runs it again. */
function finishedCell({ cell, attempt }: CellAttempt): boolean {
  return cell.skip_reason === null && attempt.state === "completed";
}

/**
 * Database work that must happen once per delivery (new attempts), done in one
 * transaction with the delivery's record: a duplicate delivery does nothing, and
 * a delivery whose transaction failed is done whole when redelivered. What
 * follows in Redis (jobs, syncs) is repeated by the reconciler if it is lost.
 */
async function once<T>(db: Db, deliveryId: string, event: string, work: (tx: Db) => Promise<T[]>): Promise<T[]> {
  return db.transaction().execute(async (tx) => {
    if (!(await recordDelivery(tx, deliveryId, event))) return [];
    return work(tx);
  });
}

/** "Re-run" on a cell's check run (or the matrix check: every cell that did not pass). */
async function rerunCheckRun(deps: AppDeps, deliveryId: string, event: string, externalId: string): Promise<void> {
  const { db, queues } = deps;
  const matrix = /^build-(\d+)$/.exec(externalId);
  if (matrix?.[1]) {
    const build = await db.selectFrom("builds").selectAll().where("id", "=", matrix[1]).executeTakeFirst();
    if (!build) return;
    const queued = await once(db, deliveryId, event, (tx) => addAttemptsIn(tx, build, failedCell));
    await startAttempts(deps, queued);
    await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
    return;
  }
  if (!/^\d+$/.test(externalId)) return;
  const context = await attemptContext(db, externalId);
  if (!context || context.cell.skip_reason !== null) return;
  // That cell again, whatever its latest attempt is doing: GitHub asked for this check run.
  const queued = await once(db, deliveryId, event, (tx) =>
    addAttemptsIn(tx, context.build, ({ cell }) => cell.id === context.cell.id),
  );
  await startAttempts(deps, queued);
  await queues.requestSync({ kind: "matrix", buildId: context.build.id }, MATRIX_DEBOUNCE_MS);
}

/** "Approve and run" on a fork's cell: a user with write access runs that commit's waiting cells. */
async function approve(deps: AppDeps, context: Context<"check_run.requested_action">): Promise<void> {
  const { db, queues } = deps;
  if (await deliveryHandled(db, context.id)) return;
  const { owner, repo } = context.repo();
  const user = context.payload.sender.login;
  const { data } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user });
  if (!APPROVERS.has(data.permission) && !APPROVERS.has(data.role_name)) {
    context.log.info({ user, permission: data.permission }, "approval refused: no write access");
    return;
  }
  const repositoryId = context.payload.repository.id;
  const sha = context.payload.check_run.head_sha;
  const builds = await buildsForCommit(db, repositoryId, sha);
  const approved: string[] = [];
  const queued = await once(db, context.id, context.name, async (tx) => {
    await recordApproval(tx, repositoryId, sha, user);
    const attempts: NewAttempt[] = [];
    for (const build of builds) {
      for (const { cell, attempt } of await latestAttempts(tx, build.id)) {
        if (attempt.state !== "waiting_approval") continue;
        await markCompleted(tx, attempt.id, "action_required", `Approved by @${user}; a new attempt runs.`);
        approved.push(attempt.id);
        attempts.push({ build, attempt: await addAttemptIn(tx, cell.id, "queued") });
      }
    }
    return attempts;
  });
  await startAttempts(deps, queued);
  for (const attemptId of approved) await queues.requestSync({ kind: "attempt", attemptId });
  for (const build of builds) await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
}
