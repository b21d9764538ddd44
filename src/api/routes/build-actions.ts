/**
 * The API's build actions: POST /builds (a commit of an installed repository
 * built outside a webhook, through the pipeline a push takes), DELETE
 * /builds/{id} (what is left of it cancelled, as superseding does) and POST
 * /builds/{id}/rerun (new attempts, as GitHub's Re-run makes them).
 */
import { createHash, randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { lockBuild } from "../../db/build-places.ts";
import type { Build } from "../../db/schema.ts";
import { getBuild, installedRepository, latestAttempts } from "../../db/store.ts";
import { cancelOpenCellsIn, stopCancelled } from "../../github/cancel-cells.ts";
import { MATRIX_DEBOUNCE_MS } from "../../github/cell-events.ts";
import type { InstallationOctokit } from "../../github/reporter.ts";
import { addAttemptsIn, failedCell, startAttempts } from "../../github/rerun-cells.ts";
import { startBuild } from "../../github/start-build.ts";
import { allowRepository } from "../auth.ts";
import { resolveConfiguration } from "../build-configuration.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import type { V1Deps } from "../v1.ts";
import {
  BuildIdParams,
  BuildRequest,
  CancelledBuild,
  CreatedBuild,
  RerunAttempts,
  RerunRequest,
} from "./build-action-schemas.ts";
import { buildDetail } from "./builds-read.ts";

export function buildActionRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  const { db, queues } = deps;
  return async (app) => {
    app.post(
      "/builds",
      {
        config: { scope: "builds:write" },
        schema: {
          tags: ["builds"],
          summary: "Build a commit of an installed repository",
          body: BuildRequest,
          response: {
            201: CreatedBuild,
            404: ErrorBody.describe("The repository is not installed, or no stored configuration has that name"),
            422: ErrorBody.describe(
              "The configuration is missing or broken (`details.problems`), or GitHub knows no such commit",
            ),
            503: ErrorBody.describe("GitHub did not answer"),
          },
        },
      },
      async (request, reply) => {
        const { body } = request;
        allowRepository(request, body.repository, "write");
        const repository = await installedRepository(db, body.repository);
        if (!repository)
          throw new ApiError("not_found", `${body.repository} is not installed: no installation of the app gives it`, {
            repository: body.repository,
          });
        const [owner = "", repo = ""] = repository.fullName.split("/");
        const sha = body.commit.toLowerCase();
        const octokit = await deps.installationOctokit(Number(repository.installationId));
        const resolved = await fromGitHub(async () => {
          await requireCommit(octokit, owner, repo, sha);
          return resolveConfiguration(
            { db, octokit, stored: deps.storedConfiguration, owner, repo, sha },
            body.configurations,
          );
        });
        const requestedBy = principalName(request);
        const branch = body.ref === undefined ? null : body.ref.replace(/^refs\/heads\//, "");
        const { build } = await startBuild(deps, {
          origin: {
            repositoryId: Number(repository.id),
            headSha: sha,
            // Each call is a build of its own, however often the same commit and config are asked for.
            configDigest: createHash("sha256").update(`api\0${randomUUID()}\0${resolved.digestInput}`).digest("hex"),
            event: "api",
            branch,
            pullNumber: null,
            headRepository: repository.fullName,
            cloneUrl: repository.cloneUrl,
            // A token that may write builds of this repository is trusted with its commits, as a push is.
            fork: false,
            eventAt: deps.now(),
            waitForApproval: false,
            requestedBy,
          },
          config: resolved.config,
          cells: resolved.cells,
          installationId: repository.installationId,
        });
        const found = await buildDetail(deps, build.id);
        if (!found) throw new Error(`build ${build.id} is gone right after it was made`);
        reply.code(201).header("location", `/api/v1/builds/${build.id}`);
        return {
          ...found.detail,
          requested_by: requestedBy,
          configuration: { source: resolved.source, name: resolved.name, version: resolved.version },
        };
      },
    );

    app.delete(
      "/builds/:id",
      {
        config: { scope: "builds:write" },
        schema: {
          tags: ["builds"],
          summary: "Cancel what is left of a build",
          params: BuildIdParams,
          response: {
            202: CancelledBuild,
            404: ErrorBody.describe("No such build"),
            409: ErrorBody.describe("Every cell of the build has ended: nothing to cancel"),
          },
        },
      },
      async (request, reply) => {
        const build = await allowedBuild(request, request.params.id);
        const who = principalName(request);
        const words = { title: null, summary: `Cancelled by ${who} through the API.` };
        // cancelOpenCells' two halves: who cancelled is recorded only when something was open.
        const cancelled = await db.transaction().execute(async (tx) => {
          const done = await cancelOpenCellsIn(tx, build.id, words);
          if (done.length > 0)
            await tx.updateTable("builds").set({ cancelled_by: who }).where("id", "=", build.id).execute();
          return done;
        });
        if (cancelled.length === 0)
          throw new ApiError("conflict", `build ${build.id} has nothing open to cancel: every cell has ended`);
        await stopCancelled({ queues, cancelRunning: deps.cancelRunning }, cancelled);
        await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
        const cells = new Map((await latestAttempts(db, build.id)).map(({ cell, attempt }) => [attempt.id, cell]));
        reply.code(202);
        return {
          id: build.id,
          cancelled_by: who,
          attempts: cancelled.map(({ attemptId, was }) => ({
            id: attemptId,
            cell_key: cells.get(attemptId)?.key ?? "",
            cell_name: cells.get(attemptId)?.name ?? "",
            // cancelOpenCellsIn passes over ended attempts: each was open.
            was: was as Exclude<typeof was, "completed">,
          })),
        };
      },
    );

    app.post(
      "/builds/:id/rerun",
      {
        config: { scope: "builds:write" },
        schema: {
          tags: ["builds"],
          summary: "Re-run cells of a build",
          params: BuildIdParams,
          body: RerunRequest,
          response: {
            201: RerunAttempts,
            404: ErrorBody.describe("No such build"),
            409: ErrorBody.describe(
              "No cell asked for can run again (skipped, still open, or passed with failed_only)",
            ),
          },
        },
      },
      async (request, reply) => {
        const build = await allowedBuild(request, request.params.id);
        const { cells: keys, failed_only: failedOnly = false } = request.body;
        if (keys) {
          const known = new Set((await latestAttempts(db, build.id)).map(({ cell }) => cell.key));
          const unknown = [...new Set(keys)].filter((key) => !known.has(key));
          if (unknown.length > 0)
            throw new ApiError("invalid_request", `build ${build.id} has no cell ${unknown.join(", ")}`, { unknown });
        }
        const wanted = keys ? new Set(keys) : null;
        const attempts = await db.transaction().execute(async (tx) => {
          // Two re-runs of one build at once take turns: neither adds a second attempt the other just added.
          await lockBuild(tx, build.id);
          return addAttemptsIn(
            tx,
            build,
            (latest) =>
              (wanted === null || wanted.has(latest.cell.key)) &&
              latest.cell.skip_reason === null &&
              latest.attempt.state === "completed" &&
              (!failedOnly || failedCell(latest)),
          );
        });
        if (attempts.length === 0)
          throw new ApiError(
            "conflict",
            `nothing in build ${build.id} to re-run: the cells asked for are skipped, not yet ended${failedOnly ? ", or passed" : ""}`,
          );
        await startAttempts(deps, attempts);
        await queues.requestSync({ kind: "matrix", buildId: build.id }, MATRIX_DEBOUNCE_MS);
        const cells = new Map((await latestAttempts(db, build.id)).map(({ cell }) => [cell.id, cell]));
        reply.code(201);
        return {
          id: build.id,
          attempts: attempts.map(({ attempt }) => ({
            id: attempt.id,
            cell_key: cells.get(attempt.cell_id)?.key ?? "",
            cell_name: cells.get(attempt.cell_id)?.name ?? "",
            number: attempt.number,
            state: attempt.state,
          })),
        };
      },
    );
  };

  /** The build, when the token may act on its repository (403 otherwise; 404 when there is none). */
  async function allowedBuild(request: FastifyRequest, id: string): Promise<Build> {
    const build = await getBuild(db, id);
    const repository =
      build &&
      (await db
        .selectFrom("repositories")
        .select("full_name")
        .where("id", "=", build.repository_id)
        .executeTakeFirst());
    if (!build || !repository) throw new ApiError("not_found", `no build ${id}`);
    allowRepository(request, repository.full_name, "write");
    return build;
  }
}

function principalName(request: FastifyRequest): string {
  // The scope check ran first (auth.ts): a route with a scope always has its principal.
  if (!request.principal) throw new ApiError("unauthorized", "send a token: Authorization: Bearer <token>");
  return request.principal.name;
}

/** GitHub's 404 and 422 for GET /repos/{owner}/{repo}/commits/{ref}, and 409 (an empty repository): no such commit. */
async function requireCommit(octokit: InstallationOctokit, owner: string, repo: string, sha: string): Promise<void> {
  try {
    // One file of its diff is enough: only whether the commit exists matters here.
    await octokit.rest.repos.getCommit({ owner, repo, ref: sha, per_page: 1 });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404 || status === 409 || status === 422)
      throw new ApiError("unknown_commit", `${owner}/${repo} has no commit ${sha} that GitHub knows of`, {
        repository: `${owner}/${repo}`,
        commit: sha,
      });
    throw error;
  }
}

/** GitHub's failures (other than the refusals the work turns into answers) as 503: the request may be tried again. */
async function fromGitHub<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const status = (error as { status?: unknown }).status;
    throw new ApiError(
      "unavailable",
      `GitHub did not answer as expected${typeof status === "number" ? ` (${status})` : ""}; try again`,
    );
  }
}
