/**
 * The trust boundary of fork pull requests, end to end: the fork's head config
 * decides what is built, the default branch's config whether and how it runs.
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  INSTALLATION,
  OWNER,
  pullRequestPayload,
  REPO,
  repository,
  SECRET,
  sha,
  until,
} from "../support/app-harness.ts";
import { type EndToEnd, startEndToEnd } from "../support/end-to-end.ts";
import { examplePayload, sendWebhook } from "../support/github.ts";

// What a fork writes: run at once, on the network, in its own images (top level and an include entry's), for twelve hours.
const FORK_CONFIG = `version: 1
matrix:
  compiler: [gcc@12, clang@16]
  include:
    - compiler: clang@16
      image: forker/anything-else:latest
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
/** The fork's head config, and the default branch's (404: it has none). */
function configs(head: string, defaultBranch: string | 404, headConfig = FORK_CONFIG) {
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, headConfig);
  e2e.github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, defaultBranch);
}

/** The cell jobs queued: none while the fork's commit waits for approval. */
function queuedJobs() {
  return e2e.server.queues.cellQueue("linux").getJobs(["waiting", "active", "delayed"]);
}

const baseRef = pullRequestPayload("opened", sha(1), true).repository.default_branch;

describe("a fork's pull request", () => {
  test("whose head config says fork_prs: run still waits for approval when the default branch has no config", async () => {
    const { github } = e2e;
    const head = sha(0xf1);
    configs(head, 404);
    const runs = await openFromFork(head);
    expect(runs.map((r) => r.conclusion)).toEqual(["action_required", "action_required"]);
    expect(await queuedJobs()).toHaveLength(0);
    // The default branch was asked.
    expect(
      github.requests({ path: `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml` }).map((r) => r.query.ref),
    ).toContain(baseRef);
  });

  test("whose head config says fork_prs: run waits when the default branch's says approve", async () => {
    const head = sha(0xf2);
    configs(head, "version: 1\nmatrix:\n  compiler: [gcc@12]\nfork_prs: approve\n");
    const runs = await openFromFork(head);
    expect(runs.every((r) => r.conclusion === "action_required")).toBe(true);
    expect(await queuedJobs()).toHaveLength(0);
  });

  test("runs at once when the default branch says run, with the fork's matrix and the default branch's image, network and limit", async () => {
    const { server } = e2e;
    const head = sha(0xf3);
    configs(head, "version: 1\nmatrix:\n  compiler: [gcc@9]\nfork_prs: run\ntimeout_minutes: 20\n");
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
      // The cell runs in the catalog's image, not the fork's (neither its top-level image nor its include entry's).
      expect(job.data.cell.image).toMatch(/^heimdall-build\//);
    }
  });

  test("is not built when the default branch says fork_prs: skip: no build, no check run, no job", async () => {
    const { github, server, database } = e2e;
    const head = sha(0xf8);
    configs(head, "version: 1\nmatrix:\n  compiler: [gcc@12]\nfork_prs: skip\n");
    // The delivery is answered once its handlers are done: what it would make is made by then.
    const payload = pullRequestPayload("opened", head, true);
    const status = await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, "pull_request", payload as never);
    expect(status).toBeLessThan(300);
    expect(await database.db.selectFrom("builds").selectAll().where("head_sha", "=", head).execute()).toEqual([]);
    expect([...github.checkRuns().values()].filter((r) => r.head_sha === head)).toEqual([]);
    expect(await queuedJobs()).toHaveLength(0);
  });

  test("aimed at a branch whose config says run still waits: the trust settings are the default branch's", async () => {
    const { github } = e2e;
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
    expect(await queuedJobs()).toHaveLength(0);
    expect(baseRef).not.toBe("stale");
  });

  test("whose head repository GitHub no longer shows (a deleted fork) is a fork", async () => {
    const { database } = e2e;
    const head = sha(0xf4);
    configs(head, 404);
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

  test("a re-run of its cells is no approval: cancelled by a newer commit, they wait again when re-run", async () => {
    const { github, server } = e2e;
    const [first, second] = [sha(0xf6), sha(0xf7)];
    for (const head of [first, second]) github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FORK_CONFIG);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, 404);
    await openFromFork(first);
    await openFromFork(second, pullRequestPayload("synchronize", second, true));
    const cancelled = await until("the first commit's cells cancelled", () => {
      const runs = [...github.checkRuns().values()].filter((r) => r.head_sha === first && !r.name.endsWith("/ matrix"));
      return runs.length === 2 && runs.every((r) => r.conclusion === "cancelled") ? runs : undefined;
    });
    const hook = `${server.url}/api/github/webhooks`;
    const rerun = examplePayload("check_run.requested_action");
    expect(
      await sendWebhook(hook, SECRET, "check_run", {
        ...rerun,
        requested_action: { identifier: "rerun" },
        check_run: {
          ...rerun.check_run,
          id: cancelled[0]?.id,
          external_id: cancelled[0]?.external_id,
          head_sha: first,
        },
        repository: { ...rerun.repository, ...repository() },
        installation: { id: INSTALLATION, node_id: "I_1" },
      } as never),
    ).toBeLessThan(300);
    const suite = examplePayload("check_suite.rerequested" as "check_suite");
    expect(
      await sendWebhook(hook, SECRET, "check_suite", {
        ...suite,
        action: "rerequested",
        check_suite: { ...suite.check_suite, head_sha: first },
        repository: { ...suite.repository, ...repository() },
        installation: { id: INSTALLATION, node_id: "I_1" },
      } as never),
    ).toBeLessThan(300);
    // The cell re-run waits (attempt 2); Re-run all then re-runs the other, finished, cell: it waits too.
    const attempts = await e2e.database.db.selectFrom("attempts").selectAll().where("number", ">", 1).execute();
    expect(attempts.map((a) => a.state)).toEqual(["waiting_approval", "waiting_approval"]);
    expect(await queuedJobs()).toHaveLength(0);
  });
});
