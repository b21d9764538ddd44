/**
 * A connection PostgreSQL ends while the pool has it checked out (between two
 * queries of a transaction, as at a restart or failover) is a warning and a
 * failed transaction, never an 'error' nobody listens to, which would end the
 * server or worker. The next query gets a new connection.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { until } from "../support/app-harness.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

let database: TestDatabase;
const warnings: string[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code?.startsWith("HEIMDALL_PG")) warnings.push(`${warning.code}: ${warning.message}`);
};

beforeAll(async () => {
  database = await freshDatabase(false);
  process.on("warning", onWarning);
}, 60_000);
afterAll(async () => {
  process.off("warning", onWarning);
  await database?.drop();
});

test("a checked-out connection terminated between queries: a warning, the transaction fails, the next query works", async () => {
  const { db } = database;
  const failed = await db
    .transaction()
    .execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
      const pid = rows[0]?.pid;
      // Another connection ends this one, as a server shutting down does ("administrator command").
      await sql`SELECT pg_terminate_backend(${pid})`.execute(db);
      await until("the ended connection's warning", () => warnings.length > 0, 10_000);
      await sql`SELECT 1`.execute(trx);
    })
    .then(
      () => null,
      (error: unknown) => error,
    );
  expect(failed).toBeInstanceOf(Error);
  // The server's word first; pg may add the socket's end as a second error or not, as the race between the
  // ended socket and the next query falls (seen both ways): either way a warning, never a crash.
  expect(warnings[0]).toBe(
    "HEIMDALL_PG_IN_USE: PostgreSQL connection lost while in use: terminating connection due to administrator command",
  );
  expect(warnings.slice(1)).toEqual(
    warnings.length > 1
      ? ["HEIMDALL_PG_IN_USE: PostgreSQL connection lost while in use: Connection terminated unexpectedly"]
      : [],
  );
  const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
  expect(rows).toEqual([{ one: 1 }]);
});
