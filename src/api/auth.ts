/**
 * Who calls: `Authorization: Bearer hbt_…` looked up by its hash. A route
 * says what it needs in its `config.scope`; a missing or unknown, expired or
 * revoked token is 401, a token without the scope 403. A token limited to
 * some repositories gets 403 for another's build (`allowRepository`), and its
 * lists hold only its own (`repositoryFilter`).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Db } from "../db/connect.ts";
import type { ApiScope } from "../db/schema.ts";
import { tokenByHash, touchToken } from "../db/tokens.ts";
import type { DashboardAuth } from "./dashboard-auth.ts";
import { ApiError } from "./errors.ts";
import type { TokenCache } from "./token-cache.ts";
import { grants, hashToken, looksLikeToken } from "./tokens.ts";

export interface Principal {
  /** An API token, or a person using the dashboard (its session). */
  readonly kind: "token" | "user";
  /** The token's id; null for a dashboard user. */
  readonly tokenId: string | null;
  /** The token's name, or the user's GitHub login: who asked for or cancelled a build, in the audit. */
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  /** owner/name in lower case; null: every repository. */
  readonly repositories: readonly string[] | null;
  /** The repositories it may change (re-run, cancel, start builds of); null: all it may see. */
  readonly writable: readonly string[] | null;
  /** Whose calls the rate limit counts together. */
  readonly rateKey: string;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; absent: the route is public (the OpenAPI document, signed links). */
    scope?: ApiScope;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

async function sessionPrincipal(dashboard: DashboardAuth, request: FastifyRequest) {
  try {
    return await dashboard.principalOf(request);
  } catch (error) {
    throw new ApiError(
      "unavailable",
      "PostgreSQL does not answer: the session cannot be checked now; try again",
      { cause: error instanceof Error ? error.message : String(error) },
      { "retry-after": "5" },
    );
  }
}

export interface AuthOptions {
  readonly db: Db;
  /** The dashboard's sessions: a call without a token may come from a signed-in person. */
  readonly dashboard?: DashboardAuth | null | undefined;
  readonly now: () => Date;
  /** Tokens kept in memory while revocations are heard; without it every call reads its token. */
  readonly tokens?: TokenCache | undefined;
}

/** Adds the principal to every request and checks the route's scope before anything else runs. */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const session =
      request.headers.authorization === undefined && options.dashboard
        ? await sessionPrincipal(options.dashboard, request)
        : null;
    if (session && !SAFE_METHODS.has(request.method)) options.dashboard?.checkCsrf(request, session.csrfToken);
    const principal = session?.principal ?? (await authenticate(options, request.headers.authorization));
    request.principal = principal;
    if (!grants(principal.scopes, scope))
      throw new ApiError("forbidden", `this token lacks the scope ${scope}`, { required: scope });
  });
}

async function authenticate(options: AuthOptions, header: string | undefined): Promise<Principal> {
  const found = await principalFor(options, header);
  if (typeof found === "string")
    throw new ApiError("unauthorized", found, undefined, { "www-authenticate": 'Bearer realm="heimdall-build"' });
  return found;
}

/** The token's principal, or why there is none (the 401's message). */
export async function principalFor(options: AuthOptions, header: string | undefined): Promise<Principal | string> {
  const bearer = header ? BEARER.exec(header)?.[1] : undefined;
  if (!bearer) return "send a token: Authorization: Bearer <token>";
  let row: Awaited<ReturnType<typeof tokenByHash>>;
  const hash = looksLikeToken(bearer) ? hashToken(bearer) : undefined;
  try {
    if (hash) row = options.tokens ? await options.tokens.get(hash) : await tokenByHash(options.db, hash);
  } catch (error) {
    // Not the caller's fault, and not for ever: 503 with when to try again, not a 500.
    throw new ApiError(
      "unavailable",
      "PostgreSQL does not answer: the token cannot be checked now; try again",
      {
        cause: error instanceof Error ? error.message : String(error),
      },
      { "retry-after": "5" },
    );
  }
  const now = options.now();
  if (!row) return "this token is not known";
  if (row.revoked_at) return "this token was revoked";
  if (row.expires_at && row.expires_at <= now) return "this token has expired";
  // Its last use for `tokens list`, written once a minute at most (the row read says whether it is due):
  // a failure to note it refuses nothing.
  if (hash && (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= 60_000)) {
    await touchToken(options.db, row.id, now).catch(() => undefined);
    options.tokens?.touched(hash, now);
  }
  return {
    kind: "token",
    tokenId: row.id,
    name: row.name,
    scopes: row.scopes,
    repositories: row.repositories,
    writable: null,
    rateKey: `token-${row.id}`,
  };
}

/**
 * 403 unless the request's token or user may see this repository (owner/name),
 * or with `write`, change its builds (a user needs push access on GitHub).
 */
export function allowRepository(request: FastifyRequest, fullName: string, access: "read" | "write" = "read"): void {
  const principal = request.principal;
  const name = fullName.toLowerCase();
  const who = principal?.kind === "user" ? `${principal.name} may not see` : "this token is not allowed on";
  if (principal?.repositories && !principal.repositories.includes(name))
    throw new ApiError("forbidden", `${who} ${fullName}`, { repository: fullName });
  if (access === "write" && principal?.writable && !principal.writable.includes(name))
    throw new ApiError(
      "forbidden",
      `${principal.name} may not change builds of ${fullName}: that needs write access on GitHub`,
      {
        repository: fullName,
      },
    );
}

/** The repositories a list may show: null for all. */
export function repositoryFilter(request: FastifyRequest): readonly string[] | null {
  return request.principal?.repositories ?? null;
}
