/** A kysely instance over a pg pool. */
import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;

const PREPARED_MARK = "/* prepared */ ";

/**
 * Put first in a query (sql`${PREPARED} SELECT …`) whose few shapes are run
 * often: each connection then parses and plans it once, as a named prepared
 * statement, instead of each time. The API's build list spends more planning
 * its lateral tally (3 ms) than running it; prepared, the plan costs 0.7 ms
 * (bench/api.ts). Only for queries of a bounded set of shapes: each shape
 * stays prepared on every connection for the connection's life.
 */
export const PREPARED = sql.raw(PREPARED_MARK);

/** A marked query's text as a named statement (node-pg prepares a name once per connection). */
function statementOf(text: unknown, values: unknown): pg.QueryConfig | null {
  if (typeof text !== "string" || !text.startsWith(PREPARED_MARK)) return null;
  const name = `heimdall_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
  return { name, text, values: values as unknown[] };
}

/** The pool as kysely takes it, with marked queries prepared. */
function preparingPool(pool: pg.Pool) {
  return {
    async connect() {
      const client = await pool.connect();
      return new Proxy(client, {
        get(target, property, receiver) {
          if (property !== "query") return Reflect.get(target, property, receiver);
          return (text: unknown, values?: unknown) => {
            const statement = statementOf(text, values);
            return statement ? target.query(statement) : target.query(text as string, values as unknown[]);
          };
        },
      });
    },
    end: () => pool.end(),
    options: pool.options,
  };
}

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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
}
