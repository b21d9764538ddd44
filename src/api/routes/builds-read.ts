/** GET /builds and GET /builds/{id}: what was built, its cells and their attempts. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { getBuild } from "../../db/store.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import type { V1Deps } from "../v1.ts";

export function buildReadRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/builds/:id",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["builds"],
          summary: "A build",
          security: [{ token: [] }],
          params: z.object({ id: z.string().regex(/^\d{1,18}$/) }),
          response: { 200: z.object({ id: z.string() }), 404: ErrorBody },
        },
      },
      async (request) => {
        const build = await getBuild(deps.db, request.params.id);
        if (!build) throw new ApiError("not_found", `no build ${request.params.id}`);
        return { id: build.id };
      },
    );
  };
}
