/** The API's tokens as stored: their hashes, scopes and repositories; and the audit trail of mutating calls. */
import { sql } from "kysely";
import type { Db } from "./connect.ts";
import type { ApiScope, ApiToken } from "./schema.ts";
import { TOKEN_REVOKED_CHANNEL } from "./token-revocations.ts";

export interface NewToken {
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  readonly scopes: readonly ApiScope[];
  readonly repositories: readonly string[] | null;
  readonly expiresAt: Date | null;
}

export async function insertToken(db: Db, token: NewToken): Promise<ApiToken> {
  return db
    .insertInto("api_tokens")
    .values({
      name: token.name,
      prefix: token.prefix,
      hash: token.hash,
      scopes: [...token.scopes],
      repositories: token.repositories ? [...token.repositories] : null,
      expires_at: token.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function tokenByHash(db: Db, hash: string): Promise<ApiToken | undefined> {
  return db.selectFrom("api_tokens").selectAll().where("hash", "=", hash).executeTakeFirst();
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  return db.selectFrom("api_tokens").selectAll().orderBy("id").execute();
}

/**
 * Revokes tokens by id or by name; the ones revoked now (already revoked ones
 * are left as they were). Servers that keep tokens in memory hear of it when
 * the transaction commits (listenForRevocations).
 */
export async function revokeTokens(db: Db, idOrName: string, at = new Date()): Promise<ApiToken[]> {
  const byId = /^\d{1,18}$/.test(idOrName);
  return db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable("api_tokens")
      .set({ revoked_at: at })
      .where((eb) => (byId ? eb("id", "=", idOrName) : eb("name", "=", idOrName)))
      .where("revoked_at", "is", null)
      .returningAll()
      .execute();
    for (const token of revoked) await sql`SELECT pg_notify(${TOKEN_REVOKED_CHANNEL}, ${token.id})`.execute(trx);
    return revoked;
  });
}

/** A token's last use, written at most once a minute per token (reads stay reads). */
export async function touchToken(db: Db, id: string, at: Date): Promise<void> {
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: at })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", new Date(at.getTime() - 60_000))]))
    .execute();
}

export interface AuditEntry {
  readonly tokenId: string | null;
  readonly tokenName: string;
  readonly method: string;
  readonly route: string;
  readonly target: string | null;
  readonly status: number;
  readonly at: Date;
}

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto("api_audit")
    .values({
      token_id: entry.tokenId,
      token_name: entry.tokenName,
      method: entry.method,
      route: entry.route,
      target: entry.target,
      status: entry.status,
      at: entry.at,
    })
    .execute();
}
