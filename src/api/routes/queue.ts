/**
 * GET /queue: per platform, the cells waiting (queued, held back by their
 * build's max_parallel, or waiting for a maintainer's approval) and those
 * running, with how long each has waited by the server's clock.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import { type OpenAttempt, openAttempts } from "../../db/queue-view.ts";
import { repositoryFilter } from "../auth.ts";
import { QueueAnswer } from "../schemas/queue.ts";
import type { V1Deps } from "../v1.ts";

type Answer = z.infer<typeof QueueAnswer>;
type Platform = Answer["platforms"][number];

export function queueRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/queue",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["farm"],
          summary: "Waiting and running cells per platform (the token's repositories only)",
          response: { 200: QueueAnswer },
        },
      },
      async (request) => {
        const now = deps.now();
        const rows = await openAttempts(deps.db, repositoryFilter(request));
        const platforms = new Map<string, Platform>();
        for (const row of rows) {
          let platform = platforms.get(row.platform);
          if (!platform) {
            platform = { platform: row.platform, waiting: [], running: [] };
            platforms.set(row.platform, platform);
          }
          const base = queued(row, now);
          if (row.state === "in_progress" && row.started_at) {
            platform.running.push({
              ...base,
              wait_ms: Math.max(0, row.started_at.getTime() - row.created_at.getTime()),
              worker: row.worker,
              started_at: row.started_at.toISOString(),
              running_ms: Math.max(0, now.getTime() - row.started_at.getTime()),
            });
          } else {
            platform.waiting.push({ ...base, held: row.held, waiting_approval: row.state === "waiting_approval" });
          }
        }
        const answer: Answer = {
          at: now.toISOString(),
          platforms: [...platforms.values()].sort((a, b) => a.platform.localeCompare(b.platform)),
        };
        return answer;
      },
    );
  };
}

function queued(row: OpenAttempt, now: Date) {
  return {
    build_id: row.build_id,
    repository: row.repository,
    cell: { key: row.cell_key, name: row.cell_name },
    attempt_id: row.attempt_id,
    attempt: row.number,
    queued_at: row.created_at.toISOString(),
    // A clock behind the database's (another server's) must not show a negative wait.
    wait_ms: Math.max(0, now.getTime() - row.created_at.getTime()),
  };
}
