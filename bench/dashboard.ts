/**
 * The dashboard in Debian's Chromium (playwright-core, headless) on the
 * production bundle (dist/web: run `npm run build` first), served by the real
 * server on PostgreSQL and Redis, on this machine. Goals (issue 14): the first
 * load under 3 s, and a 256-cell build page interactive under 1 s.
 *
 *   node bench/dashboard.ts [--runs 5]
 *
 * Each figure is the median of `runs` loads in a fresh browser context (an
 * empty cache), next to its baseline in the same run: the server's own build
 * page (HTML, no script) for the same build, fetched and drawn by the same
 * browser. Printed too: the bundle's files and their gzip sizes.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Redis } from "ioredis";
import pino from "pino";
import { chromium, type Page } from "playwright-core";
import { Probot } from "probot";
import { parseConfig } from "../src/config/parse.ts";
import { connect } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { createBuild, latestAttempts, markCompleted, markStarted, saveRepository } from "../src/db/store.ts";
import { WriterOctokit } from "../src/github/octokit.ts";
import { LiveLogPublisher } from "../src/queue/live-log.ts";
import { startServer } from "../src/server.ts";
import { buildPageLink } from "../src/storage/links.ts";
import { UrlSigner } from "../src/storage/url-signer.ts";

const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const root = fileURLToPath(new URL("..", import.meta.url));

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

/** 8 compilers × 4 standards × 2 build types × 4 values of a custom axis: 256 cells. */
const CONFIG = `version: 1
matrix:
  compiler: [gcc@11, gcc@12, gcc@13, gcc@14, clang@15, clang@16, clang@17, clang@18]
  cxx_standard: [14, 17, 20, 23]
  build_type: [Debug, Release]
  axes:
    shared: ["ON", "OFF", "static-pie", "lto"]
`;

/** The median first contentful paint; a page Chromium reports none for (no entry yet) shows —. */
const paint = (figures: readonly { fcp: number }[]) => {
  const known = figures.map((f) => f.fcp).filter((v) => Number.isFinite(v));
  return known.length > 0 ? Math.round(median(known)) : "—";
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function bundle(): { files: { name: string; bytes: number; gzip: number }[]; bytes: number; gzip: number } {
  const dir = path.join(root, "dist/web/assets");
  const files = readdirSync(dir).map((name) => {
    const bytes = readFileSync(path.join(dir, name));
    return { name, bytes: statSync(path.join(dir, name)).size, gzip: gzipSync(bytes).length };
  });
  return {
    files,
    bytes: files.reduce((a, f) => a + f.bytes, 0),
    gzip: files.reduce((a, f) => a + f.gzip, 0),
  };
}

async function main(): Promise<void> {
  const runs = option("runs", 5);
  const name = `heimdall_bench_web_${process.pid}`;
  const admin = new (await import("pg")).default.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const prefix = `heimdall-bench-web-${process.pid}`;
  const db = connect(url.toString(), { max: 2 });
  await migrateToLatest(db);
  await db.insertInto("installations").values({ id: 4242, account_login: "bench" }).execute();
  await saveRepository(db, {
    installationId: 4242,
    accountLogin: "bench",
    id: 1,
    fullName: "bench/lib",
    cloneUrl: "https://github.com/bench/lib.git",
    private: true,
  });
  const parsed = parseConfig(CONFIG);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  // 30 builds for the list; the last one has the 256 cells, every other one failed.
  let big = "";
  let runningBuild = "";
  for (let i = 0; i < 30; i++) {
    const { build } = await createBuild(db, {
      repositoryId: 1,
      headSha: (i + 1).toString(16).padStart(40, "0"),
      configDigest: `bench-${i}`,
      event: "push",
      branch: "main",
      pullNumber: null,
      headRepository: "bench/lib",
      cloneUrl: "https://github.com/bench/lib.git",
      fork: false,
      settings: { timeout_minutes: 60 },
      cells: i === 29 ? parsed.cells : parsed.cells.slice(0, 8),
      waitForApproval: false,
    });
    big = build.id;
    if (i === 0) runningBuild = build.id;
  }
  const [first] = await latestAttempts(db, runningBuild);
  if (!first) throw new Error("no cell");
  await markStarted(db, first.attempt.id, "bench-worker", new Date());
  const at = new Date(Date.now() - 3_600_000);
  for (const [index, { attempt }] of (await latestAttempts(db, big)).entries()) {
    await markStarted(db, attempt.id, "bench-worker", at);
    await markCompleted(db, attempt.id, index % 2 ? "success" : "failure", "done", new Date(at.getTime() + 60_000));
  }
  await db.destroy();

  const signer = new UrlSigner("a secret for the dashboard bench");
  const probot = new Probot({
    appId: 1,
    privateKey: "unused",
    secret: "s",
    log: pino({ level: "warn" }),
    Octokit: WriterOctokit,
    baseUrl: "http://127.0.0.1:9",
  });
  const server = await startServer({
    probot,
    databaseUrl: url.toString(),
    redisUrl: REDIS_URL,
    prefix,
    port: 0,
    host: "127.0.0.1",
    signer,
    publicUrl: "http://127.0.0.1",
    dashboardAuth: { mode: "none" },
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
  try {
    const cells = parsed.cells.length;
    /** A fresh context (empty cache); `ready` resolves once the page shows what it is for. */
    /** `warm`: the context has loaded the dashboard once before (its hashed assets cached, as on a second visit). */
    const measure = async (path: string, ready: (page: Page) => Promise<void>, warm = false) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      if (warm) {
        await page.goto(`${server.url}/builds`);
        await page.locator("tr[data-build]").first().waitFor();
      }
      const started = Date.now();
      await page.goto(server.url + path, { waitUntil: "commit" });
      await ready(page);
      const shown = Date.now() - started;
      // The page's own clock (a string: this file is typed for Node, the code runs in the page).
      const timing = (await page.evaluate(`(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const paint = performance.getEntriesByName("first-contentful-paint")[0];
        return { fcp: paint ? paint.startTime : NaN, domContentLoaded: nav ? nav.domContentLoadedEventEnd : NaN };
      })()`)) as { fcp: number; domContentLoaded: number };
      await context.close();
      return { shown, ...timing };
    };
    const list: Awaited<ReturnType<typeof measure>>[] = [];
    const grid: Awaited<ReturnType<typeof measure>>[] = [];
    const warmGrid: Awaited<ReturnType<typeof measure>>[] = [];
    const click: number[] = [];
    const baseline: Awaited<ReturnType<typeof measure>>[] = [];
    const signedPage = new URL(buildPageLink(signer, "http://127.0.0.1", big));
    for (let run = 0; run < runs; run++) {
      list.push(await measure("/builds", (page) => page.locator("tr[data-build]").nth(29).waitFor()));
      grid.push(
        await measure(`/builds/${big}`, async (page) => {
          await page
            .locator("a[data-cell]")
            .nth(cells - 1)
            .waitFor();
        }),
      );
      warmGrid.push(
        await measure(
          `/builds/${big}`,
          async (page) => {
            await page
              .locator("a[data-cell]")
              .nth(cells - 1)
              .waitFor();
          },
          true,
        ),
      );
      baseline.push(
        await measure(signedPage.pathname + signedPage.search, (page) =>
          page.locator("tr").nth(cells).waitFor({ state: "attached" }),
        ),
      );
      // Interactive: a cell chosen on the grid opens its panel.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/builds/${big}`);
      const target = page.locator("a[data-cell]").nth(cells - 1);
      await target.waitFor();
      const key = await target.getAttribute("data-cell");
      const clicked = Date.now();
      await target.click();
      await page.locator(`a[data-cell="${key}"][aria-current="true"]`).waitFor();
      click.push(Date.now() - clicked);
      await context.close();
    }
    // Live output: a line written by the worker's publisher until it is on the screen.
    const redis = new Redis(REDIS_URL);
    const publisher = new LiveLogPublisher(redis, prefix, first.attempt.id);
    await publisher.start();
    const live: number[] = [];
    {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/builds/${runningBuild}/cells/${encodeURIComponent(first.cell.key)}`);
      const log = page.getByRole("log", { name: "Log lines" });
      await log.getByText("preparing the cell", { exact: false }).waitFor();
      for (let i = 0; i < 10 * runs; i++) {
        const written = Date.now();
        publisher.write(`tick ${i}\n`);
        await log.getByText(`tick ${i}`, { exact: true }).waitFor();
        live.push(Date.now() - written);
      }
      await context.close();
    }
    await publisher.end("success");
    redis.disconnect();
    const b = bundle();
    const row = (label: string, figures: Awaited<ReturnType<typeof measure>>[], goal: string) => {
      const shown = median(figures.map((f) => f.shown));
      const ratio = (shown / median(baseline.map((f) => f.shown))).toFixed(1);
      return `| ${label} | ${shown} | ${paint(figures)} | ${goal} | ${ratio}× |`;
    };
    console.log(
      `\nDebian's Chromium, headless, this machine; medians of ${runs} loads in fresh contexts (empty caches unless said), ms.\n`,
    );
    console.log("| page | shown | first contentful paint | goal | ÷ baseline |");
    console.log("|---|---|---|---|---|");
    const listShown = median(list.map((f) => f.shown));
    const gridShown = median(grid.map((f) => f.shown));
    console.log(row("`/builds` (first load: 30 builds)", list, `< 3000 ${listShown < 3000 ? "✓" : "✗"}`));
    console.log(
      row(
        `\`/builds/{id}\` (${cells} cells, the grid drawn), empty cache`,
        grid,
        `< 1000 ${gridShown < 1000 ? "✓" : "✗"}`,
      ),
    );
    const warmShown = median(warmGrid.map((f) => f.shown));
    console.log(
      row(
        "the same, the dashboard's files cached (a second visit)",
        warmGrid,
        `< 1000 ${warmShown < 1000 ? "✓" : "✗"}`,
      ),
    );
    const clickMs = median(click);
    console.log(`| a cell chosen on that grid → its panel | ${clickMs} | | < 1000 ${clickMs < 1000 ? "✓" : "✗"} | |`);
    const liveMs = median(live);
    console.log(
      `| a running cell's output line → on its page (median of ${live.length}) | ${liveMs} | | ≤ 1000 ${liveMs <= 1000 ? "✓" : "✗"} | |`,
    );
    console.log(
      `| baseline: the server's own page of that build (HTML, no script) | ${median(baseline.map((f) => f.shown))} | ${paint(baseline)} | | 1× |`,
    );
    console.log(`\nBundle: ${(b.bytes / 1024).toFixed(0)} KiB, ${(b.gzip / 1024).toFixed(0)} KiB gzipped:`);
    for (const f of b.files.sort((x, y) => y.bytes - x.bytes))
      console.log(`  ${f.name}: ${(f.bytes / 1024).toFixed(0)} KiB (${(f.gzip / 1024).toFixed(0)} KiB gzipped)`);
  } finally {
    await browser.close();
    await server.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

await main();
