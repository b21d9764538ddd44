/**
 * A cell's log in Debian's Chromium against the real server: a stored log
 * (folder store) read from its tail with its colours, a line's link that
 * survives a reload, and a running cell's live output (Redis) appearing as the
 * worker's publisher writes it, the page turning to the stored log at the end.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveAnnotations } from "../../src/db/annotations.ts";
import { latestAttempts, markCompleted } from "../../src/db/store.ts";
import { LiveLogPublisher } from "../../src/queue/live-log.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { artifactKey, logKey } from "../../src/storage/keys.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";
import { REDIS_URL } from "../support/app-harness.ts";
import { accessibilityViolations, launchBrowser, newPage, screenshot } from "../support/browser.ts";

let h: ApiHarness;
let browser: Browser;
let page: Page;
let scratch: string;
let store: FsStore;
let redis: Redis;
let build: string;
let cells: { key: string; attemptId: string }[];

/** 40,000 lines (about 1.3 MB): more than one page. Line 39,990 is red. */
const LINES = 40_000;
const logText = Array.from({ length: LINES }, (_, i) =>
  i === LINES - 10
    ? `\u001b[31merror: line ${i}\u001b[0m`
    : i === LINES - 5
      ? "/work/src/parse.cpp:12:5: warning: unused variable 'x' [-Wunused-variable]"
      : `compiling unit ${i}`,
).join("\n");

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-weblogs-"));
  store = new FsStore(path.join(scratch, "objects"));
  redis = new Redis(REDIS_URL);
  h = await startApiHarness({ store, dashboardAuth: { mode: "none" } });
  await seedRepositories(h.database.db);
  build = (await seedBuild(h.database.db, { outcomes: ["failure", "in_progress"] })).id;
  cells = (await latestAttempts(h.database.db, build)).map(({ cell, attempt }) => ({
    key: cell.key,
    attemptId: attempt.id,
  }));
  const [failed] = cells;
  if (!failed) throw new Error("no cells");
  const key = logKey(build, failed.key, 1);
  await store.put(key, `${logText}\n`);
  await h.database.db
    .updateTable("attempts")
    .set({
      log_key: key,
      summary:
        "### Failed tests\n\n`parser.rejects_tabs`\n\n```\nexpected 1, got 2\n```\n\n<img src=x onerror=alert(1)>",
    })
    .where("id", "=", failed.attemptId)
    .execute();
  await saveAnnotations(h.database.db, failed.attemptId, [
    {
      path: "src/parse.cpp",
      start_line: 12,
      end_line: 12,
      start_column: 5,
      end_column: 5,
      annotation_level: "warning",
      title: "gcc-12: warning",
      message: "unused variable 'x'",
      raw_details: "",
      code: "-Wunused-variable",
      tool: "gcc",
      fingerprint: "f1",
    },
  ]);
  await store.put(artifactKey(build, failed.key, 1, "build/parser-test"), Buffer.from([1, 2, 3]));
  browser = await launchBrowser();
  page = await newPage(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  redis?.disconnect();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("a cell's log in the dashboard", () => {
  it("a stored log opens at its end with its colours; only what is on screen is in the page; a line's link survives a reload", async () => {
    const [failed] = cells;
    await page.goto(`${h.server.url}/builds/${build}/cells/${failed?.key}`);
    const log = page.getByRole("log", { name: "Log lines" });
    const red = log.getByText(`error: line ${LINES - 10}`);
    await red.waitFor();
    expect(await red.getAttribute("style")).toContain("color: rgb(242, 109, 109)");
    const kib = (Buffer.byteLength(`${logText}\n`) / 1024).toFixed(0);
    await expect(page.getByLabel("Log status").textContent()).resolves.toBe(
      `the last 256 KiB of ${kib} KiB; scroll up for more`,
    );
    expect(await log.locator("[data-offset]").count()).toBeLessThan(150);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "cell-log");
    // The red line's link: the URL names it by byte offset; opened afresh, the page finds and marks it.
    const row = log.locator("[data-offset]").filter({ hasText: `error: line ${LINES - 10}` });
    const offset = await row.getAttribute("data-offset");
    await row.getByRole("link").click();
    await page.waitForURL(new RegExp(`#b${offset}$`));
    await page.reload();
    await log.getByText(`error: line ${LINES - 10}`).waitFor();
    expect(await log.locator("[data-chosen]").textContent()).toContain(`error: line ${LINES - 10}`);
    // An early line: scrolling up reads the pages before until it is there.
    await page.goto(`${h.server.url}/builds/${build}/cells/${failed?.key}#b0`);
    await log.getByText("compiling unit 0", { exact: true }).waitFor({ timeout: 15_000 });
    expect(await log.locator("[data-chosen]").textContent()).toContain("compiling unit 0");
  });

  it("what the attempt said: annotations by file linked to their lines on GitHub, the summary's failed tests, the artifacts; the log's diagnostic linked to its annotation", async () => {
    const [failed] = cells;
    await page.goto(`${h.server.url}/builds/${build}/cells/${failed?.key}`);
    const annotations = page.getByRole("region", { name: "Annotations" });
    await annotations.waitFor();
    expect(await annotations.getByRole("heading", { name: "src/parse.cpp" }).count()).toBe(1);
    const line = annotations.getByRole("link", { name: "line 12" });
    expect(await line.getAttribute("href")).toMatch(
      /^https:\/\/github\.com\/octo\/lib\/blob\/[0-9a-f]{40}\/src\/parse\.cpp#L12$/,
    );
    const summary = page.getByRole("region", { name: "Summary" });
    expect(await summary.locator("pre").textContent()).toBe("expected 1, got 2\n");
    // The summary is untrusted Markdown: HTML in it is not rendered.
    expect(await summary.locator("img").count()).toBe(0);
    const files = page.getByRole("region", { name: "Artifacts and SBOMs" });
    expect(await files.getByRole("link", { name: "build/parser-test" }).getAttribute("href")).toBe(
      `/api/v1/builds/${build}/artifacts/${failed?.key}/1/build/parser-test`,
    );
    const log = page.getByRole("log", { name: "Log lines" });
    const link = log.locator("[data-annotation-link]");
    await link.waitFor();
    await link.click();
    await page.waitForURL(/#annotation-0$/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, "cell-report");
  });

  it("a running cell's output appears as the worker writes it, and its end shows the stored log", async () => {
    const running = cells[1];
    if (!running) throw new Error("no running cell");
    const publisher = new LiveLogPublisher(redis, h.prefix, running.attemptId);
    await publisher.start();
    await page.goto(`${h.server.url}/builds/${build}/cells/${running.key}`);
    const log = page.getByRole("log", { name: "Log lines" });
    await log.getByText("[heimdall-build: preparing the cell: image, source]").waitFor();
    await expect(page.getByLabel("Log status").textContent()).resolves.toBe("following the running cell");
    publisher.write("[1/3] configure\n");
    await log.getByText("[1/3] configure").waitFor();
    publisher.write("[2/3] build: \u001b[32mok\u001b[0m\n");
    await log.getByText("ok", { exact: true }).waitFor();
    // The attempt ends: stored log, attempt completed, the page told (the server announces the change).
    const key = logKey(build, running.key, 1);
    await store.put(key, "[1/3] configure\n[2/3] build: ok\n[3/3] test: 3 passed\n");
    await h.database.db.updateTable("attempts").set({ log_key: key }).where("id", "=", running.attemptId).execute();
    await markCompleted(h.database.db, running.attemptId, "success", "passed", new Date());
    await publisher.end("success");
    await redis.publish(`${h.prefix}:changes`, `attempt-${running.attemptId}`);
    await log.getByText("[3/3] test: 3 passed").waitFor({ timeout: 10_000 });
  });
});
