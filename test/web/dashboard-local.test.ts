/**
 * The dashboard in Debian's Chromium against the real server (PostgreSQL,
 * Redis), signed in as the one local user (HEIMDALL_DASHBOARD_AUTH=none on
 * loopback): the builds list and its filters, a build's grid with the matrix
 * check's marks, a cell chosen by its link, the list updating live, and
 * axe-core's WCAG checks on each page.
 */
import { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { SEED_CELLS, seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL } from "../support/app-harness.ts";
import { accessibilityViolations, launchBrowser, newPage, screenshot } from "../support/browser.ts";

let h: ApiHarness;
let browser: Browser;
let page: Page;
let passed: string;
let failed: string;

beforeAll(async () => {
  h = await startApiHarness({ dashboardAuth: { mode: "none" } });
  await seedRepositories(h.database.db);
  passed = (await seedBuild(h.database.db, { outcomes: ["success", "success"] })).id;
  failed = (await seedBuild(h.database.db, { repositoryId: 101, branch: "feature", outcomes: ["failure", "success"] }))
    .id;
  browser = await launchBrowser();
  page = await newPage(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const rows = (p: Page) =>
  p.locator("tr[data-build]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-build")));

describe("the dashboard, signed in as the local user", () => {
  it("lists builds newest first; a filter is kept in the URL and narrows the list", async () => {
    await page.goto(`${h.server.url}/builds`);
    await page.getByRole("table", { name: "Builds" }).waitFor();
    await expect.poll(() => rows(page)).toEqual([failed, passed]);
    await expect(page.getByLabel("Signed in as").textContent()).resolves.toBe("local");
    await page.getByRole("combobox", { name: "Conclusion" }).click();
    await page.getByRole("option", { name: "failure" }).click();
    await page.waitForURL(/conclusion=failure/);
    await expect.poll(() => rows(page)).toEqual([failed]);
    await screenshot(page, "builds");
    expect(await accessibilityViolations(page)).toEqual([]);
    // The URL alone says what is shown: opened afresh, the filter holds.
    await page.goto(`${h.server.url}/builds?conclusion=success`);
    await expect.poll(() => rows(page)).toEqual([passed]);
  });

  it("a build's page: the grid with the matrix check's marks, the cell its link names selected", async () => {
    const [failedCell, passedCell, skippedCell] = SEED_CELLS;
    await page.goto(`${h.server.url}/builds/${failed}/cells/${failedCell?.id}`);
    const grid = page.getByRole("table", { name: "Cells, release" });
    await grid.waitFor();
    const marks = await grid
      .locator("a[data-cell]")
      .evaluateAll((links) =>
        Object.fromEntries(
          links.map((a) => [a.getAttribute("data-cell"), [a.getAttribute("data-outcome"), a.textContent]]),
        ),
      );
    expect(marks).toEqual({
      [failedCell?.id ?? ""]: ["failure", "❌"],
      [passedCell?.id ?? ""]: ["success", "✅"],
      [skippedCell?.id ?? ""]: ["skipped", "⏭️"],
    });
    await expect(grid.locator(`a[aria-current="true"]`).getAttribute("data-cell")).resolves.toBe(failedCell?.id);
    const panel = page.getByRole("region", { name: `Cell ${failedCell?.name}` });
    await expect(panel.textContent()).resolves.toContain("failed");
    await expect(page.getByLabel("Counts").textContent()).resolves.toBe("3 cells: 1 passed, 1 failed, 1 skipped");
    await screenshot(page, "build");
    expect(await accessibilityViolations(page)).toEqual([]);
    // Another cell from the grid: its link, the URL, the panel.
    await grid.locator(`a[data-cell="${skippedCell?.id}"]`).click();
    await page.waitForURL(new RegExp(`/cells/${skippedCell?.id}$`));
    await expect(page.getByRole("region", { name: `Cell ${skippedCell?.name}` }).textContent()).resolves.toContain(
      "Skipped:",
    );
  });

  it("the keyboard alone: Tab reaches the grid's cells in order, Enter opens one", async () => {
    const [failedCell] = SEED_CELLS;
    await page.goto(`${h.server.url}/builds/${failed}`);
    await page.getByRole("table", { name: "Cells, release" }).waitFor();
    let focused: string | null = null;
    for (let presses = 0; presses < 40 && !focused; presses++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate('document.activeElement && document.activeElement.getAttribute("data-cell")');
    }
    expect(focused).toBe(failedCell?.id);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/builds/${failed}/cells/${failedCell?.id}$`));
    await page.getByRole("region", { name: `Cell ${failedCell?.name}` }).waitFor();
  });

  it("updates live: a build made while the page is open appears without a reload", async () => {
    await page.goto(`${h.server.url}/builds`);
    await expect.poll(() => rows(page)).toEqual([failed, passed]);
    const fresh = (await seedBuild(h.database.db, { outcomes: ["in_progress"] })).id;
    // What every change does: the servers are told (Queues.requestSync's announce).
    const redis = new Redis(REDIS_URL);
    await redis.publish(`${h.prefix}:changes`, `matrix-${fresh}`);
    redis.disconnect();
    await expect.poll(() => rows(page), { timeout: 10_000 }).toEqual([fresh, failed, passed]);
  });
});
