/**
 * `extends:` on the server: a push whose file extends a stored configuration
 * builds with it; an unknown name is the configuration check at `extends`; a
 * new version of the base is a new build of the same commit; a fork chooses
 * its own base, and its trust settings still come from the default branch's
 * (itself extending). Real PostgreSQL and Redis, GitHub mocked (every request
 * validated against GitHub's OpenAPI description).
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { writeConfiguration } from "../../src/db/configurations.ts";
import { buildsForCommit } from "../../src/db/store.ts";
import type { RunningServer } from "../../src/server.ts";
import {
  clearRedisPrefix,
  OWNER,
  pullRequestPayload,
  pushPayload,
  REPO,
  repository,
  SECRET,
  sha,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { type FakeGitHub, fakeGitHub, sendWebhook } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

const ORG = "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n  cxx_standard: [17]\npackages: [libfmt-dev]\n";
const FILE = "extends: org-defaults\nmatrix:\n  cxx_standard: [20]\n";
const FILE_CELLS = ["linux / clang-16 / c++20 / Release", "linux / gcc-12 / c++20 / Release"];

let database: TestDatabase;
let server: RunningServer;
let github: FakeGitHub;
let prefix: string;

beforeEach(async () => {
  database = await freshDatabase(false);
  prefix = `heimdall-test-${randomBytes(4).toString("hex")}`;
  github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  server = await startTestServer({ databaseUrl: database.url, prefix });
});

afterEach(async () => {
  await server?.close();
  await database?.drop();
  github.assertAllValid();
  github.cleanup();
  await clearRedisPrefix(prefix);
});

/** A version of a stored configuration, as PUT /api/v1/configurations/{name} writes one. */
async function store(name: string, document: string) {
  await writeConfiguration(database.db, { name, document, by: "test", at: new Date(), create: false });
}

async function send(event: "push" | "pull_request", payload: unknown) {
  const deliveryId = randomBytes(8).toString("hex");
  const status = await sendWebhook(`${server.url}/api/github/webhooks`, SECRET, event, payload as never, {
    deliveryId,
  });
  expect(status).toBeLessThan(300);
}

const runsFor = (head: string) => [...github.checkRuns().values()].filter((r) => r.head_sha === head);
const cellRuns = (head: string, count: number) =>
  until(`${count} cell check runs`, () => {
    const runs = runsFor(head).filter((r) => !r.name.startsWith("heimdall-build /"));
    return runs.length >= count ? runs : undefined;
  });

describe("a push whose file says extends", () => {
  test("builds with the stored base under it: the base's compilers, the file's standard, the base's packages", async () => {
    await store("org-defaults", ORG);
    const head = sha(0xe1);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FILE);
    await send("push", pushPayload(head));
    const runs = await cellRuns(head, 2);
    expect(runs.map((r) => r.name).sort()).toEqual(FILE_CELLS);
    const [build] = await buildsForCommit(database.db, repository().id, head);
    expect(build?.settings).toMatchObject({ extends: "org-defaults", packages: ["libfmt-dev"] });
  });

  test("naming no stored configuration makes the configuration check, at extends", async () => {
    const head = sha(0xe2);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, "version: 1\nextends: nope\n");
    await send("push", pushPayload(head));
    const [run] = await until("the configuration check", () => (runsFor(head).length > 0 ? runsFor(head) : undefined));
    expect(run).toMatchObject({ name: "heimdall-build / configuration", conclusion: "failure" });
    expect(run?.annotations.map((a) => `${a.path}:${a.start_line}:${a.start_column} ${a.message}`)).toEqual([
      ".heimdall-build.yml:2:10 no stored configuration is named 'nope' (GET /api/v1/configurations lists them; POST /api/v1/configurations stores one)",
    ]);
    expect(await buildsForCommit(database.db, repository().id, head)).toEqual([]);
  });

  test("a new version of the base is a new build of the same commit; the same version again is not", async () => {
    await store("org-defaults", ORG);
    const head = sha(0xe3);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, FILE);
    await send("push", pushPayload(head));
    await cellRuns(head, 2);
    await send("push", pushPayload(head));
    // The redelivery is handled once the delivery is recorded: then no second build was made.
    await until(
      "the second delivery",
      async () => (await database.db.selectFrom("deliveries").selectAll().execute()).length === 2,
    );
    expect(await buildsForCommit(database.db, repository().id, head)).toHaveLength(1);

    await store("org-defaults", ORG.replace("[gcc@12, clang@16]", "[gcc@13]"));
    await send("push", pushPayload(head));
    const builds = await until("a second build", async () => {
      const found = await buildsForCommit(database.db, repository().id, head);
      return found.length === 2 ? found : undefined;
    });
    expect(new Set(builds.map((b) => b.config_digest)).size).toBe(2);
    const names = await database.db
      .selectFrom("cells")
      .select("name")
      .where("build_id", "=", builds.map((b) => b.id).sort((a, b) => Number(b) - Number(a))[0] ?? "0")
      .execute();
    expect(names.map((c) => c.name)).toEqual(["linux / gcc-13 / c++20 / Release"]);
  });
});

describe("a fork's pull request whose file says extends", () => {
  const PERMISSIVE = "version: 1\nmatrix:\n  compiler: [gcc@12]\nfork_prs: run\nnetwork: true\n";
  const baseRef = pullRequestPayload("opened", sha(1), true).repository.default_branch;

  test("builds over the base the fork chose, but waits for approval: the default branch has no config", async () => {
    await store("permissive", PERMISSIVE);
    const head = sha(0xf1);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, "extends: permissive\n");
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, 404);
    await send("pull_request", pullRequestPayload("opened", head, true));
    const runs = await cellRuns(head, 1);
    expect(runs.map((r) => [r.name, r.conclusion])).toEqual([["linux / gcc-12 / c++17 / Release", "action_required"]]);
    const [build] = await buildsForCommit(database.db, repository().id, head);
    expect(build?.settings).toMatchObject({ fork_prs: "approve", network: false });
  });

  test("runs at once when the default branch's file extends a base that says fork_prs: run", async () => {
    await store("permissive", PERMISSIVE);
    await store("org-trust", "version: 1\nmatrix:\n  compiler: [clang@16]\nfork_prs: run\n");
    const head = sha(0xf2);
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, "extends: permissive\nfork_prs: skip\n");
    github.onGetContent(OWNER, REPO, ".heimdall-build.yml", baseRef, "extends: org-trust\n");
    await send("pull_request", pullRequestPayload("opened", head, true));
    const runs = await cellRuns(head, 1);
    expect(runs.map((r) => [r.name, r.status])).toEqual([["linux / gcc-12 / c++17 / Release", "queued"]]);
    const [build] = await buildsForCommit(database.db, repository().id, head);
    // The default branch's (through its base), not the fork's file's nor its base's.
    expect(build?.settings).toMatchObject({ fork_prs: "run", network: false });
  });
});
