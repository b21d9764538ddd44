/** GET /events: the dashboard's live feed of changed builds (Server-Sent Events), only those the caller may see. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { repositoryFilter } from "../auth.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import type { V1Deps } from "../v1.ts";

export function eventRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/events",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["builds"],
          summary: "Builds as they change, as Server-Sent Events",
          description:
            "`event: build` with `{id, repository}` each time a build or one of its attempts changes (gathered for 250 ms); `event: resync` when the server cannot say which (read again). Only builds the caller may see.",
          response: {
            200: z.string().describe("text/event-stream"),
            503: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        if (deps.buildEvents.full) throw new ApiError("unavailable", "too many follow the live feed; try again");
        reply.hijack();
        await deps.buildEvents.follow(reply.raw, repositoryFilter(request));
        return reply;
      },
    );
  };
}
