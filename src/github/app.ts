/**
 * The Probot app: webhooks in, builds persisted and queued, check runs asked
 * of the reporter. A webhook handler writes to GitHub at most once (a broken
 * configuration's check); every cell's check run is the reporter's, so the
 * handler answers GitHub within its timeout however large the matrix.
 */
import { createHash } from "node:crypto";
import type { ApplicationFunction, Context, Probot } from "probot";
import type { Cell } from "../config/matrix.ts";
import { DEFAULT_CONFIG_FILE } from "../config/parse.ts";
import type { Config } from "../config/schema.ts";
import { forkAdmission, forkConfig, trustSettingsOf } from "../config/trust.ts";
import type { Db } from "../db/connect.ts";
import type { Attempt, Build } from "../db/schema.ts";
import {
  addAttemptIn,
  attemptContext,
  buildsForCommit,
  createBuild,
  latestAttempts,
  markCompleted,
  markSuperseded,
  saveRepository,
  supersededBy,
  supersedingBuild,
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
import { cancelOpenCells } from "./cancel-cells.ts";
import { MATRIX_DEBOUNCE_MS } from "./cell-events.ts";
import { cellJob } from "./cell-job.ts";
import { releaseHeldCells } from "./release-cells.ts";
import { readRepositoryFile } from "./repository-file.ts";
import { parseRepositoryConfig } from "./resolve-extends.ts";
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

/**
 * A handler's failure as the webhook library sees it. The library attaches the
 * whole delivery to the error it catches (`error.event`), and Probot's logger
 * prints every enumerable property: a payload of megabytes per failed delivery.
 * Here the slot exists beforehand, not enumerable, so the log says what failed
 * (delivery id, event, the cause's message) and not the payload.
 */
export class WebhookHandlerError extends Error {
  declare event: unknown;
  readonly delivery: string;
  readonly eventName: string;

  constructor(delivery: string, eventName: string, cause: unknown) {
    super(`${eventName} delivery ${delivery} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "WebhookHandlerError";
    this.delivery = delivery;
    this.eventName = eventName;
    Object.defineProperty(this, "event", { value: undefined, writable: true, enumerable: false });
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n${cause.stack}`;
  }
}

/** Runs a handler; its failure is rethrown as a WebhookHandlerError (the delivery answers 500 either way). */
function guarded<C extends { readonly id: string; readonly name: string }>(
  handler: (context: C) => Promise<void>,
): (context: C) => Promise<void> {
  return async (context) => {
    try {
      await handler(context);
    } catch (error) {
      throw new WebhookHandlerError(context.id, context.name, error);
    }
  };
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
            const state = await newAttemptState(tx, build);
            // Finished cells run again; a queued, running or waiting one already will give its answer.
            for (const { cell, attempt } of await latestAttempts(tx, build.id)) {
              if (cell.skip_reason === null && attempt.state === "completed")
                attempts.push({ build, attempt: await addAttemptIn(tx, cell.id, state) });
            }
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

  const file = await readRepositoryFile(octokit, owner, repo, DEFAULT_CONFIG_FILE, commit.sha);
  if (file === null) return; // No configuration: this repository is not built.
  const { parsed, digestInput: fileDigestInput } = await parseRepositoryConfig(db, file);
  if (!parsed.ok) {
    const digest = createHash("sha256").update(fileDigestInput).digest("hex");
    if (await recordConfigFailure(db, repository.id, commit.sha, digest)) {
      const body = configurationCheck(commit.sha, parsed.problems);
      const created = await deps.writer.write(installationId, () =>
        octokit.rest.checks.create({ owner, repo, ...body }),
      );
      await setConfigFailureCheckRun(db, repository.id, commit.sha, digest, created.data.id);
    }
    await recordDelivery(db, from.deliveryId, from.event);
    return;
  }

  // A fork decides what to build, never whether or how its code runs: those settings come from the default branch.
  let { config, cells } = parsed;
  let digestInput = fileDigestInput;
  if (commit.fork) {
    const baseFile = commit.trustRef
      ? await readRepositoryFile(octokit, owner, repo, DEFAULT_CONFIG_FILE, commit.trustRef)
      : null;
    const base = baseFile === null ? null : (await parseRepositoryConfig(db, baseFile)).parsed;
    const trusted = forkConfig(config, base?.ok ? base.config : null);
    ({ config, cells } = trusted);
    // The same fork commit under other base-branch rules is another build.
    digestInput = `${fileDigestInput}\0${JSON.stringify(trustSettingsOf(base?.ok ? base.config : null))}`;
  }
  const digest = createHash("sha256").update(digestInput).digest("hex");

  const admission = forkAdmission(config, commit.fork);
  if (admission === "none") {
    await recordDelivery(db, from.deliveryId, from.event);
    return;
  }
  const approved = admission === "approval" ? await isApproved(db, repository.id, commit.sha) : true;
  const { build } = await createBuild(db, {
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
    settings: settingsForWorkers(config),
    cells,
    waitForApproval: commit.fork && !approved,
    maxParallel: config.max_parallel ?? null,
    failFast: config.fail_fast,
  });

  // Whether this delivery made the build or an earlier one did (push + pull request, or this
  // delivery's first try), what follows is idempotent: superseding, one job per queued attempt
  // (a held one's when its place comes), syncs.
  // The newer commit's cancel_superseded decides, as the branch's config now: a delivery that
  // comes late (redelivered after a newer commit's) is itself superseded if the newer one says so.
  const newer = await supersedingBuild(db, build);
  if (newer) {
    if (cancelsSuperseded(newer)) await supersede(deps, build, newer);
  } else if (config.cancel_superseded) {
    for (const older of await supersededBy(db, build)) await supersede(deps, older, build);
  }
  for (const { cell, attempt } of await latestAttempts(db, build.id)) {
    if (attempt.state === "queued" && !attempt.held)
      await deps.queues.enqueueCell(cellJob(build, cell.spec as Cell, attempt.id, installationId));
    await deps.queues.requestSync({ kind: "attempt", attemptId: attempt.id });
  }
  await releaseHeldCells(deps, build.id);
  await deps.queues.requestSync({ kind: "matrix", buildId: build.id });
  await recordDelivery(db, from.deliveryId, from.event);
}

/** A stored build's cancel_superseded (its settings are its config's, for forks with the default branch's trust settings). */
function cancelsSuperseded(build: Build): boolean {
  return (build.settings as { cancel_superseded?: boolean }).cancel_superseded ?? true;
}

/** What workers need of the config (not the matrix: each job carries its cell). */
function settingsForWorkers(config: Config) {
  const { matrix: _matrix, ...settings } = config;
  return settings;
}

interface NewAttempt {
  readonly build: Build;
  readonly attempt: Attempt;
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

/** New attempts committed: each queued one gets its job (a held one when its build has a place), each its check run. */
async function startAttempts(deps: AppDeps, attempts: readonly NewAttempt[]): Promise<void> {
  const limited = new Set<string>();
  for (const { build, attempt } of attempts) {
    const context = await attemptContext(deps.db, attempt.id);
    if (!context) continue;
    if (attempt.held) limited.add(build.id);
    else if (attempt.state === "queued") {
      await deps.queues.enqueueCell(cellJob(build, context.cell.spec as Cell, attempt.id, context.installationId));
    }
    await deps.queues.requestSync({ kind: "attempt", attemptId: attempt.id });
  }
  for (const buildId of limited) await releaseHeldCells(deps, buildId);
}

/** A newer commit on a branch or pull request cancels what is left of an older one's build. */
async function supersede(deps: AppDeps, older: Build, newer: Build): Promise<void> {
  const where = newer.pull_number !== null ? `pull request #${newer.pull_number}` : `branch ${newer.branch}`;
  const summary = `Cancelled: ${newer.head_sha.slice(0, 7)} superseded this commit on ${where}.`;
  // Marked superseded with its cells cancelled, in one transaction: a crash leaves neither half.
  await cancelOpenCells(deps, older.id, { title: null, summary }, (tx) => markSuperseded(tx, older.id, newer.id));
  await deps.queues.requestSync({ kind: "matrix", buildId: older.id }, MATRIX_DEBOUNCE_MS);
}

/**
 * The state of a re-run's new attempt: a fork's commit that nobody approved waits
 * for approval again (unless the default branch said `fork_prs: run`), however
 * its earlier attempt ended (cancelled by a newer commit, say): a re-run is no approval.
 */
async function newAttemptState(db: Db, build: Build): Promise<"queued" | "waiting_approval"> {
  if (!build.fork || (build.settings as { fork_prs?: string }).fork_prs === "run") return "queued";
  return (await isApproved(db, build.repository_id, build.head_sha)) ? "queued" : "waiting_approval";
}

/** "Re-run" on a cell's check run (or the matrix check: every cell that did not pass). */
async function rerunCheckRun(deps: AppDeps, deliveryId: string, event: string, externalId: string): Promise<void> {
  const { db, queues } = deps;
  const matrix = /^build-(\d+)$/.exec(externalId);
  if (matrix?.[1]) {
    const build = await db.selectFrom("builds").selectAll().where("id", "=", matrix[1]).executeTakeFirst();
    if (!build) return;
    const queued = await once(db, deliveryId, event, async (tx) => {
      const attempts: NewAttempt[] = [];
      const state = await newAttemptState(tx, build);
      for (const { cell, attempt } of await latestAttempts(tx, build.id)) {
        const again =
          attempt.state === "completed" && ["failure", "cancelled", "timed_out"].includes(attempt.conclusion ?? "");
        if (again) attempts.push({ build, attempt: await addAttemptIn(tx, cell.id, state) });
      }
      return attempts;
    });
    await startAttempts(deps, queued);
    await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
    return;
  }
  if (!/^\d+$/.test(externalId)) return;
  const context = await attemptContext(db, externalId);
  if (!context || context.cell.skip_reason !== null) return;
  const queued = await once(db, deliveryId, event, async (tx) => [
    {
      build: context.build,
      attempt: await addAttemptIn(tx, context.cell.id, await newAttemptState(tx, context.build)),
    },
  ]);
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
