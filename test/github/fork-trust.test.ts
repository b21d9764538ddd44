/**
 * The trust boundary of fork pull requests, end to end: the fork's head config
 * decides what is built, the base branch's config whether and how it runs.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { OWNER, pullRequestPayload, REPO, SECRET, sha, until } from "../support/app-harness.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { sendWebhook } from "../support/github.ts";

// What a fork writes: run at once, on the network, in its own image, for twelve hours.
const FORK_CONFIG = `version: 1
matrix:
  compiler: [gcc@12, clang@16]
fork_prs: run
network: true
image: forker/anything:latest
timeout_minutes: 720
`;

let e2e: EndToEnd;

beforeEach(async () => {
  e2e = await startEndToEnd("fork");
});

afterEach(async () => {
  await e2e?.stop();
});

async function openFromFork(head: string, payload = pullRequestPayload("opened", head, true)) {
  const { server, github } = e2e;
  const status = await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, "pull_request", payload as never);
  expect(status).toBeLessThan(300);
  return until("the cells' check runs", () => {
    const runs = [...github.checkRuns().values()].filter((r) => r.head_sha === head && !r.name.endsWith("/ matrix"));
    return runs.length === 2 ? runs : undefined;
  });
}

// A fork's trust settings are read on the repository's default branch, whatever branch the pull request targets.
const baseRef = pullRequestPayload("opened", sha(1), true).repository.default_branch;

describe("a fork's pull request", () => {
  test("whose head config says fork_prs: run still waits for approval when the base branch has no config", async () => {
    const { github, server } = e2e;
    const head = sha(0xf1);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, 404);
    const runs = await openFromFork(head);
    expect(runs.map((r) => r.conclusion)).toEqual(["action_required", "action_required"]);
    expect(await server.queues.cellQueue("linux").getJobs(["waiting", "active", "delayed"])).toHaveLength(0);
    // The base branch was asked, at the pull request's base.
    expect(
      github.requests({ path: `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml` }).map((r) => r.query.ref),
    ).toContain(baseRef);
  });

  test("whose head config says fork_prs: run waits when the base branch's says approve", async () => {
    const { github, server } = e2e;
    const head = sha(0xf2);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      baseRef,
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nfork_prs: approve\n",
    );
    const runs = await openFromFork(head);
    expect(runs.every((r) => r.conclusion === "action_required")).toBe(true);
    expect(await server.queues.cellQueue("linux").getJobs(["waiting", "active", "delayed"])).toHaveLength(0);
  });

  test("runs at once when the base branch says run, with the fork's matrix and the base branch's image, network and limit", async () => {
    const { github, server } = e2e;
    const head = sha(0xf3);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      baseRef,
      "version: 1\nmatrix:\n  compiler: [gcc@9]\nfork_prs: run\ntimeout_minutes: 20\n",
    );
    const runs = await openFromFork(head);
    // The fork's matrix (gcc 12 and clang 16, not the base's gcc 9).
    expect(runs.map((r) => r.name).sort()).toEqual([
      "linux / clang-16 / c++17 / Release",
      "linux / gcc-12 / c++17 / Release",
    ]);
    const jobs = await until("two jobs", async () => {
      const found = await server.queues.cellQueue("linux").getJobs(["waiting"]);
      return found.length === 2 ? found : undefined;
    });
    for (const job of jobs) {
      const settings = job.data.settings as Record<string, unknown>;
      expect(job.data.fork).toBe(true);
      expect(settings).toMatchObject({ fork_prs: "run", network: false, timeout_minutes: 20 });
      expect(settings).not.toHaveProperty("image");
      // The cell runs in the catalog's image, not the fork's.
      expect(job.data.cell.image).toMatch(/^heimdall-build\//);
    }
  });

  test("aimed at a branch whose config says run still waits: the trust settings are the default branch's", async () => {
    const { github, server } = e2e;
    const head = sha(0xf5);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(
      OWNER,
      REPO,
      ".heimdall-build.yml",
      "stale",
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nfork_prs: run\n",
    );
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, "version: 1\nmatrix:\n  compiler: [gcc@12]\n");
    const payload = pullRequestPayload("opened", head, true);
    const toStale = {
      ...payload,
      pull_request: { ...payload.pull_request, base: { ...payload.pull_request.base, ref: "stale" } },
    };
    const runs = await openFromFork(head, toStale);
    expect(runs.every((r) => r.conclusion === "action_required")).toBe(true);
    expect(await server.queues.cellQueue("linux").getJobs(["waiting", "active", "delayed"])).toHaveLength(0);
    expect(baseRef).not.toBe("stale");
  });

  test("whose head repository GitHub no longer shows (a deleted fork) is a fork", async () => {
    const { github, database } = e2e;
    const head = sha(0xf4);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, 404);
    const payload = pullRequestPayload("opened", head, true);
    const orphan = {
      ...payload,
      pull_request: { ...payload.pull_request, head: { ...payload.pull_request.head, repo: null } },
    };
    const runs = await openFromFork(head, orphan as unknown as typeof payload);
    expect(runs.every((r) => r.conclusion === "action_required")).toBe(true);
    const build = await database.db
      .selectFrom("builds")
      .selectAll()
      .where("head_sha", "=", head)
      .executeTakeFirstOrThrow();
    expect(build.fork).toBe(true);
  });
});
