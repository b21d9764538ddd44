/**
 * Who uses the dashboard: a person signed in with GitHub (the app's OAuth web
 * flow), or, for a single-user install on loopback, nobody in particular
 * (`HEIMDALL_DASHBOARD_AUTH=none`). A signed-in person's session is an
 * httpOnly, Secure, SameSite=Lax cookie; every call that changes something
 * carries the session's CSRF token in `x-csrf-token`. The routes under /auth:
 *
 *   GET  /auth/session          who is signed in, the mode, the CSRF token
 *   GET  /auth/github/login     to GitHub's authorization page (state in a cookie)
 *   GET  /auth/github/callback  the code exchanged, access read, the session made
 *   POST /auth/logout           the session ended
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import { request as octokitRequest } from "@octokit/request";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Db } from "../db/connect.ts";
import { deleteSession, insertSession, liveSession } from "../db/dashboard-sessions.ts";
import type { RepositoryAccess } from "../db/schema.ts";
import { userAccess } from "../github/user-access.ts";
import type { Principal } from "./auth.ts";
import { ApiError } from "./errors.ts";

export type DashboardAuthMode = "github" | "none";

export interface DashboardAuthSettings {
  readonly mode: DashboardAuthMode;
  /** The GitHub App's OAuth client (GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET); without them nobody can sign in. */
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  /** GitHub logins that administer the farm (HEIMDALL_ADMINS): every repository, tokens, stored configurations. */
  readonly admins?: readonly string[];
  /** How long a session lasts (8 h: a GitHub App's user token's life). */
  readonly sessionMs?: number;
}

export interface DashboardAuthDeps {
  readonly db: Db;
  readonly now: () => Date;
  /** Where GitHub's pages are (its OAuth pages too) and its API. */
  readonly githubUrl: string;
  readonly apiUrl: string;
  /** PUBLIC_URL: the callback GitHub sends people back to; without it, the request's own origin. */
  readonly publicUrl: string | null;
}

/** A principal from the dashboard's session, and the CSRF token its changes must carry. */
export interface SessionPrincipal {
  readonly principal: Principal;
  readonly csrfToken: string;
}

export const SESSION_COOKIE = "heimdall_session";
const STATE_COOKIE = "heimdall_oauth_state";
const LOCAL_USER = "local";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const secret = () => randomBytes(32).toString("base64url");

export class DashboardAuth {
  readonly #settings: DashboardAuthSettings;
  readonly #deps: DashboardAuthDeps;
  /** With mode none: one token for the one user, for as long as the process lives. */
  readonly #localCsrf = secret();

  constructor(settings: DashboardAuthSettings, deps: DashboardAuthDeps) {
    this.#settings = settings;
    this.#deps = deps;
  }

  get mode(): DashboardAuthMode {
    return this.#settings.mode;
  }

  /** The session's principal, or null without one (or with an expired one). */
  async principalOf(request: FastifyRequest): Promise<SessionPrincipal | null> {
    if (this.#settings.mode === "none") {
      if (!loopbackHost(request.headers.host)) return null;
      return {
        principal: {
          kind: "user",
          tokenId: null,
          name: LOCAL_USER,
          scopes: ["admin"],
          repositories: null,
          writable: null,
          rateKey: `user-${LOCAL_USER}`,
        },
        csrfToken: this.#localCsrf,
      };
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return null;
    const session = await liveSession(this.#deps.db, sha256(cookie), this.#deps.now());
    if (!session) return null;
    const all = Object.entries(session.repositories);
    return {
      principal: {
        kind: "user",
        tokenId: null,
        name: session.login,
        scopes: session.admin ? ["admin"] : ["builds:write"],
        repositories: session.admin ? null : all.map(([name]) => name),
        writable: session.admin ? null : all.filter(([, access]) => access === "write").map(([name]) => name),
        rateKey: `user-${session.login}`,
      },
      csrfToken: session.csrf_token,
    };
  }

  /** 403 unless a change made with the session's cookie carries its CSRF token. */
  checkCsrf(request: FastifyRequest, expected: string): void {
    const sent = request.headers["x-csrf-token"];
    const given = Buffer.from(typeof sent === "string" ? sent : "");
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      throw new ApiError("forbidden", "a change from the dashboard must carry its CSRF token (x-csrf-token)");
  }

  async register(app: FastifyInstance): Promise<void> {
    await app.register(fastifyCookie);
    app.get("/auth/session", { schema: { hide: true } }, async (request, reply) => {
      const found = await this.principalOf(request);
      const session = found?.principal;
      let user: object | null = null;
      if (session && this.#settings.mode === "none")
        user = { login: LOCAL_USER, name: "Local user", avatar_url: null, admin: true };
      else if (session) {
        const row = await liveSession(this.#deps.db, sha256(request.cookies[SESSION_COOKIE] ?? ""), this.#deps.now());
        if (row) user = { login: row.login, name: row.name, avatar_url: row.avatar_url, admin: row.admin };
      }
      return reply.header("cache-control", "no-store").send({
        mode: this.#settings.mode,
        sign_in: this.#settings.mode === "none" || Boolean(this.#settings.clientId && this.#settings.clientSecret),
        user,
        csrf_token: user ? (found?.csrfToken ?? null) : null,
      });
    });

    app.get(
      "/auth/github/login",
      { schema: { hide: true, querystring: z.object({ return_to: z.string().max(2000).optional() }) } },
      async (request, reply) => {
        const clientId = this.#oauthClient().clientId;
        const { return_to: returnTo } = request.query as { return_to?: string };
        const state = secret();
        const { url } = getWebFlowAuthorizationUrl({
          clientType: "github-app",
          clientId,
          state,
          redirectUrl: this.#callbackUrl(request),
          request: octokitRequest.defaults({ baseUrl: this.#deps.apiUrl }),
        });
        reply.setCookie(STATE_COOKIE, JSON.stringify({ state, returnTo: safeReturn(returnTo) }), {
          path: "/auth/github",
          httpOnly: true,
          secure: true,
          sameSite: "lax",
          maxAge: 600,
        });
        return reply.redirect(url, 302);
      },
    );

    app.get(
      "/auth/github/callback",
      {
        schema: {
          hide: true,
          querystring: z.object({
            code: z.string().max(200).optional(),
            state: z.string().max(200).optional(),
            error: z.string().max(200).optional(),
          }),
        },
      },
      async (request, reply) => {
        const query = request.query as { code?: string; state?: string; error?: string };
        const { clientId, clientSecret } = this.#oauthClient();
        const kept = parseState(request.cookies[STATE_COOKIE]);
        reply.clearCookie(STATE_COOKIE, { path: "/auth/github" });
        if (query.error) throw new ApiError("forbidden", `GitHub did not sign you in: ${query.error}`);
        if (!kept || !query.state || kept.state !== query.state || !query.code)
          throw new ApiError(
            "forbidden",
            "this sign-in was not started here, or took longer than 10 minutes: start it again",
          );
        let userToken: string;
        try {
          const exchanged = await exchangeWebFlowCode({
            clientType: "github-app",
            clientId,
            clientSecret,
            code: query.code,
            redirectUrl: this.#callbackUrl(request),
            request: octokitRequest.defaults({ baseUrl: this.#deps.apiUrl }),
          });
          userToken = exchanged.authentication.token;
        } catch (error) {
          // A code used twice, expired or forged: GitHub's refusal, not the server's failure.
          throw new ApiError("forbidden", "GitHub did not accept this sign-in: start it again", {
            cause: error instanceof Error ? error.message : String(error),
          });
        }
        let access: Awaited<ReturnType<typeof userAccess>>;
        try {
          access = await userAccess(this.#deps.apiUrl, userToken);
        } catch (error) {
          throw new ApiError(
            "unavailable",
            "GitHub does not say now which repositories you can read: try signing in again",
            { cause: error instanceof Error ? error.message : String(error) },
            { "retry-after": "30" },
          );
        }
        const cookie = secret();
        const now = this.#deps.now();
        const sessionMs = this.#settings.sessionMs ?? 8 * 3_600_000;
        const admins = new Set((this.#settings.admins ?? []).map((login) => login.toLowerCase()));
        await insertSession(this.#deps.db, {
          hash: sha256(cookie),
          login: access.user.login,
          userId: access.user.id,
          name: access.user.name,
          avatarUrl: access.user.avatarUrl,
          admin: admins.has(access.user.login.toLowerCase()),
          repositories: access.repositories as Record<string, RepositoryAccess>,
          csrfToken: secret(),
          createdAt: now,
          expiresAt: new Date(now.getTime() + sessionMs),
        });
        reply.setCookie(SESSION_COOKIE, cookie, {
          path: "/",
          httpOnly: true,
          secure: true,
          sameSite: "lax",
          maxAge: Math.floor(sessionMs / 1000),
        });
        return reply.redirect(kept.returnTo, 302);
      },
    );

    app.post("/auth/logout", { schema: { hide: true } }, async (request, reply) => {
      const found = await this.principalOf(request);
      if (found && this.#settings.mode === "github") {
        this.checkCsrf(request, found.csrfToken);
        await deleteSession(this.#deps.db, sha256(request.cookies[SESSION_COOKIE] ?? ""), this.#deps.now());
      }
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.code(204).send();
    });
  }

  /** The app's OAuth client; 503 when this server has none (or signs nobody in). */
  #oauthClient(): { clientId: string; clientSecret: string } {
    const { mode, clientId, clientSecret } = this.#settings;
    if (mode !== "github" || !clientId || !clientSecret)
      throw new ApiError(
        "unavailable",
        "sign-in with GitHub is not set up on this server: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET",
      );
    return { clientId, clientSecret };
  }

  #callbackUrl(request: FastifyRequest): string {
    const base = this.#deps.publicUrl ?? `${request.protocol}://${request.headers.host ?? "localhost"}`;
    return `${base.replace(/\/$/, "")}/auth/github/callback`;
  }
}

/**
 * A page of this site only: never another origin (`//evil`, `https://…`,
 * `/\\evil`, nor `/<tab>/evil`, which browsers read as `//evil` once they drop
 * the tab): a path of printable ASCII that does not start with two slashes.
 */
export function safeReturn(returnTo: string | undefined): string {
  if (!returnTo || !/^\/(?![/\\])[\x21-\x7e]*$/.test(returnTo) || returnTo.includes("\\")) return "/";
  return returnTo;
}

function parseState(text: string | undefined): { state: string; returnTo: string } | null {
  if (!text) return null;
  try {
    const parsed = z.object({ state: z.string(), returnTo: z.string() }).parse(JSON.parse(text));
    return { state: parsed.state, returnTo: safeReturn(parsed.returnTo) };
  } catch {
    return null;
  }
}

/**
 * With no sign-in, only a loopback name may reach the server: a page elsewhere
 * that points a name of its own at 127.0.0.1 (DNS rebinding) is not served.
 */
export function loopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "[::1]" || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * The dashboard's sign-in from the server's environment: HEIMDALL_DASHBOARD_AUTH
 * (`github`, the default, or `none`), GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET
 * (the app's OAuth client), HEIMDALL_ADMINS (comma-separated GitHub logins).
 */
export function dashboardAuthSettingsOf(env: Readonly<Record<string, string | undefined>>): DashboardAuthSettings {
  const mode = env.HEIMDALL_DASHBOARD_AUTH?.trim() || "github";
  if (mode !== "github" && mode !== "none")
    throw new DashboardAuthSettingsError(`HEIMDALL_DASHBOARD_AUTH is github or none, not '${mode}'`);
  const admins = (env.HEIMDALL_ADMINS ?? "")
    .split(",")
    .map((login) => login.trim())
    .filter(Boolean);
  const bad = admins.find((login) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(login));
  if (bad) throw new DashboardAuthSettingsError(`HEIMDALL_ADMINS holds GitHub logins, and '${bad}' is not one`);
  return {
    mode,
    clientId: env.GITHUB_CLIENT_ID?.trim() || undefined,
    clientSecret: env.GITHUB_CLIENT_SECRET?.trim() || undefined,
    admins,
  };
}

/** The server's settings for the dashboard's sign-in cannot be used as they are. */
export class DashboardAuthSettingsError extends Error {
  override readonly name = "DashboardAuthSettingsError";
}

/** HEIMDALL_DASHBOARD_AUTH=none is refused unless the server listens on loopback only. */
export function loopbackListen(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
