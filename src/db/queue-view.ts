/**
 * What the API's /queue shows: every open attempt (waiting for approval,
 * queued, held back by max_parallel, running) with its cell, build and
 * repository, oldest first. Open attempts are few (the partial index
 * attempts_open covers queued and running ones).
 */
import { sql } from "kysely";
import type { Db } from "./connect.ts";
import type { AttemptState } from "./schema.ts";

export interface OpenAttempt {
  readonly attempt_id: string;
  readonly number: number;
  readonly state: Exclude<AttemptState, "completed">;
  readonly held: boolean;
  readonly worker: string | null;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly platform: string;
  readonly cell_key: string;
  readonly cell_name: string;
  readonly build_id: string;
  readonly repository: string;
}

/** Open attempts, oldest first; with `repositories` (owner/name, lower case), only theirs. */
export async function openAttempts(db: Db, repositories: readonly string[] | null): Promise<OpenAttempt[]> {
  if (repositories !== null && repositories.length === 0) return [];
  let query = db
    .selectFrom("attempts")
    .innerJoin("cells", "cells.id", "attempts.cell_id")
    .innerJoin("builds", "builds.id", "cells.build_id")
    .innerJoin("repositories", "repositories.id", "builds.repository_id")
    .select([
      "attempts.id as attempt_id",
      "attempts.number",
      "attempts.state",
      "attempts.held",
      "attempts.worker",
      "attempts.created_at",
      "attempts.started_at",
      "cells.platform",
      "cells.key as cell_key",
      "cells.name as cell_name",
      "builds.id as build_id",
      "repositories.full_name as repository",
    ])
    .where("attempts.state", "in", ["waiting_approval", "queued", "in_progress"]);
  if (repositories !== null) {
    query = query.where(sql<boolean>`lower(repositories.full_name) = any(${[...repositories]}::text[])`);
  }
  const rows = await query.orderBy("attempts.created_at").orderBy("attempts.id").execute();
  return rows as OpenAttempt[];
}
