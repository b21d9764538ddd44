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
  // So must one in use: a client checked out between two queries of a transaction, or whose
  // socket fails mid-query, emits 'error' with none of the pool's listeners on it (pg-pool
  // removes its idle listener at checkout), and an 'error' nobody listens to ends the process.
  // Its query, if any, fails on its own; the pool discards the broken client when it is released.
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      process.emitWarning(`PostgreSQL connection lost while in use: ${error.message}`, {
        code: "HEIMDALL_PG_IN_USE",
      });
    });
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
