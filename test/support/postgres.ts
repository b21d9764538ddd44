/**
 * A fresh PostgreSQL database for a test file, on the real server
 * (DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * migrated, and dropped afterwards. A missing server fails with a clear message.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { connect, type Db } from "../../src/db/connect.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  readonly url: string;
  readonly db: Db;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `No PostgreSQL answers at ${ADMIN_URL} (${String(error)}). The tests use a real server: start it (bash .ci/run does) or set DATABASE_ADMIN_URL.`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(migrate = true): Promise<TestDatabase> {
  const name = `heimdall_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = connect(url.toString(), { max: 5 });
  if (migrate) await migrateToLatest(db);
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.destroy();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
