/**
 * The dashboard with a real worker building in Docker, in Debian's Chromium:
 * a push's running cell shows its container's output live; Cancel (the
 * button) stops the container within 10 s and the cell and its check run end
 * cancelled, naming who; Re-run this cell makes attempt 2, running again.
 */
import path from "node:path";
import type Docker from "dockerode";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { attemptLabels } from "../../src/deployment.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { OWNER, REPO, until } from "../support/app-harness.ts";
import { launchBrowser, newPage, screenshot } from "../support/browser.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, endToEndWorkerOptions, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";

const CELL = "linux / gcc-12 / c++17 / Release";
const KEY = "linux-gcc-12-cxx17-release";
const CONFIG = scriptConfig("echo step-one-of-the-build && sleep 300");
let e2e: EndToEnd;
let docker: Docker;
let worker: RunningWorker | undefined;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  docker = await requireDocker();
  await gcc12Image(docker);
  e2e = await startEndToEnd("dashboard-worker", { dashboardAuth: { mode: "none" } });
  browser = await launchBrowser();
  page = await newPage(browser);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await e2e?.stop(worker);
});

test("a running cell's output live; Cancel stops its container; Re-run makes attempt 2", async () => {
  const { github, server } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(e2e.scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  worker = await startWorker({ docker, ...endToEndWorkerOptions(e2e) });
  await e2e.push(head, "main", cloneUrl);
  const running = await until(
    "the cell running",
    () => [...github.checkRuns().values()].find((r) => r.name === CELL && r.status === "in_progress"),
    120_000,
  );
  const build = await e2e.database.db
    .selectFrom("builds")
    .select("id")
    .where("head_sha", "=", head)
    .executeTakeFirstOrThrow();

  await page.goto(`${server.url}/builds/${build.id}/cells/${KEY}`);
  const log = page.getByRole("log", { name: "Log lines" });
  // What the container prints, as it prints it.
  await log.getByText("step-one-of-the-build", { exact: true }).waitFor({ timeout: 60_000 });
  await screenshot(page, "cell-running");

  const containers = () =>
    docker.listContainers({
      all: true,
      filters: { label: labelFilter(attemptLabels(worker?.deployment ?? "", running.external_id ?? "")) },
    });
  await until("its container running", async () => (await containers()).some((c) => c.State === "running"), 60_000);
  await page.getByRole("button", { name: "Cancel" }).click();
  await until("its container stopped", async () => (await containers()).every((c) => c.State !== "running"), 10_000);
  // The page follows: the cell ends cancelled, saying who.
  await page
    .getByRole("region", { name: `Cell ${CELL}` })
    .getByText("cancelled", { exact: true })
    .waitFor({ timeout: 15_000 });
  const run = await until("the check run concluded", () => {
    const now = github.checkRuns().get(running.id);
    return now?.status === "completed" ? now : undefined;
  });
  expect(run.conclusion).toBe("cancelled");
  expect(run.output.summary).toContain("Cancelled by local");

  await page.getByRole("button", { name: "Re-run this cell" }).click();
  await page.getByRole("tab", { name: "Attempt 2" }).waitFor({ timeout: 15_000 });
  const again = await until(
    "attempt 2 running",
    () =>
      [...github.checkRuns().values()].find(
        (r) => r.name === CELL && r.status === "in_progress" && r.external_id !== running.external_id,
      ),
    120_000,
  );
  expect(again.id).not.toBe(running.id);
  await log.getByText("step-one-of-the-build", { exact: true }).waitFor({ timeout: 60_000 });
  // Cancelled too, or the worker's close would wait for its sleep.
  await page.getByRole("button", { name: "Cancel" }).click();
  await until("attempt 2 concluded", () => github.checkRuns().get(again.id)?.status === "completed", 30_000);
}, 600_000);
