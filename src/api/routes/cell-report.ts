/**
 * GET /builds/{id}/cells/{cell}/report: what one attempt said, as its check
 * run says it: the summary (failed tests with their output among it) and the
 * annotations, each with a link to its lines on GitHub at the build's commit.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { annotationsOf } from "../../db/annotations.ts";
import { buildWithRepository, cellsWithAttempts } from "../../db/build-queries.ts";
import { allowRepository } from "../auth.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import { BuildParams } from "../schemas/build.ts";
import { CellReport } from "../schemas/cell-report.ts";
import type { V1Deps } from "../v1.ts";

export function cellReportRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/builds/:id/cells/:cell/report",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["outputs"],
          summary: "An attempt's summary and annotations (its latest attempt's, or ?attempt=N)",
          params: BuildParams.extend({ cell: z.string().max(255) }),
          querystring: z.object({ attempt: z.coerce.number().int().positive().optional() }),
          response: { 200: CellReport, 404: ErrorBody },
        },
      },
      async (request) => {
        const build = await buildWithRepository(deps.db, request.params.id);
        if (!build) throw new ApiError("not_found", `no build ${request.params.id}`);
        allowRepository(request, build.repository);
        const found = (await cellsWithAttempts(deps.db, build.id)).find((c) => c.cell.key === request.params.cell);
        if (!found) throw new ApiError("not_found", `build ${build.id} has no cell ${request.params.cell}`);
        const number = request.query.attempt;
        const attempt = number === undefined ? found.attempts.at(-1) : found.attempts.find((a) => a.number === number);
        if (!attempt) throw new ApiError("not_found", `${found.cell.name} has no attempt ${number ?? ""}`.trim());
        const blob = `${deps.githubUrl}/${build.repository}/blob/${build.head_sha}`;
        const annotations = (await annotationsOf(deps.db, attempt.id)).map((a) => ({
          path: a.path,
          start_line: a.start_line,
          end_line: a.end_line,
          start_column: a.start_column,
          level: a.annotation_level,
          title: a.title,
          message: a.message,
          code: a.code,
          tool: a.tool,
          url: `${blob}/${a.path.split("/").map(encodeURIComponent).join("/")}#L${a.start_line}${a.end_line > a.start_line ? `-L${a.end_line}` : ""}`,
        }));
        return { cell: found.cell.key, attempt: attempt.number, summary: attempt.summary, annotations };
      },
    );
  };
}
