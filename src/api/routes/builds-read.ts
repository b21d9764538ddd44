/** GET /builds and GET /builds/{id}: what was built, its cells and their attempts. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  buildRowOf,
  buildWithRepository,
  cellsWithAttempts,
  listBuilds,
  repositoryIds,
} from "../../db/build-queries.ts";
import { allowRepository, repositoryFilter } from "../auth.ts";
import { buildView, cellView } from "../build-view.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import { BuildConclusion, BuildDetail, BuildPage, BuildParams, BuildStatus } from "../schemas/build.ts";
import type { V1Deps } from "../v1.ts";

const ListQuery = z.object({
  repository: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/)
    .optional()
    .describe("owner/name"),
  branch: z.string().min(1).max(255).optional(),
  sha: z
    .string()
    .regex(/^[0-9a-f]{7,40}$/)
    .optional()
    .describe("The commit, or its first 7 or more hex digits"),
  pull_request: z.coerce.number().int().positive().optional(),
  state: BuildStatus.optional(),
  conclusion: BuildConclusion.optional(),
  since: z.iso.datetime({ offset: true }).optional().describe("Builds made at or after this time"),
  cursor: z.string().max(64).optional().describe("The previous page's next_cursor"),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

/** A cursor is the last build's id, opaque to clients (it may carry more one day). */
function encodeCursor(id: string): string {
  return Buffer.from(`b${id}`).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString();
  const id = /^b(\d{1,18})$/.exec(text)?.[1];
  if (!id)
    throw new ApiError("invalid_request", "cursor: not a cursor this API gave", {
      issues: [{ in: "querystring", path: "cursor", message: "not a cursor this API gave" }],
    });
  return id;
}

export function buildReadRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  const links = () => ({ publicUrl: deps.publicUrl ?? "", githubUrl: deps.githubUrl });
  return async (app) => {
    app.get(
      "/builds",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["builds"],
          summary: "Builds, newest first, a page at a time",
          querystring: ListQuery,
          response: { 200: BuildPage },
        },
      },
      async (request) => {
        const q = request.query;
        let visible = repositoryFilter(request);
        if (q.repository) {
          allowRepository(request, q.repository);
          visible = [q.repository];
        }
        const ids = visible ? await repositoryIds(deps.db, visible) : null;
        const rows = await listBuilds(deps.db, {
          repositoryIds: ids,
          ...(q.branch !== undefined ? { branch: q.branch } : {}),
          ...(q.sha !== undefined ? { sha: q.sha } : {}),
          ...(q.pull_request !== undefined ? { pullRequest: q.pull_request } : {}),
          ...(q.state !== undefined ? { status: q.state } : {}),
          ...(q.conclusion !== undefined ? { conclusion: q.conclusion } : {}),
          ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
          ...(q.cursor !== undefined ? { before: decodeCursor(q.cursor) } : {}),
          limit: q.limit + 1,
        });
        const page = rows.slice(0, q.limit);
        const last = page.at(-1);
        return {
          builds: page.map((row) => buildView(row, links())),
          next_cursor: rows.length > q.limit && last ? encodeCursor(last.id) : null,
        };
      },
    );

    app.get(
      "/builds/:id",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["builds"],
          summary: "A build: its cells, each with every attempt",
          params: BuildParams,
          response: { 200: BuildDetail, 404: ErrorBody },
        },
      },
      async (request) => {
        const found = await buildDetail(deps, request.params.id);
        if (!found) throw new ApiError("not_found", `no build ${request.params.id}`);
        allowRepository(request, found.row.repository);
        return found.detail;
      },
    );
  };
}

/** A build with every cell and attempt, as GET /builds/{id} and the build's page show it; undefined when there is none. */
export async function buildDetail(deps: V1Deps, id: string) {
  const build = await buildWithRepository(deps.db, id);
  if (!build) return undefined;
  const links = { publicUrl: deps.publicUrl ?? "", githubUrl: deps.githubUrl };
  const now = deps.now();
  const cells = await cellsWithAttempts(deps.db, build.id);
  const row = buildRowOf(build, cells);
  return { row, detail: { ...buildView(row, links), cells: cells.map((cell) => cellView(row, cell, links, now)) } };
}
