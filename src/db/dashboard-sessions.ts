/** The dashboard's sessions as stored: by the SHA-256 of their cookie, with what GitHub said the user may do. */
import type { Db } from "./connect.ts";
import type { DashboardSession, RepositoryAccess } from "./schema.ts";

export interface NewSession {
  readonly hash: string;
  readonly login: string;
  readonly userId: number;
  readonly name: string | null;
  readonly avatarUrl: string | null;
  readonly admin: boolean;
  readonly repositories: Readonly<Record<string, RepositoryAccess>>;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export async function insertSession(db: Db, session: NewSession): Promise<void> {
  await db
    .insertInto("dashboard_sessions")
    .values({
      hash: session.hash,
      login: session.login,
      user_id: session.userId,
      name: session.name,
      avatar_url: session.avatarUrl,
      admin: session.admin,
      repositories: JSON.stringify(session.repositories),
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** The session under this hash, unless it has expired by `now`. */
export async function liveSession(db: Db, hash: string, now: Date): Promise<DashboardSession | undefined> {
  return db
    .selectFrom("dashboard_sessions")
    .selectAll()
    .where("hash", "=", hash)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

/** Signs out: the session, and any expired one with it. */
export async function deleteSession(db: Db, hash: string, now: Date): Promise<void> {
  await db
    .deleteFrom("dashboard_sessions")
    .where((eb) => eb.or([eb("hash", "=", hash), eb("expires_at", "<=", now)]))
    .execute();
}
