/**
 * What the tests of the API's build actions share: an API harness whose fake
 * GitHub (every request checked against GitHub's OpenAPI description) knows the
 * commits it is told of, octo/lib installed, and the waits and reads they need.
 */
import { hashToken } from "../../src/api/tokens.ts";
import type { ApiScope } from "../../src/db/schema.ts";
import { saveRepository } from "../../src/db/store.ts";
import { type ApiHarness, startApiHarness } from "./api-harness.ts";
import { INSTALLATION, OWNER, REPO, repository, until } from "./app-harness.ts";
import { errorReply, type FakeCheckRun, type FakeGitHub, fakeGitHub } from "./github.ts";

export const MATRIX_CHECK = "heimdall-build / matrix";

export interface ApiBuilds {
  readonly harness: ApiHarness;
  readonly github: FakeGitHub;
  /** GitHub knows `sha` in octo/lib, with this `.heimdall-build.yml` (404: none). */
  commit(sha: string, config: string | 404): void;
  /** A token, and the name the API knows it by (`requested_by`, `cancelled_by`). */
  token(scopes: readonly ApiScope[], repositories?: string[]): Promise<{ token: string; name: string }>;
  /** The cells' check runs of `sha` (not the matrix check), once `count` of them exist. */
  cellRuns(sha: string, count: number): Promise<FakeCheckRun[]>;
  /** The ids of the jobs waiting on cells-linux. */
  jobsWaiting(): Promise<string[]>;
  /** The audit's rows, oldest first. */
  audit(): Promise<{ token_name: string; method: string; route: string; target: string | null; status: number }[]>;
  close(): Promise<void>;
}

export async function startApiBuilds(): Promise<ApiBuilds> {
  const github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  const known = new Set<string>();
  github.reply("GET", "/repos/{owner}/{repo}/commits/{ref}", (request) =>
    known.has(request.params.ref ?? "")
      ? { status: 200, body: { sha: request.params.ref } }
      : errorReply(422, `No commit found for SHA: ${request.params.ref}`),
  );
  const harness = await startApiHarness({ publicUrl: "https://heimdall.example.com" });
  const { db } = harness.database;
  const repo = repository();
  await saveRepository(db, {
    installationId: INSTALLATION,
    accountLogin: OWNER,
    id: repo.id,
    fullName: repo.full_name,
    cloneUrl: repo.clone_url,
    private: false,
  });
  const runsOf = (sha: string) =>
    [...github.checkRuns().values()].filter((r) => r.head_sha === sha && r.name !== MATRIX_CHECK);
  return {
    harness,
    github,
    commit(sha, config) {
      known.add(sha);
      github.onGetContent(OWNER, REPO, ".heimdall-build.yml", sha, config);
    },
    async token(scopes, repositories) {
      const token = await harness.token(scopes, repositories ? { repositories } : {});
      const row = await db
        .selectFrom("api_tokens")
        .select("name")
        .where("hash", "=", hashToken(token))
        .executeTakeFirstOrThrow();
      return { token, name: row.name };
    },
    cellRuns: (sha, count) =>
      until(`${count} check runs for ${sha.slice(-4)}`, () => {
        const runs = runsOf(sha);
        return runs.length >= count ? runs : undefined;
      }),
    async jobsWaiting() {
      const jobs = await harness.server.queues.cellQueue("linux").getJobs(["waiting", "delayed", "prioritized"]);
      return jobs.map((job) => job.id ?? "");
    },
    audit: () =>
      db.selectFrom("api_audit").select(["token_name", "method", "route", "target", "status"]).orderBy("id").execute(),
    async close() {
      try {
        await harness.close();
        github.assertAllValid();
      } finally {
        github.cleanup();
      }
    },
  };
}
