/**
 * `heimdall-build tokens create|list|revoke`: the API's tokens, straight in
 * the server's PostgreSQL (DATABASE_URL): made by whoever runs the farm, on
 * a machine that reaches its database. A new token is printed once.
 */
import { mintToken, parseExpiry, parseRepository, parseScopes, TokenInputError } from "../api/tokens.ts";
import type { ApiToken } from "../db/schema.ts";
import type { CliIo } from "./program.ts";

export interface TokensCreateOptions {
  readonly name: string;
  readonly scopes: string;
  readonly repo: readonly string[];
  readonly expires: string;
  readonly json?: boolean;
}

export type TokensAction =
  | { readonly action: "create"; readonly options: TokensCreateOptions }
  | { readonly action: "list"; readonly json?: boolean }
  | { readonly action: "revoke"; readonly token: string };

const NAME = /^[\w.@:-]{1,64}$/;

export async function tokensCommand(
  request: TokensAction,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  now: () => Date = () => new Date(),
): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`heimdall-build tokens: ${message}\n`);
    return 2;
  };
  if (!env.DATABASE_URL) return fail("set DATABASE_URL to the server's PostgreSQL (see .env.example)");
  let create: {
    name: string;
    scopes: ReturnType<typeof parseScopes>;
    repositories: string[] | null;
    expiresAt: Date | null;
  } | null = null;
  if (request.action === "create") {
    const { options } = request;
    if (!NAME.test(options.name)) return fail(`--name: '${options.name}' is not 1-64 letters, digits or . _ @ : -`);
    try {
      create = {
        name: options.name,
        scopes: parseScopes(options.scopes),
        repositories: options.repo.length > 0 ? [...new Set(options.repo.map(parseRepository))] : null,
        expiresAt: parseExpiry(options.expires, now()),
      };
    } catch (error) {
      if (error instanceof TokenInputError) return fail(error.message);
      throw error;
    }
  }
  const { connect } = await import("../db/connect.ts");
  const { migrateToLatest } = await import("../db/migrate.ts");
  const tokens = await import("../db/tokens.ts");
  const db = connect(env.DATABASE_URL, { max: 1 });
  try {
    await migrateToLatest(db);
    if (create) {
      const minted = mintToken();
      const row = await tokens.insertToken(db, { ...create, prefix: minted.prefix, hash: minted.hash });
      if (request.action === "create" && request.options.json) {
        io.stdout(`${JSON.stringify({ ...describe(row), token: minted.token })}\n`);
      } else {
        io.stdout(`${minted.token}\n`);
        io.stderr(
          `heimdall-build tokens: token ${row.id} '${row.name}' (${row.scopes.join(", ")}; ${row.repositories?.join(", ") ?? "every repository"}; ${row.expires_at ? `expires ${row.expires_at.toISOString()}` : "never expires"}). It is shown this once: keep it now.\n`,
        );
      }
      return 0;
    }
    if (request.action === "list") {
      const rows = await tokens.listTokens(db);
      if (request.json) {
        io.stdout(`${JSON.stringify(rows.map(describe), null, 2)}\n`);
        return 0;
      }
      io.stdout(`${listText(rows, now())}\n`);
      return 0;
    }
    if (request.action === "revoke") {
      const revoked = await tokens.revokeTokens(db, request.token, now());
      if (revoked.length === 0) return fail(`no unrevoked token has the id or name '${request.token}'`);
      for (const row of revoked) io.stdout(`revoked token ${row.id} '${row.name}'\n`);
      return 0;
    }
    return 2;
  } finally {
    await db.destroy();
  }
}

function describe(row: ApiToken) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    repositories: row.repositories,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

function listText(rows: readonly ApiToken[], now: Date): string {
  if (rows.length === 0) return "no tokens (heimdall-build tokens create --name NAME --scopes builds:read)";
  const state = (row: ApiToken) =>
    row.revoked_at
      ? "revoked"
      : row.expires_at && row.expires_at <= now
        ? "expired"
        : row.expires_at
          ? `until ${row.expires_at.toISOString().slice(0, 10)}`
          : "no expiry";
  const lines = rows.map((row) =>
    [
      row.id,
      row.name,
      `${row.prefix}…`,
      row.scopes.join(","),
      row.repositories?.join(",") ?? "*",
      state(row),
      row.last_used_at ? `used ${row.last_used_at.toISOString().slice(0, 16)}Z` : "never used",
    ].join("  "),
  );
  return ["id  name  token  scopes  repositories  state  last use", ...lines].join("\n");
}
