/**
 * Tokens end to end: made by `heimdall-build tokens create` into the server's
 * database, then used against the real server: 401, 403 (scope, repository),
 * 429 (per token), expiry on the server's clock, revocation, and what
 * `tokens list` says (never the token).
 */
import { once } from "node:events";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokensCommand } from "../../src/cli/tokens-command.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";

let h: ApiHarness;
let now = new Date("2026-12-01T12:00:00Z");
let libBuild: string;
let otherBuild: string;

beforeAll(async () => {
  h = await startApiHarness({ now: () => now, rateLimit: { max: 5, windowMs: 60_000 } });
  if (!h.server.tokens.listening) await once(h.server.tokens, "listening");
  await seedRepositories(h.database.db);
  libBuild = (await seedBuild(h.database.db, { repositoryId: 100 })).id;
  otherBuild = (await seedBuild(h.database.db, { repositoryId: 101 })).id;
});
afterAll(async () => {
  await h?.close();
});

async function cli(args: Parameters<typeof tokensCommand>[0]) {
  let stdout = "";
  let stderr = "";
  const code = await tokensCommand(
    args,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: "/" },
    { DATABASE_URL: h.database.url },
    () => now,
  );
  return { code, stdout, stderr };
}

const create = async (name: string, scopes: string, repo: string[] = [], expires = "90d") => {
  const made = await cli({ action: "create", options: { name, scopes, repo, expires } });
  expect(made.code, made.stderr).toBe(0);
  return made.stdout.trim();
};

describe("tokens", () => {
  it("a created token is printed once and works; without one, or with a wrong one, the answer is 401", async () => {
    const token = await create("reader", "builds:read");
    expect(token).toMatch(/^hbt_[\w-]{43}$/);
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    const none = await h.api("GET", `/api/v1/builds/${libBuild}`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token: `${token.slice(0, -1)}x` })).status).toBe(401);
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token: "not-a-token" })).status).toBe(401);
    const listed = await cli({ action: "list", json: true });
    const rows = JSON.parse(listed.stdout) as { name: string; prefix: string; last_used_at: string | null }[];
    const reader = rows.find((r) => r.name === "reader");
    expect(reader?.last_used_at).toBe(now.toISOString());
    expect(listed.stdout).not.toContain(token);
    expect(token.startsWith(reader?.prefix ?? "?")).toBe(true);
  });

  it("403 for a scope the token lacks; builds:write and admin include reading", async () => {
    const configs = await create("configs", "configurations:write");
    const refused = await h.api("GET", `/api/v1/builds/${libBuild}`, { token: configs });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "forbidden", details: { required: "builds:read" } } });
    for (const scopes of ["builds:write", "admin"]) {
      const token = await create(`with-${scopes}`, scopes);
      expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    }
  });

  it("a token for some repositories sees only their builds: 403 for another's", async () => {
    const token = await create("lib-only", "builds:read", ["Octo/Lib"]);
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    const other = await h.api("GET", `/api/v1/builds/${otherBuild}`, { token });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: { code: "forbidden", details: { repository: "octo/other" } } });
    const listed = (await h.api("GET", "/api/v1/builds", { token })).body as { builds: { repository: string }[] };
    expect(new Set(listed.builds.map((b) => b.repository))).toEqual(new Set(["octo/lib"]));
    expect((await h.api("GET", "/api/v1/builds?repository=octo/other", { token })).status).toBe(403);
  });

  it("expires on the server's clock, and a revoked token is refused from then on", async () => {
    const token = await create("short", "builds:read", [], "2h");
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    now = new Date(now.getTime() + 2 * 3_600_000);
    const expired = await h.api("GET", `/api/v1/builds/${libBuild}`, { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: { message: "this token has expired" } });

    const revokable = await create("revokable", "builds:read", [], "never");
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token: revokable })).status).toBe(200);
    // The server keeps the token in memory; the revocation's notification makes it forget it.
    const forgotten = once(h.server.tokens, "forgot");
    expect((await cli({ action: "revoke", token: "revokable" })).stdout).toMatch(/revoked token \d+ 'revokable'/);
    const [forgottenId] = (await forgotten) as [string];
    const listed = JSON.parse((await cli({ action: "list", json: true })).stdout) as { id: string; name: string }[];
    expect(forgottenId).toBe(listed.find((t) => t.name === "revokable")?.id);
    const revoked = await h.api("GET", `/api/v1/builds/${libBuild}`, { token: revokable });
    expect(revoked.body).toMatchObject({ error: { code: "unauthorized", message: "this token was revoked" } });
    expect((await cli({ action: "revoke", token: "revokable" })).code).toBe(2);
  });

  it("a token is kept in memory 30 s at most: revoked behind the server's back, it is refused once that passes", async () => {
    const token = await create("kept", "builds:read", [], "never");
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    // No notification: as if it were lost on its way.
    await sql`UPDATE api_tokens SET revoked_at = now() WHERE name = 'kept'`.execute(h.database.db);
    now = new Date(now.getTime() + 29_000);
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token })).status).toBe(200);
    now = new Date(now.getTime() + 1_000);
    const refused = await h.api("GET", `/api/v1/builds/${libBuild}`, { token });
    expect(refused.body).toMatchObject({ error: { code: "unauthorized", message: "this token was revoked" } });
  });

  it("429 past the per-token limit, with when to try again; another token is not slowed", async () => {
    const busy = await create("busy", "builds:read");
    const calm = await create("calm", "builds:read");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await h.api("GET", `/api/v1/builds/${libBuild}`, { token: busy })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await h.api("GET", `/api/v1/builds/${libBuild}`, { token: busy });
    expect(limited.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await h.api("GET", `/api/v1/builds/${libBuild}`, { token: calm })).status).toBe(200);
    // Refusals before the token is known count against nobody.
    for (let i = 0; i < 6; i++) expect((await h.api("GET", `/api/v1/builds/${libBuild}`)).status).toBe(401);
  });

  it("refuses bad input to `tokens create`, saying which flag", async () => {
    const bad = async (options: Partial<{ name: string; scopes: string; repo: string[]; expires: string }>) =>
      cli({ action: "create", options: { name: "x", scopes: "builds:read", repo: [], expires: "90d", ...options } });
    expect((await bad({ scopes: "builds:delete" })).stderr).toContain("--scopes: 'builds:delete' is not a scope");
    expect((await bad({ repo: ["nope"] })).stderr).toContain("--repo: 'nope' is not owner/name");
    expect((await bad({ expires: "soon" })).stderr).toContain("--expires: 'soon' is not a duration");
    expect((await bad({ name: "a b" })).code).toBe(2);
    const noDb = await tokensCommand({ action: "list" }, { stdout: () => {}, stderr: () => {}, cwd: "/" }, {});
    expect(noDb).toBe(2);
  });
});
