/** A kysely instance over a pg pool. */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;

export function connect(databaseUrl: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10 });
  // An idle connection the server closes (a restart, a failover) must not crash
  // the process: the pool drops it and opens another when needed.
  pool.on("error", (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, { code: "HEIMDALL_PG_IDLE" });
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
