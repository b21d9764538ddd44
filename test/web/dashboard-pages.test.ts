/**
 * The dashboard's other pages in Debian's Chromium against the real server,
 * as the local admin: the queue (waiting and running cells, their worker),
 * status (components, a worker's heartbeat, the metrics with charts), a stored
 * configuration edited with its problem shown on its line, and a token made
 * (shown once) and revoked. axe-core checks each page.
 */
import { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHeartbeat } from "../../src/queue/heartbeats.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL } from "../support/app-harness.ts";
import { accessibilityViolations, launchBrowser, newPage, screenshot } from "../support/browser.ts";

let h: ApiHarness;
let browser: Browser;
let page: Page;
let redis: Redis;
let build: string;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  h = await startApiHarness({ dashboardAuth: { mode: "none" } });
  await seedRepositories(h.database.db);
  await seedBuild(h.database.db, { outcomes: ["success", "failure"] });
  build = (await seedBuild(h.database.db, { outcomes: ["in_progress", "queued"] })).id;
  browser = await launchBrowser();
  page = await newPage(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  redis?.disconnect();
});

describe("the dashboard's pages", () => {
  it("queue: per platform, the running cell with its worker and the waiting one", async () => {
    // Reached from the navigation, as people do.
    await page.goto(`${h.server.url}/builds`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queue" }).click();
    await page.waitForURL(/\/queue$/);
    const running = page.getByRole("table", { name: "Running on linux" });
    await running.waitFor();
    await expect(running.locator("tbody tr").count()).resolves.toBe(1);
    expect(await running.textContent()).toContain("worker-1");
    expect(await running.textContent()).toContain(`octo/lib #${build}`);
    const waiting = page.getByRole("table", { name: "Waiting for linux" });
    expect(await waiting.textContent()).toContain("a free worker");
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "queue");
  });

  it("status: each component answering, a worker's heartbeat, the metrics with their charts", async () => {
    const beat = await startHeartbeat({
      redis,
      prefix: h.prefix,
      worker: { name: "builder-7", host: "rack-3", platform: "linux", executor: "docker", concurrency: 2 },
    });
    try {
      await page.goto(`${h.server.url}/builds`);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" }).click();
      await page.waitForURL(/\/status$/);
      const workers = page.getByRole("table", { name: "Workers" });
      await workers.waitFor();
      expect(await workers.textContent()).toContain("builder-7");
      expect(await workers.textContent()).toContain("rack-3");
      const components = page.getByRole("table", { name: "Components" });
      expect(await components.locator('[data-component="PostgreSQL"]').textContent()).toContain("answers");
      expect(await components.locator('[data-component="Redis"]').textContent()).toContain("answers");
      const figures = page.getByRole("list", { name: "Figures" });
      await figures.waitFor();
      // The seeded attempts: one success and one failure ended in the last 7 days.
      expect(await figures.getByRole("listitem", { name: "Success rate" }).textContent()).toContain("50.0 % of 2");
      await page.getByRole("figure", { name: "Success and test pass rates (%)" }).locator("svg").first().waitFor();
      await page.getByRole("button", { name: "last 30d" }).click();
      await page.waitForURL(/window=30d/);
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, "status");
    } finally {
      await beat.stop();
    }
  });

  it("configurations: a new one stored; an edit with a mistake refused, the problem shown on its line; fixed, a new version", async () => {
    await page.goto(`${h.server.url}/builds`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Configurations" }).click();
    await page.waitForURL(/\/configurations$/);
    await page.getByLabel("Name").fill("team-default");
    await page.getByRole("button", { name: "Store it" }).click();
    await page.waitForURL(/\/configurations\/team-default$/);
    const editor = page.getByLabel("team-default's YAML");
    await editor.fill("version: 1\nmatrix:\n  compiler: [gcc@13]\n  cxx_standard: [17, 2023]\n");
    await page.getByRole("button", { name: "Save a new version" }).click();
    const problems = page.getByRole("list", { name: "Problems" });
    await problems.waitFor();
    expect(await problems.locator("li").first().getAttribute("data-problem-line")).toBe("4");
    expect(await page.locator('[data-line="4"]').getAttribute("data-problem")).toBe("error");
    expect(await page.locator('[data-line="3"]').getAttribute("data-problem")).toBeNull();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "configuration-error");
    await editor.fill("version: 1\nmatrix:\n  compiler: [gcc@13]\n  cxx_standard: [17, 20]\n");
    await page.getByRole("button", { name: "Save a new version" }).click();
    await page.getByRole("status").filter({ hasText: "Stored as version 2." }).waitFor();
    const stored = await h.database.db
      .selectFrom("configuration_versions")
      .select(["version", "created_by"])
      .where("name", "=", "team-default")
      .orderBy("version")
      .execute();
    expect(stored).toEqual([
      { version: 1, created_by: "local" },
      { version: 2, created_by: "local" },
    ]);
  });

  it("tokens: one made is shown once and works; revoked, it is refused", async () => {
    await page.goto(`${h.server.url}/builds`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
    await page.waitForURL(/\/settings\/tokens$/);
    await page.getByLabel("Name").fill("nightly");
    await page.getByRole("button", { name: "Make the token" }).click();
    const token = (await page.locator("[data-token]").textContent()) ?? "";
    expect(token).toMatch(/^hbt_[\w-]{43}$/);
    const call = async () =>
      (await fetch(`${h.server.url}/api/v1/builds`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await call()).toBe(200);
    const row = page.locator('tr[data-token-name="nightly"]');
    expect(await row.textContent()).not.toContain(token);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "tokens");
    await page.getByRole("button", { name: "Revoke nightly" }).click();
    await row.getByText(/^revoked/).waitFor();
    expect(await call()).toBe(401);
  });
});
