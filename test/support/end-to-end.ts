/**
 * What the workers' end-to-end tests share: a scratch folder, a fresh
 * database, the OpenAPI-checking fake GitHub (check runs kept), and a server
 * on the test's own Redis prefix; then, at the end, all of it taken down in
 * order with every request GitHub got checked.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningServer } from "../../src/server.ts";
import { clearRedisPrefix, pushPayload, REDIS_URL, SECRET, startTestServer, until } from "./app-harness.ts";
import { type FakeCheckRun, type FakeGitHub, fakeGitHub, sendWebhook } from "./github.ts";
import { freshDatabase, type TestDatabase } from "./postgres.ts";

export interface EndToEnd {
  readonly prefix: string;
  readonly scratch: string;
  readonly database: TestDatabase;
  readonly github: FakeGitHub;
  readonly server: RunningServer;
  /** A signed `push` of `sha` on `branch`, cloned from `cloneUrl`; throws unless the server took it. */
  push(sha: string, branch: string, cloneUrl: string): Promise<void>;
  /** Closes `workers`, then the server; checks GitHub's requests; drops the database, the Redis keys and the folder. */
  stop(...workers: ({ close(): Promise<void> } | undefined)[]): Promise<void>;
}

type ServerOptions = Omit<Parameters<typeof startTestServer>[0], "databaseUrl" | "prefix">;

/** `serverOptions` may be made from the test's folder (a store inside it, say). */
export async function startEndToEnd(
  name: string,
  serverOptions: ServerOptions | ((scratch: string) => ServerOptions) = {},
): Promise<EndToEnd> {
  const prefix = `heimdall-${name}-${randomBytes(4).toString("hex")}`;
  const scratch = await mkdtemp(path.join(tmpdir(), `heimdall-${name}-`));
  let database: TestDatabase | undefined;
  let github: FakeGitHub | undefined;
  let server: RunningServer | undefined;
  const stop = async (...workers: ({ close(): Promise<void> } | undefined)[]) => {
    try {
      // Every worker and the server are closed, whichever fails first.
      const closed = await Promise.allSettled([...workers.map((worker) => worker?.close())]);
      await server?.close();
      for (const result of closed) if (result.status === "rejected") throw result.reason;
      github?.assertAllValid();
    } finally {
      github?.cleanup();
      await database?.drop();
      await clearRedisPrefix(prefix);
      await rm(scratch, { recursive: true, force: true });
    }
  };
  try {
    database = await freshDatabase(false);
    github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
    const options = typeof serverOptions === "function" ? serverOptions(scratch) : serverOptions;
    server = await startTestServer({ ...options, databaseUrl: database.url, prefix });
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const url = `${server.url}/api/github/webhooks`;
  return {
    prefix,
    scratch,
    database,
    github,
    server,
    async push(sha, branch, cloneUrl) {
      const status = await sendWebhook(url, SECRET, "push", pushPayload(sha, branch, cloneUrl) as never);
      if (status >= 300) throw new Error(`the server answered the push of ${sha} with ${status}`);
    },
    stop,
  };
}

/** The first check run named `name` once it has completed; throws after `ms`. */
export function completedCheckRun(github: FakeGitHub, name: string, ms: number): Promise<FakeCheckRun> {
  return until(
    `${name} completed`,
    () => [...github.checkRuns().values()].find((r) => r.name === name && r.status === "completed"),
    ms,
  );
}

/**
 * What a worker of an end-to-end test shares with the others: the test's
 * Redis prefix, Linux cells two at once, its caches in the test's folder,
 * file:// clones (the test's own repository), and the CI's apt options.
 */
export function endToEndWorkerOptions(e2e: Pick<EndToEnd, "prefix" | "scratch">) {
  return {
    redisUrl: REDIS_URL,
    prefix: e2e.prefix,
    platform: "linux" as const,
    concurrency: 2,
    cacheDir: path.join(e2e.scratch, "cache"),
    allowFileUrls: true,
    ...(process.env.HEIMDALL_APT_OPTIONS ? { aptOptions: process.env.HEIMDALL_APT_OPTIONS } : {}),
  };
}
