/**
 * The dashboard's sign-in with GitHub against the real server: the OAuth web
 * flow (GitHub's authorization page and code exchange at its web origin,
 * mocked with nock; its API through the validated fake), the session cookie's
 * attributes, what a user sees (the repositories GitHub lists for them) and
 * may change (write access), CSRF on changes, expiry on the server's clock,
 * sign-out; and HEIMDALL_DASHBOARD_AUTH=none, refused off loopback.
 */
import { randomBytes } from "node:crypto";
import nock from "nock";
import pino from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DashboardAuthSettingsError, dashboardAuthSettingsOf, safeReturn } from "../../src/api/dashboard-auth.ts";
import { WriterOctokit } from "../../src/github/octokit.ts";
import { startServer } from "../../src/server.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL } from "../support/app-harness.ts";
import { type FakeGitHub, fakeGitHub, testPrivateKey } from "../support/github.ts";

const WEB = "https://github.example";
const API = `${WEB}/api/v3`;
const CLIENT = { id: "Iv1.dashboard", secret: "the-client-secret" };

let h: ApiHarness;
let github: FakeGitHub;
let now = new Date("2026-12-01T12:00:00Z");
let libBuild: string;
let otherBuild: string;

beforeAll(async () => {
  github = fakeGitHub(API);
  github.reply("GET", "/app", () => ({ body: { id: 1, slug: "heimdall-build" } }));
  h = await startApiHarness({
    baseUrl: API,
    githubUrl: WEB,
    now: () => now,
    dashboardAuth: { mode: "github", clientId: CLIENT.id, clientSecret: CLIENT.secret, admins: ["boss"] },
  });
  await seedRepositories(h.database.db);
  libBuild = (await seedBuild(h.database.db, { repositoryId: 100, outcomes: ["in_progress", "queued"] })).id;
  otherBuild = (await seedBuild(h.database.db, { repositoryId: 101, outcomes: ["in_progress", "queued"] })).id;
});

afterAll(async () => {
  await h?.close();
  github?.cleanup();
  nock.cleanAll();
});

/** GitHub's side of one sign-in: the code exchanged for a user token, then who the user is and what they reach. */
function githubSignsIn(login: string, repositories: { full_name: string; push: boolean }[]) {
  const code = `code-${randomBytes(4).toString("hex")}`;
  const token = `ghu_${randomBytes(8).toString("hex")}`;
  let exchanged: Record<string, string> | undefined;
  nock(WEB)
    .post("/login/oauth/access_token")
    // nock 15 calls a one-argument reply function with the fetch Request.
    .reply(async (request: Request) => {
      exchanged = (await request.json()) as Record<string, string>;
      const body =
        exchanged.code === code
          ? { access_token: token, token_type: "bearer", scope: "", expires_in: 28800 }
          : { error: "bad_verification_code" };
      return [200, JSON.stringify(body), { "content-type": "application/json" }];
    });
  const authorized = (request: { headers: Readonly<Record<string, string>> }) =>
    request.headers.authorization === `token ${token}`;
  github.reply("GET", "/user", (request) =>
    authorized(request) ? { body: { id: 77, login, name: `${login} person`, avatar_url: "" } } : { status: 401 },
  );
  github.reply("GET", "/user/installations", (request) =>
    authorized(request) ? { body: { total_count: 1, installations: [{ id: 7 }] } } : { status: 401 },
  );
  github.reply("GET", "/user/installations/{installation_id}/repositories", (request) =>
    authorized(request) && request.params.installation_id === "7"
      ? {
          body: {
            total_count: repositories.length,
            repositories: repositories.map((r) => ({
              full_name: r.full_name,
              permissions: { pull: true, push: r.push, admin: false },
            })),
          },
        }
      : { status: 401 },
  );
  return { code, exchangedBody: () => exchanged };
}

function cookiesOf(response: Response): Record<string, string> {
  return Object.fromEntries(
    response.headers.getSetCookie().map((line) => {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      return [pair.slice(0, at), line];
    }),
  );
}

const cookieValue = (line: string | undefined) => line?.split(";")[0]?.split("=").slice(1).join("=") ?? "";

/** The whole web flow as a browser goes through it; the session cookie and its CSRF token. */
async function signIn(login: string, repositories: { full_name: string; push: boolean }[]) {
  const flow = githubSignsIn(login, repositories);
  const start = await fetch(
    `${h.server.url}/auth/github/login?return_to=${encodeURIComponent("/builds?branch=main")}`,
    {
      redirect: "manual",
    },
  );
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location") ?? "");
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${WEB}/login/oauth/authorize`);
  expect(authorize.searchParams.get("client_id")).toBe(CLIENT.id);
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${h.server.url}/auth/github/callback`);
  const stateCookie = cookiesOf(start).heimdall_oauth_state ?? "";
  expect(stateCookie).toMatch(/HttpOnly/);
  expect(stateCookie).toMatch(/Secure/);
  expect(stateCookie).toMatch(/SameSite=Lax/);
  const state = authorize.searchParams.get("state") ?? "";
  const back = await fetch(`${h.server.url}/auth/github/callback?code=${flow.code}&state=${state}`, {
    redirect: "manual",
    headers: { cookie: `heimdall_oauth_state=${cookieValue(stateCookie)}` },
  });
  expect(back.status, await back.clone().text()).toBe(302);
  expect(back.headers.get("location")).toBe("/builds?branch=main");
  expect(flow.exchangedBody()).toMatchObject({ client_id: CLIENT.id, client_secret: CLIENT.secret, code: flow.code });
  const session = cookiesOf(back).heimdall_session ?? "";
  expect(session).toMatch(/HttpOnly/);
  expect(session).toMatch(/Secure/);
  expect(session).toMatch(/SameSite=Lax/);
  const cookie = `heimdall_session=${cookieValue(session)}`;
  const who = (await (await fetch(`${h.server.url}/auth/session`, { headers: { cookie } })).json()) as {
    user: { login: string; admin: boolean } | null;
    csrf_token: string;
  };
  return { cookie, csrf: who.csrf_token, user: who.user };
}

describe("sign-in with GitHub", () => {
  it("without a session: the API answers 401, and /auth/session says who may sign in", async () => {
    const session = await (await fetch(`${h.server.url}/auth/session`)).json();
    expect(session).toEqual({ mode: "github", sign_in: true, user: null, csrf_token: null });
    expect((await fetch(`${h.server.url}/api/v1/builds`)).status).toBe(401);
  });

  it("a callback whose state is not the one this browser was given is refused", async () => {
    const refused = await fetch(`${h.server.url}/auth/github/callback?code=x&state=forged`, {
      redirect: "manual",
      headers: {
        cookie: `heimdall_oauth_state=${encodeURIComponent(JSON.stringify({ state: "mine", returnTo: "/" }))}`,
      },
    });
    expect(refused.status).toBe(403);
    expect(cookiesOf(refused).heimdall_session).toBeUndefined();
  });

  it("a user sees the repositories GitHub lists for them, and changes only those they may push to, with the CSRF token", async () => {
    const { cookie, csrf, user } = await signIn("mona", [
      { full_name: "octo/lib", push: false },
      { full_name: "Octo/Other", push: true },
    ]);
    expect(user).toEqual({ login: "mona", name: "mona person", avatar_url: null, admin: false });
    const list = (await (await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie } })).json()) as {
      builds: { id: string }[];
    };
    expect(list.builds.map((b) => b.id).sort()).toEqual([libBuild, otherBuild].sort());

    const cancel = (id: string, headers: Record<string, string>) =>
      fetch(`${h.server.url}/api/v1/builds/${id}`, { method: "DELETE", headers: { cookie, ...headers } });
    const noToken = await cancel(otherBuild, {});
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({ error: { message: expect.stringContaining("CSRF") } });
    expect((await cancel(otherBuild, { "x-csrf-token": "x".repeat(csrf.length) })).status).toBe(403);
    const readOnly = await cancel(libBuild, { "x-csrf-token": csrf });
    expect(readOnly.status).toBe(403);
    expect(await readOnly.json()).toMatchObject({ error: { message: expect.stringContaining("write access") } });
    const cancelled = await cancel(otherBuild, { "x-csrf-token": csrf });
    expect(cancelled.status, await cancelled.clone().text()).toBe(202);
    const audit = await h.database.db.selectFrom("api_audit").selectAll().where("method", "=", "DELETE").execute();
    expect(audit.map((a) => [a.token_name, a.status])).toContainEqual(["mona", 202]);
  });

  it("a user GitHub lists nothing for sees nothing; an admin sees every repository", async () => {
    const nobody = await signIn("stranger", []);
    const none = (await (
      await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie: nobody.cookie } })
    ).json()) as {
      builds: unknown[];
    };
    expect(none.builds).toEqual([]);
    expect(
      (await fetch(`${h.server.url}/api/v1/builds/${libBuild}`, { headers: { cookie: nobody.cookie } })).status,
    ).toBe(403);
    const boss = await signIn("boss", []);
    expect(boss.user?.admin).toBe(true);
    const all = (await (await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie: boss.cookie } })).json()) as {
      builds: unknown[];
    };
    expect(all.builds).toHaveLength(2);
  });

  it("a session ends after 8 hours on the server's clock, and at sign-out", async () => {
    const { cookie, csrf } = await signIn("mona", [{ full_name: "octo/lib", push: false }]);
    now = new Date(now.getTime() + 8 * 3_600_000 - 1000);
    expect((await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie } })).status).toBe(200);
    now = new Date(now.getTime() + 1000);
    expect((await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie } })).status).toBe(401);

    const again = await signIn("mona", [{ full_name: "octo/lib", push: false }]);
    expect(
      (await fetch(`${h.server.url}/auth/logout`, { method: "POST", headers: { cookie: again.cookie } })).status,
    ).toBe(403);
    const out = await fetch(`${h.server.url}/auth/logout`, {
      method: "POST",
      headers: { cookie: again.cookie, "x-csrf-token": again.csrf },
    });
    expect(out.status).toBe(204);
    expect((await fetch(`${h.server.url}/api/v1/builds`, { headers: { cookie: again.cookie } })).status).toBe(401);
    expect(csrf).not.toBe(again.csrf);
  });
});

describe("after sign-in, back to a page of this site only", () => {
  it("a path of this site is kept; another origin, however written, is the home page", () => {
    expect(safeReturn("/builds/7/cells/x?attempt=2#b10")).toBe("/builds/7/cells/x?attempt=2#b10");
    for (const elsewhere of [
      "//evil.example",
      "https://evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "/\n/evil",
      "evil",
      "",
      undefined,
    ])
      expect(safeReturn(elsewhere)).toBe("/");
  });

  it("a code GitHub refuses is a 403 that says so, and no session", async () => {
    nock(WEB)
      .post("/login/oauth/access_token")
      .reply(() => [
        200,
        JSON.stringify({
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
        }),
        { "content-type": "application/json" },
      ]);
    const start = await fetch(`${h.server.url}/auth/github/login`, { redirect: "manual" });
    const state = new URL(start.headers.get("location") ?? "").searchParams.get("state");
    const stateCookie = cookiesOf(start).heimdall_oauth_state ?? "";
    const back = await fetch(`${h.server.url}/auth/github/callback?code=stale&state=${state}`, {
      redirect: "manual",
      headers: { cookie: `heimdall_oauth_state=${cookieValue(stateCookie)}` },
    });
    expect(back.status).toBe(403);
    expect(await back.json()).toMatchObject({
      error: { message: "GitHub did not accept this sign-in: start it again" },
    });
    expect(cookiesOf(back).heimdall_session).toBeUndefined();
  });

  it("a server without the app's OAuth client says how to set it up", async () => {
    const bare = await startApiHarness({ dashboardDir: null });
    try {
      for (const path of ["/auth/github/login", "/auth/github/callback?code=x&state=y"]) {
        const answer = await fetch(bare.server.url + path, { redirect: "manual" });
        expect(answer.status, path).toBe(503);
        expect(await answer.json()).toMatchObject({ error: { message: expect.stringContaining("GITHUB_CLIENT_ID") } });
      }
      expect(await (await fetch(`${bare.server.url}/auth/session`)).json()).toMatchObject({
        sign_in: false,
        user: null,
      });
    } finally {
      await bare.close();
    }
  });
});

describe("the settings from the environment", () => {
  it("HEIMDALL_ADMINS: comma-separated logins (spaces and empty parts ignored); github is the default mode", () => {
    expect(
      dashboardAuthSettingsOf({
        HEIMDALL_ADMINS: " boss, ops-team ,",
        GITHUB_CLIENT_ID: "Iv1.x",
        GITHUB_CLIENT_SECRET: "y",
      }),
    ).toEqual({ mode: "github", clientId: "Iv1.x", clientSecret: "y", admins: ["boss", "ops-team"] });
    expect(dashboardAuthSettingsOf({ HEIMDALL_DASHBOARD_AUTH: "none" }).mode).toBe("none");
  });
});

describe("HEIMDALL_DASHBOARD_AUTH=none", () => {
  it("is refused unless the server listens on loopback", async () => {
    const probot = new Probot({
      appId: 1,
      privateKey: testPrivateKey(),
      secret: "s",
      log: pino({ level: "silent" }),
      Octokit: WriterOctokit,
    });
    await expect(
      startServer({
        probot,
        databaseUrl: h.database.url,
        redisUrl: REDIS_URL,
        host: "0.0.0.0",
        port: 0,
        dashboardAuth: { mode: "none" },
      }),
    ).rejects.toBeInstanceOf(DashboardAuthSettingsError);
  });

  it("on loopback: the local user without a token, but only by a loopback name (no DNS rebinding)", async () => {
    const local = await startApiHarness({ dashboardAuth: { mode: "none" }, dashboardDir: null });
    try {
      const port = new URL(local.server.url).port;
      expect((await fetch(`${local.server.url}/api/v1/builds`)).status).toBe(200);
      const session = (await (await fetch(`${local.server.url}/auth/session`)).json()) as { user: { login: string } };
      expect(session.user.login).toBe("local");
      const { request } = await import("node:http");
      const rebound = await new Promise<number>((resolve, reject) => {
        request(`${local.server.url}/api/v1/builds`, { headers: { host: `attacker.example:${port}` } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
      expect(rebound).toBe(401);
      // A change still needs the CSRF token: a page elsewhere can post a form to 127.0.0.1.
      expect((await fetch(`${local.server.url}/api/v1/builds/1/rerun`, { method: "POST" })).status).toBe(403);
    } finally {
      await local.close();
    }
  });
});
