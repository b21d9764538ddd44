/**
 * What a build's cells left: logs (stored, or live while a cell runs, followed
 * as chunked text), artifacts and SBOMs, listed and served. A folder store's
 * objects are streamed; S3's answered with a redirect to a presigned URL.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { buildWithRepository, type CellWithAttempts, cellsWithAttempts } from "../../db/build-queries.ts";
import type { Attempt } from "../../db/schema.ts";
import { isValidKey } from "../../storage/keys.ts";
import type { ObjectStore } from "../../storage/object-store.ts";
import { allowRepository } from "../auth.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import { BuildParams } from "../schemas/build.ts";
import { sendObject } from "../send-object.ts";
import type { V1Deps } from "../v1.ts";

const LogEntry = z
  .object({
    cell: z.string(),
    cell_name: z.string(),
    attempt: z.number().int(),
    state: z.string(),
    conclusion: z.string().nullable(),
    live: z.boolean().describe("The attempt runs: its log is the live tail (follow it with ?follow=1)"),
    url: z.string(),
  })
  .meta({ id: "LogEntry" });

const StoredFile = z
  .object({
    cell: z.string(),
    attempt: z.number().int(),
    path: z.string().describe("Its path as the build wrote it (artifacts) or its file name (SBOMs)"),
    size: z.number().int(),
    url: z.string(),
  })
  .meta({ id: "StoredFile" });

const Sbom = StoredFile.extend({
  kind: z
    .enum(["image", "project"])
    .describe("image: what the cell ran on (CycloneDX); project: the project's own SBOM script's"),
}).meta({ id: "Sbom" });

const TEXT = {
  description: "The log as text: the stored log of a finished attempt, the live tail of a running one",
  content: { "text/plain": { schema: z.string() } },
};
const FILE = {
  description: "The file (streamed), or a redirect (302) to a short-lived presigned URL on S3",
  content: { "application/octet-stream": { schema: z.string() } },
};

/** `<cell>/<attempt>/<path>` of a build's object keys under `artifacts/<build>/` or `sboms/<build>/`. */
function splitKey(key: string, prefix: string): { cell: string; attempt: number; rest: string } | null {
  const match = /^([^/]+)\/(\d+)(?:\/|\.)(.+)$/.exec(key.slice(prefix.length));
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { cell: match[1], attempt: Number(match[2]), rest: match[3] };
}

export function buildOutputRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  const base = () => `${deps.publicUrl ?? ""}/api/v1/builds`;
  const store = (): ObjectStore => {
    if (!deps.store) throw new ApiError("unavailable", "this server has no object store configured");
    return deps.store;
  };
  /** The build (404 unless it exists and the token may see its repository). */
  const visibleBuild = async (request: Parameters<typeof allowRepository>[0], id: string) => {
    const row = await buildWithRepository(deps.db, id);
    if (!row) throw new ApiError("not_found", `no build ${id}`);
    allowRepository(request, row.repository);
    return row;
  };
  const read = { config: { scope: "builds:read" as const } };
  /** A build's stored files of a kind: each one's cell, attempt, the rest of its key, size and URL here. */
  const storedFiles = async (buildId: string, kind: "artifacts" | "sboms") => {
    const prefix = `${kind}/${buildId}/`;
    const files = [];
    for (const object of await store().list(prefix)) {
      const parts = splitKey(object.key, prefix);
      if (!parts) continue;
      const path = object.key.slice(prefix.length).split("/").map(encodeURIComponent).join("/");
      files.push({ ...parts, size: object.size, url: `${base()}/${buildId}/${kind}/${path}` });
    }
    return files;
  };

  return async (app) => {
    app.get(
      "/builds/:id/logs",
      {
        ...read,
        schema: {
          tags: ["outputs"],
          summary: "Every attempt's log of a build",
          params: BuildParams,
          response: { 200: z.object({ logs: z.array(LogEntry) }), 404: ErrorBody },
        },
      },
      async (request) => {
        const build = await visibleBuild(request, request.params.id);
        const logs = [];
        for (const { cell, attempts } of await cellsWithAttempts(deps.db, build.id)) {
          for (const attempt of attempts) {
            const live = attempt.state === "in_progress";
            if (!live && !attempt.log_key) continue;
            logs.push({
              cell: cell.key,
              cell_name: cell.name,
              attempt: attempt.number,
              state: attempt.state,
              conclusion: attempt.conclusion,
              live,
              url: `${base()}/${build.id}/logs/${encodeURIComponent(cell.key)}?attempt=${attempt.number}`,
            });
          }
        }
        return { logs };
      },
    );

    app.get(
      "/builds/:id/logs/:cell",
      {
        ...read,
        schema: {
          tags: ["outputs"],
          summary: "A cell's log: its latest attempt's, or ?attempt=N; ?follow=1 streams a running one's until it ends",
          params: BuildParams.extend({ cell: z.string().max(255) }),
          querystring: z.object({
            attempt: z.coerce.number().int().positive().optional(),
            follow: z.enum(["0", "1"]).optional(),
          }),
          response: {
            200: TEXT,
            206: {
              description:
                "A part of a stored log: `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` (its last n bytes); `content-range` says where it lies and the log's size",
              content: { "text/plain": { schema: z.string() } },
            },
            404: ErrorBody,
            416: z.undefined().describe("The range lies past the log's end; `content-range: bytes */size`"),
            503: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const build = await visibleBuild(request, request.params.id);
        const cells = await cellsWithAttempts(deps.db, build.id);
        const found = cells.find((c) => c.cell.key === request.params.cell);
        if (!found) throw new ApiError("not_found", `build ${build.id} has no cell ${request.params.cell}`);
        const attempt = pickAttempt(found, request.query.attempt);
        if (attempt.state === "in_progress") {
          const first = await deps.liveLogs.first(attempt.id);
          if (!first)
            throw new ApiError("not_found", `attempt ${attempt.number} runs, but its live log is not there yet`);
          const follow = request.query.follow === "1" && first.ended === null;
          if (follow && deps.liveLogs.full)
            throw new ApiError("unavailable", "too many live logs are followed; try again");
          reply.hijack();
          reply.raw.writeHead(200, {
            "content-type": "text/plain; charset=utf-8",
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
            "x-heimdall-state": first.ended ?? "running",
          });
          if (!follow) reply.raw.end(first.text);
          else await deps.liveLogs.follow(attempt.id, first, reply.raw);
          return reply;
        }
        if (!attempt.log_key || !isValidKey(attempt.log_key))
          throw new ApiError(
            "not_found",
            `attempt ${attempt.number} of ${found.cell.name} has no log (${describe(attempt)})`,
          );
        const key = attempt.log_key;
        reply.hijack();
        const sent = await sendObject(store(), key, request.raw, reply.raw, {
          redirect: false,
          contentType: "text/plain; charset=utf-8",
        });
        if (!sent) {
          reply.raw.writeHead(404, { "content-type": "application/json" });
          reply.raw.end(
            JSON.stringify({
              error: { code: "not_found", message: `the log of attempt ${attempt.number} is gone from the store` },
            }),
          );
        }
        return reply;
      },
    );

    app.get(
      "/builds/:id/artifacts",
      {
        ...read,
        schema: {
          tags: ["outputs"],
          summary: "Every artifact the build's cells kept",
          params: BuildParams,
          response: { 200: z.object({ artifacts: z.array(StoredFile) }), 404: ErrorBody, 503: ErrorBody },
        },
      },
      async (request) => {
        const build = await visibleBuild(request, request.params.id);
        const files = await storedFiles(build.id, "artifacts");
        return { artifacts: files.map(({ rest, ...file }) => ({ ...file, path: rest })) };
      },
    );

    app.get(
      "/builds/:id/sboms",
      {
        ...read,
        schema: {
          tags: ["outputs"],
          summary: "The build's SBOMs: each cell's CycloneDX document, and the project's own",
          params: BuildParams,
          response: { 200: z.object({ sboms: z.array(Sbom) }), 404: ErrorBody, 503: ErrorBody },
        },
      },
      async (request) => {
        const build = await visibleBuild(request, request.params.id);
        const sboms = (await storedFiles(build.id, "sboms")).map(({ rest, ...file }) => {
          const project = rest.startsWith("project/");
          return {
            ...file,
            kind: project ? ("project" as const) : ("image" as const),
            path: project ? rest.slice("project/".length) : `${file.attempt}.${rest}`,
          };
        });
        return { sboms };
      },
    );

    for (const kind of ["artifacts", "sboms"] as const) {
      app.get(
        `/builds/:id/${kind}/*`,
        {
          ...read,
          schema: {
            tags: ["outputs"],
            summary:
              kind === "artifacts" ? "One artifact: <cell>/<attempt>/<path>" : "One SBOM, as its list gives its url",
            params: BuildParams.extend({ "*": z.string().min(1).max(1024) }),
            response: {
              200: FILE,
              302: z.undefined().describe("To a presigned URL on S3"),
              404: ErrorBody,
              503: ErrorBody,
            },
          },
        },
        async (request, reply) => {
          const build = await visibleBuild(request, request.params.id);
          const key = `${kind}/${build.id}/${request.params["*"]}`;
          if (!isValidKey(key)) throw new ApiError("not_found", `no such file in build ${build.id}`);
          const objects = store();
          reply.hijack();
          if (!(await sendObject(objects, key, request.raw, reply.raw))) {
            reply.raw.writeHead(404, { "content-type": "application/json" });
            reply.raw.end(
              JSON.stringify({ error: { code: "not_found", message: `no such file in build ${build.id}` } }),
            );
          }
          return reply;
        },
      );
    }
  };
}

function pickAttempt({ cell, attempts }: CellWithAttempts, number: number | undefined): Attempt {
  const attempt = number === undefined ? attempts.at(-1) : attempts.find((a) => a.number === number);
  if (!attempt) throw new ApiError("not_found", `${cell.name} has no attempt ${number ?? ""}`.trim());
  return attempt;
}

function describe(attempt: Attempt): string {
  if (attempt.state === "queued") return "it is queued";
  if (attempt.state === "waiting_approval") return "it waits for approval";
  return `it ended ${attempt.conclusion ?? "without a conclusion"} before its build started`;
}
