/**
 * Stored configurations: named `.heimdall-build.yml` documents, a new version
 * for every write, none overwritten; a delete hides the name and keeps its
 * versions (builds used them). A name written again after its delete goes on
 * after its last version, so `name@vN` always means one text.
 */
import type { Db } from "./connect.ts";

export interface ConfigurationVersion {
  readonly version: number;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface StoredConfiguration extends ConfigurationVersion {
  readonly name: string;
  readonly document: string;
  readonly latestVersion: number;
  /** When the name was deleted (its versions are still read by version); null: it is live. */
  readonly deletedAt: Date | null;
  /** The name's versions, newest first, at most `VERSIONS_SHOWN`. */
  readonly versions: readonly ConfigurationVersion[];
}

export interface ConfigurationSummary {
  readonly name: string;
  readonly version: number;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** What GET shows of a name's history: a name written by a script every minute must not make answers of megabytes. */
export const VERSIONS_SHOWN = 100;

export type WriteOutcome =
  | { readonly outcome: "created" | "updated"; readonly version: number }
  | { readonly outcome: "exists" };

/**
 * A new version of `name`. `create`: only if the name is not live (POST);
 * else made or added to (PUT). "created" when the name was not live before
 * (never written, or deleted). The name's row is locked: concurrent writes
 * get consecutive versions.
 */
export async function writeConfiguration(
  db: Db,
  write: { name: string; document: string; by: string; at: Date; create: boolean },
): Promise<WriteOutcome> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto("configurations")
      .values({ name: write.name })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    const row = await tx
      .selectFrom("configurations")
      .selectAll()
      .where("name", "=", write.name)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const live = row.latest_version > 0 && row.deleted_at === null;
    if (live && write.create) return { outcome: "exists" as const };
    const version = row.latest_version + 1;
    await tx
      .updateTable("configurations")
      .set({ latest_version: version, deleted_at: null, deleted_by: null })
      .where("name", "=", write.name)
      .execute();
    await tx
      .insertInto("configuration_versions")
      .values({
        name: write.name,
        version,
        document: write.document,
        created_by: write.by,
        created_at: write.at,
      })
      .execute();
    return { outcome: live ? ("updated" as const) : ("created" as const), version };
  });
}

/** The live names, each with its latest version's time and writer, by name. */
export async function listConfigurations(db: Db): Promise<ConfigurationSummary[]> {
  const rows = await db
    .selectFrom("configurations as c")
    .innerJoin("configuration_versions as v", (join) =>
      join.onRef("v.name", "=", "c.name").onRef("v.version", "=", "c.latest_version"),
    )
    .select(["c.name", "c.latest_version", "v.created_at", "v.created_by"])
    .where("c.deleted_at", "is", null)
    .orderBy("c.name")
    .execute();
  return rows.map((r) => ({
    name: r.name,
    version: r.latest_version,
    updatedAt: r.created_at,
    updatedBy: r.created_by,
  }));
}

/**
 * A name's latest version (null when the name is unknown or deleted), or the
 * version asked for (a deleted name's too: builds used them).
 */
export async function getConfiguration(db: Db, name: string, version?: number): Promise<StoredConfiguration | null> {
  const row = await db.selectFrom("configurations").selectAll().where("name", "=", name).executeTakeFirst();
  if (!row || row.latest_version === 0) return null;
  if (version === undefined && row.deleted_at !== null) return null;
  const wanted = version ?? row.latest_version;
  const found = await db
    .selectFrom("configuration_versions")
    .selectAll()
    .where("name", "=", name)
    .where("version", "=", wanted)
    .executeTakeFirst();
  if (!found) return null;
  const versions = await db
    .selectFrom("configuration_versions")
    .select(["version", "created_at", "created_by"])
    .where("name", "=", name)
    .orderBy("version", "desc")
    .limit(VERSIONS_SHOWN)
    .execute();
  return {
    name,
    version: found.version,
    document: found.document,
    createdAt: found.created_at,
    createdBy: found.created_by,
    latestVersion: row.latest_version,
    deletedAt: row.deleted_at,
    versions: versions.map((v) => ({ version: v.version, createdAt: v.created_at, createdBy: v.created_by })),
  };
}

/** Whether the name was live (its versions stay). */
export async function deleteConfiguration(db: Db, name: string, by: string, at: Date): Promise<boolean> {
  const deleted = await db
    .updateTable("configurations")
    .set({ deleted_at: at, deleted_by: by })
    .where("name", "=", name)
    .where("deleted_at", "is", null)
    .where("latest_version", ">", 0)
    .executeTakeFirst();
  return deleted.numUpdatedRows > 0n;
}

/** What a build extends: the name's latest version, or null when there is none (unknown or deleted). */
export async function latestConfiguration(
  db: Db,
  name: string,
): Promise<{ name: string; version: number; text: string } | null> {
  const found = await db
    .selectFrom("configurations as c")
    .innerJoin("configuration_versions as v", (join) =>
      join.onRef("v.name", "=", "c.name").onRef("v.version", "=", "c.latest_version"),
    )
    .select(["c.name", "v.version", "v.document"])
    .where("c.name", "=", name)
    .where("c.deleted_at", "is", null)
    .executeTakeFirst();
  return found ? { name: found.name, version: found.version, text: found.document } : null;
}
