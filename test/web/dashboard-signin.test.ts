/**
 * Signing in to the dashboard with GitHub in Debian's Chromium: GitHub's
 * authorization page answered by the test (the browser's request intercepted),
 * the code exchange mocked with nock, GitHub's API through the validated fake.
 * A push makes check runs; a cell's "Details" link lands, once signed in, on
 * that build with that cell selected; a person GitHub lists no repository for
 * sees no build.
 */
import { randomBytes } from "node:crypto";
import nock from "nock";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.ts";
import {
  FOUR_CELLS_CONFIG,
  OWNER,
  pushPayload,
  REPO,
  SECRET,
  sha,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { accessibilityViolations, launchBrowser, screenshot } from "../support/browser.ts";
import { type FakeGitHub, fakeGitHub, sendWebhook } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

const WEB = "https://github.example";
const API = `${WEB}/api/v3`;
const CLIENT = { id: "Iv1.dashboard", secret: "the-client-secret" };

let database: TestDatabase;
let server: RunningServer;
let github: FakeGitHub;
let browser: Browser;
const head = sha(41);

beforeAll(async () => {
  database = await freshDatabase(false);
  github = fakeGitHub(API).onCreateCheckRun().onUpdateCheckRun();
  github.reply("GET", "/app", () => ({ body: { id: 1, slug: "heimdall-build" } }));
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FOUR_CELLS_CONFIG);
  server = await startTestServer({
    databaseUrl: database.url,
    prefix: `heimdall-signin-${randomBytes(4).toString("hex")}`,
    baseUrl: API,
    githubUrl: WEB,
    publicUrl: "https://ci.example.com",
    dashboardAuth: { mode: "github", clientId: CLIENT.id, clientSecret: CLIENT.secret },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await database?.drop();
  github?.assertAllValid();
  github?.cleanup();
  nock.cleanAll();
});

/** A browser in which GitHub signs `login` in, GitHub listing these repositories for them. */
async function signedInAs(login: string, repositories: string[]): Promise<BrowserContext> {
  const code = `code-${randomBytes(4).toString("hex")}`;
  const token = `ghu_${randomBytes(8).toString("hex")}`;
  nock(WEB)
    .post("/login/oauth/access_token")
    .reply(async (request: Request) => {
      const body = (await request.json()) as { code: string; client_secret: string };
      const ok = body.code === code && body.client_secret === CLIENT.secret;
      return [
        200,
        JSON.stringify(
          ok ? { access_token: token, token_type: "bearer", scope: "" } : { error: "bad_verification_code" },
        ),
        { "content-type": "application/json" },
      ];
    });
  const mine = (request: { headers: Readonly<Record<string, string>> }) =>
    request.headers.authorization === `token ${token}`;
  github.reply("GET", "/user", (r) =>
    mine(r) ? { body: { id: 9, login, name: null, avatar_url: "" } } : { status: -1 },
  );
  github.reply("GET", "/user/installations", (r) =>
    mine(r) ? { body: { total_count: 1, installations: [{ id: 4242 }] } } : { status: -1 },
  );
  github.reply("GET", "/user/installations/{installation_id}/repositories", (r) =>
    mine(r)
      ? {
          body: {
            total_count: repositories.length,
            repositories: repositories.map((full_name) => ({ full_name, permissions: { pull: true, push: true } })),
          },
        }
      : { status: -1 },
  );
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // GitHub's authorization page: the person agrees at once, GitHub sends the browser back with a code.
  await context.route(`${WEB}/login/oauth/authorize**`, async (route) => {
    const asked = new URL(route.request().url());
    const back = new URL(asked.searchParams.get("redirect_uri") ?? "");
    back.searchParams.set("code", code);
    back.searchParams.set("state", asked.searchParams.get("state") ?? "");
    // The server's public URL is not this test's address: the browser comes back to the server it left.
    await route.fulfill({ status: 302, headers: { location: `${server.url}${back.pathname}${back.search}` } });
  });
  return context;
}

describe("sign-in with GitHub, in the browser", () => {
  it("a cell's Details link: sign in, then that build with that cell selected", async () => {
    expect(
      await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, "push", pushPayload(head) as never),
    ).toBeLessThan(300);
    const runs = await until("the cells' check runs", () => {
      const found = [...github.checkRuns().values()].filter(
        (r) => r.head_sha === head && r.name.startsWith("linux / gcc-12 / c++17"),
      );
      return found.length > 0 && found[0]?.details_url ? found : undefined;
    });
    const details = new URL(runs[0]?.details_url ?? "");
    expect(details.origin).toBe("https://ci.example.com");
    expect(details.pathname).toMatch(/^\/builds\/\d+\/cells\/linux-gcc-12-cxx17-release$/);

    const context = await signedInAs("mona", [`${OWNER}/${REPO}`]);
    const page = await context.newPage();
    await page.goto(`${server.url}${details.pathname}`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "sign-in");
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${server.url}${details.pathname}`);
    await expect(page.getByLabel("Signed in as").textContent()).resolves.toBe("mona");
    const selected = page.locator('a[data-cell][aria-current="true"]');
    await selected.waitFor();
    expect(await selected.getAttribute("data-cell")).toBe("linux-gcc-12-cxx17-release");
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "heimdall_session")).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: "Lax",
    });
    await context.close();
  });

  it("the list says who pushed, and a push made while it is open appears without a reload", async () => {
    const context = await signedInAs("mona", [`${OWNER}/${REPO}`]);
    const page = await context.newPage();
    await page.goto(`${server.url}/builds`);
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${server.url}/builds`);
    const rows = page.locator("tr[data-build]");
    await rows.first().waitFor();
    const pusher = (pushPayload(head) as { sender: { login: string } }).sender.login;
    expect(await rows.first().textContent()).toContain(pusher);
    const before = await rows.count();
    const next = sha(42);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", next, FOUR_CELLS_CONFIG);
    expect(
      await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, "push", pushPayload(next) as never),
    ).toBeLessThan(300);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(before + 1);
    expect(await rows.first().textContent()).toContain(next.slice(0, 7));
    await context.close();
  });

  it("a person GitHub lists no repository for sees no build, and not the build's page", async () => {
    const context = await signedInAs("stranger", []);
    const page = await context.newPage();
    await page.goto(`${server.url}/builds`);
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${server.url}/builds`);
    await expect(page.getByLabel("Signed in as").textContent()).resolves.toBe("stranger");
    await page.getByText("No builds match.").waitFor();
    await page.goto(`${server.url}/builds/1`);
    await page.getByRole("alert").filter({ hasText: "stranger may not see octo/lib" }).waitFor();
    await context.close();
  });
});
