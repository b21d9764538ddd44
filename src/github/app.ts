/**
 * The Probot app: webhooks in, builds persisted and queued, check runs asked
 * of the reporter. A webhook handler writes to GitHub at most once (a broken
 * configuration's check); every cell's check run is the reporter's, so the
 * handler answers GitHub within its timeout however large the matrix.
 */
import { createHash } from "node:crypto";
import type { ApplicationFunction, Context, Probot } from "probot";
import type { Cell } from "../config/matrix.ts";
import { DEFAULT_CONFIG_FILE, parseConfig } from "../config/parse.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../db/connect.ts";
import type { Build } from "../db/schema.ts";
import {
  addAttempt,
  attemptContext,
  buildsForCommit,
  createBuild,
  latestAttempts,
  markCompleted,
  markSuperseded,
  recordApproval,
  recordConfigFailure,
  recordDelivery,
  saveRepository,
  supersededBy,
} from "../db/store.ts";
import type { CellJob, Queues } from "../queue/queues.ts";
import { configurationCheck } from "../report/configuration-check.ts";
import { MATRIX_DEBOUNCE_MS } from "./cell-events.ts";
import { readRepositoryFile } from "./repository-file.ts";
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
    app.on("push", async (context) => {
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
      });
    });

    app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], async (context) => {
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
        fork: head !== null && head.full_name !== base.full_name,
      });
    });

    app.on("check_run.rerequested", async (context) => {
      if (!(await recordDelivery(deps.db, context.id, context.name))) return;
      await rerunCheckRun(deps, context.payload.check_run.external_id ?? "");
    });

    app.on("check_run.requested_action", async (context) => {
      if (!(await recordDelivery(deps.db, context.id, context.name))) return;
      const action = context.payload.requested_action?.identifier;
      if (action === "rerun") await rerunCheckRun(deps, context.payload.check_run.external_id ?? "");
      if (action === "approve") await approve(deps, context);
    });

    app.on("check_suite.rerequested", async (context) => {
      if (!(await recordDelivery(deps.db, context.id, context.name))) return;
      const repositoryId = context.payload.repository.id;
      for (const build of await buildsForCommit(deps.db, repositoryId, context.payload.check_suite.head_sha)) {
        for (const { cell } of await latestAttempts(deps.db, build.id)) {
          if (cell.skip_reason === null) await queueAttempt(deps, build, cell.id, "queued");
        }
        await deps.queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
      }
    });
  };
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

async function onCommit(deps: AppDeps, from: EventSource, commit: Commit): Promise<void> {
  const { db } = deps;
  const { repository, installationId, octokit } = from;
  if (installationId === undefined) return;
  if (!(await recordDelivery(db, from.deliveryId, from.event))) return;
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
  const digest = createHash("sha256").update(file).digest("hex");
  const parsed = parseConfig(file, { file: DEFAULT_CONFIG_FILE });
  if (!parsed.ok) {
    if (await recordConfigFailure(db, repository.id, commit.sha, digest)) {
      const body = configurationCheck(commit.sha, parsed.problems);
      await deps.writer.write(installationId, () => octokit.rest.checks.create({ owner, repo, ...body }));
    }
    return;
  }

  const config = parsed.config;
  if (commit.fork && config.fork_prs === "skip") return;
  const approved =
    commit.fork && config.fork_prs === "approve"
      ? (await db
          .selectFrom("approvals")
          .select("head_sha")
          .where("repository_id", "=", String(repository.id))
          .where("head_sha", "=", commit.sha)
          .executeTakeFirst()) !== undefined
      : true;
  const { build, created } = await createBuild(db, {
    repositoryId: repository.id,
    headSha: commit.sha,
    configDigest: digest,
    event: commit.event,
    branch: commit.branch,
    pullNumber: commit.pullNumber,
    headRepository: commit.headRepository,
    cloneUrl: commit.cloneUrl,
    fork: commit.fork,
    settings: settingsForWorkers(config),
    cells: parsed.cells,
    waitForApproval: commit.fork && !approved,
  });
  if (!created) return; // The same commit and config already has its check runs (push + pull request).

  if (config.cancel_superseded) await supersedeOlder(deps, build);
  for (const { cell, attempt } of await latestAttempts(db, build.id)) {
    if (attempt.state === "queued")
      await deps.queues.enqueueCell(cellJob(build, cell.spec as Cell, attempt.id, installationId));
    await deps.queues.requestSync({ kind: "attempt", attemptId: attempt.id });
  }
  await deps.queues.requestSync({ kind: "matrix", buildId: build.id });
}

/** What workers need of the config (not the matrix: each job carries its cell). */
function settingsForWorkers(config: Config) {
  const { matrix: _matrix, ...settings } = config;
  return settings;
}

function cellJob(build: Build, cell: Cell, attemptId: string, installationId: number | string): CellJob {
  return {
    attemptId,
    buildId: build.id,
    repository: build.head_repository,
    cloneUrl: build.clone_url,
    headSha: build.head_sha,
    installationId: String(installationId),
    fork: build.fork,
    cell,
    settings: build.settings,
  };
}

/** A new commit on a branch or pull request cancels what is left of the older ones. */
async function supersedeOlder(deps: AppDeps, newer: Build): Promise<void> {
  const { db, queues } = deps;
  const where = newer.pull_number !== null ? `pull request #${newer.pull_number}` : `branch ${newer.branch}`;
  for (const older of await supersededBy(db, newer)) {
    await markSuperseded(db, older.id, newer.id);
    for (const { cell, attempt } of await latestAttempts(db, older.id)) {
      if (attempt.state === "completed") continue;
      if (attempt.state === "queued") await queues.dequeueCell(cell.platform as Cell["platform"], attempt.id);
      // Whichever worker holds it stops its container.
      if (attempt.state === "in_progress") await deps.cancelRunning(attempt.id);
      const summary = `Cancelled: ${newer.head_sha.slice(0, 7)} superseded this commit on ${where}.`;
      if (await markCompleted(db, attempt.id, "cancelled", summary)) {
        await queues.requestSync({ kind: "attempt", attemptId: attempt.id });
      }
    }
    await queues.requestSync({ kind: "matrix", buildId: older.id }, MATRIX_DEBOUNCE_MS);
  }
}

/** A new attempt of a cell: queued for the workers (or waiting for approval), with its own check run. */
async function queueAttempt(
  deps: AppDeps,
  build: Build,
  cellId: string,
  state: "queued" | "waiting_approval",
): Promise<void> {
  const { db, queues } = deps;
  const attempt = await addAttempt(db, cellId, state);
  const context = await attemptContext(db, attempt.id);
  if (!context) return;
  if (state === "queued") {
    await queues.enqueueCell(cellJob(build, context.cell.spec as Cell, attempt.id, context.installationId));
  }
  await queues.requestSync({ kind: "attempt", attemptId: attempt.id });
}

/** "Re-run" on a cell's check run (or the matrix check: every cell that did not pass). */
async function rerunCheckRun(deps: AppDeps, externalId: string): Promise<void> {
  const { db, queues } = deps;
  const matrix = /^build-(\d+)$/.exec(externalId);
  if (matrix?.[1]) {
    const build = await db.selectFrom("builds").selectAll().where("id", "=", matrix[1]).executeTakeFirst();
    if (!build) return;
    for (const { cell, attempt } of await latestAttempts(db, build.id)) {
      const again =
        attempt.state === "completed" && ["failure", "cancelled", "timed_out"].includes(attempt.conclusion ?? "");
      if (again) await queueAttempt(deps, build, cell.id, "queued");
    }
    await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
    return;
  }
  if (!/^\d+$/.test(externalId)) return;
  const context = await attemptContext(db, externalId);
  if (!context || context.cell.skip_reason !== null) return;
  const waiting = context.attempt.state === "waiting_approval";
  await queueAttempt(deps, context.build, context.cell.id, waiting ? "waiting_approval" : "queued");
  await queues.requestSync({ kind: "matrix", buildId: context.build.id }, MATRIX_DEBOUNCE_MS);
}

/** "Approve and run" on a fork's cell: a user with write access runs that commit's waiting cells. */
async function approve(deps: AppDeps, context: Context<"check_run.requested_action">): Promise<void> {
  const { db, queues } = deps;
  const { owner, repo } = context.repo();
  const user = context.payload.sender.login;
  const { data } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user });
  if (!APPROVERS.has(data.permission) && !APPROVERS.has(data.role_name)) {
    context.log.info({ user, permission: data.permission }, "approval refused: no write access");
    return;
  }
  const repositoryId = context.payload.repository.id;
  const sha = context.payload.check_run.head_sha;
  await recordApproval(db, repositoryId, sha, user);
  for (const build of await buildsForCommit(db, repositoryId, sha)) {
    for (const { cell, attempt } of await latestAttempts(db, build.id)) {
      if (attempt.state !== "waiting_approval") continue;
      await markCompleted(db, attempt.id, "action_required", `Approved by @${user}; a new attempt runs.`);
      await queueAttempt(deps, build, cell.id, "queued");
    }
    await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
  }
}
