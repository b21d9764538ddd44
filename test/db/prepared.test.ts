/**
 * A query marked PREPARED is a named prepared statement on its connection:
 * parsed and planned once, then run by name; unmarked queries are not.
 * Real PostgreSQL; one connection, so its session's statements are the ones seen.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { listBuilds } from "../../src/db/build-queries.ts";
import { connect, type Db, PREPARED } from "../../src/db/connect.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await freshDatabase();
  db = connect(database.url, { max: 1 });
}, 60_000);
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const statements = async () =>
  (await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(db)).rows;

test("a marked query is prepared once per connection under one name; the same shape reuses it, another shape gets its own", async () => {
  const one = async (n: number) => (await sql<{ n: number }>`${PREPARED} SELECT ${n}::int AS n`.execute(db)).rows;
  expect(await one(1)).toEqual([{ n: 1 }]);
  expect(await one(2)).toEqual([{ n: 2 }]);
  await sql`SELECT 3 AS unmarked`.execute(db);
  const after = await statements();
  expect(after).toHaveLength(1);
  expect(after[0]?.name).toMatch(/^heimdall_[0-9a-f]{24}$/);
  expect(after[0]?.statement).toContain("SELECT $1::int AS n");

  // The build list: each filter combination is one statement, whatever its values or repositories' count.
  await listBuilds(db, { repositoryIds: ["1"], limit: 5 });
  await listBuilds(db, { repositoryIds: ["1", "2", "3"], limit: 7 });
  expect(await statements()).toHaveLength(2);
  await listBuilds(db, { repositoryIds: null, branch: "main", limit: 5 });
  expect(await statements()).toHaveLength(3);
});
