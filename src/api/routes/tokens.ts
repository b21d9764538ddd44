/**
 * /tokens (admin): the API's tokens made, listed and revoked from the API (the
 * dashboard's Tokens page), as `heimdall-build tokens` does from a shell. A new
 * token is in the 201 once; a revoked one is refused by every server from its
 * next call (tokens.ts's NOTIFY).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiToken } from "../../db/schema.ts";
import { insertToken, listTokens, revokeTokens } from "../../db/tokens.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import { NewToken, NewTokenRequest, TokenInfo, TokenList } from "../schemas/tokens.ts";
import { mintToken, parseExpiry } from "../tokens.ts";
import type { V1Deps } from "../v1.ts";

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function info(row: ApiToken): z.infer<typeof TokenInfo> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: [...row.scopes],
    repositories: row.repositories ? [...row.repositories] : null,
    created_at: row.created_at.toISOString(),
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
  };
}

export function tokenRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    const admin = { config: { scope: "admin" as const } };
    app.get(
      "/tokens",
      {
        ...admin,
        schema: {
          tags: ["tokens"],
          summary: "Every token, oldest first (never the token itself)",
          response: { 200: TokenList },
        },
      },
      async () => ({ tokens: (await listTokens(deps.db)).map(info) }),
    );

    app.post(
      "/tokens",
      {
        ...admin,
        schema: {
          tags: ["tokens"],
          summary: "Make a token: the answer holds it, this once",
          body: NewTokenRequest,
          response: { 201: NewToken },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const minted = mintToken();
        const row = await insertToken(deps.db, {
          name: body.name,
          prefix: minted.prefix,
          hash: minted.hash,
          scopes: [...new Set(body.scopes)],
          repositories: body.repositories ? [...new Set(body.repositories.map((r) => r.toLowerCase()))] : null,
          expiresAt: parseExpiry(body.expires, deps.now()),
        });
        return reply.code(201).send({ ...info(row), token: minted.token });
      },
    );

    app.delete(
      "/tokens/:id",
      {
        ...admin,
        schema: {
          tags: ["tokens"],
          summary: "Revoke a token: refused by every server from its next call",
          params: z.object({ id: z.string().regex(/^\d{1,18}$/) }),
          response: { 200: TokenInfo, 404: ErrorBody },
        },
      },
      async (request) => {
        const [revoked] = await revokeTokens(deps.db, request.params.id, deps.now());
        // This server forgets it now; the others when the revocation's notification reaches them.
        if (revoked) deps.tokens?.forget(revoked.id);
        if (revoked) return info(revoked);
        const known = (await listTokens(deps.db)).find((t) => t.id === request.params.id);
        if (!known) throw new ApiError("not_found", `no token ${request.params.id}`);
        return info(known);
      },
    );
  };
}
