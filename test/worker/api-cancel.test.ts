/**
 * DELETE /api/v1/builds/{id} on a cell a real worker is running: a build made
 * by POST /api/v1/builds, its cell sleeping in a real container; the cancel
 * reaches the worker on the cancel channel, its container stops within 10 s,
 * and the check run concludes cancelled, saying who cancelled it.
 */
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { mintToken } from "../../src/api/tokens.ts";
import { saveRepository } from "../../src/db/store.ts";
import { insertToken } from "../../src/db/tokens.ts";
import { attemptLabels } from "../../src/deployment.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";
import { type RunningWorker, startWorker } from "../../src/worker.ts";
import { openApiValidator } from "../support/api-harness.ts";
import { INSTALLATION, OWNER, REPO, repository, until } from "../support/app-harness.ts";
import { requireDocker } from "../support/docker.ts";
import { type EndToEnd, endToEndWorkerOptions, startEndToEnd } from "../support/end-to-end.ts";
import { exampleRepository, gcc12Image, scriptConfig } from "../support/executor.ts";

const CELL = "linux / gcc-12 / c++17 / Release";
const CONFIG = scriptConfig("sleep 300");
let e2e: EndToEnd;
let docker: Docker;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  // Built here (once, on a cold machine) so that the test's waits do not include it.
  await gcc12Image(docker);
  e2e = await startEndToEnd("api-cancel");
}, 900_000);

afterAll(async () => {
  await e2e?.stop(worker);
});

test("DELETE stops the running cell's container within 10 s; its check run concludes cancelled, naming who", async () => {
  const { github, server, database } = e2e;
  const { head, cloneUrl } = await exampleRepository(path.join(e2e.scratch, "repo"), CONFIG);
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  github.reply("GET", "/repos/{owner}/{repo}/commits/{ref}", (request) => ({
    status: 200,
    body: { sha: request.params.ref },
  }));
  // Installed, as a webhook would have saved it: the worker clones the test's own repository.
  const repo = repository(cloneUrl);
  await saveRepository(database.db, {
    installationId: INSTALLATION,
    accountLogin: OWNER,
    id: repo.id,
    fullName: repo.full_name,
    cloneUrl,
    private: false,
  });
  const minted = mintToken();
  await insertToken(database.db, {
    name: "release-bot",
    prefix: minted.prefix,
    hash: minted.hash,
    scopes: ["builds:write"],
    repositories: null,
    expiresAt: null,
  });
  const validator = await openApiValidator(server.url);
  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${minted.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    validator.check(method, route, response.status, response.headers.get("content-type") ?? "", answer);
    return { status: response.status, body: answer };
  };
  worker = await startWorker({ docker, ...endToEndWorkerOptions(e2e) });

  const created = await api("POST", "/api/v1/builds", { repository: "octo/lib", commit: head });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const running = await until(
    "the cell running",
    () => [...github.checkRuns().values()].find((r) => r.name === CELL && r.status === "in_progress"),
    120_000,
  );
  const attemptId = running.external_id ?? "";
  const labels = labelFilter(attemptLabels(worker.deployment, attemptId));
  const containers = () => docker.listContainers({ all: true, filters: { label: labels } });
  await until("its container running", async () => (await containers()).some((c) => c.State === "running"), 60_000);

  const cancelled = await api("DELETE", `/api/v1/builds/${String(created.body.id)}`);
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
  expect(cancelled.body).toMatchObject({
    cancelled_by: "release-bot",
    attempts: [{ id: attemptId, was: "in_progress" }],
  });
  await until("its container stopped", async () => (await containers()).every((c) => c.State !== "running"), 10_000);
  const run = await until("the check run concluded", () => {
    const now = github.checkRuns().get(running.id);
    return now?.status === "completed" ? now : undefined;
  });
  expect(run.conclusion).toBe("cancelled");
  expect(run.output.summary).toContain("Cancelled by release-bot through the API.");
  const attempt = await database.db
    .selectFrom("attempts")
    .select(["state", "conclusion"])
    .where("id", "=", attemptId)
    .executeTakeFirstOrThrow();
  expect(attempt).toEqual({ state: "completed", conclusion: "cancelled" });
  const audit = await database.db.selectFrom("api_audit").select(["token_name", "method", "status"]).execute();
  expect(audit).toEqual([
    { token_name: "release-bot", method: "POST", status: 201 },
    { token_name: "release-bot", method: "DELETE", status: 202 },
  ]);
}, 300_000);
