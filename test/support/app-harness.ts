/** What the GitHub App's end-to-end tests share: a repository, its payloads, a server, waiting. */

import { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import { Probot } from "probot";
import type { DashboardAuthSettings } from "../../src/api/dashboard-auth.ts";
import { MAINTENANCE_DEFAULTS, type MaintenanceOptions } from "../../src/github/maintenance.ts";
import { WriterOctokit } from "../../src/github/octokit.ts";
import type { WebhookInboxOptions } from "../../src/github/webhook-inbox.ts";
import type { GitHubWriterOptions } from "../../src/github/writer.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { ObjectStore } from "../../src/storage/object-store.ts";
import type { UrlSigner } from "../../src/storage/url-signer.ts";
import { examplePayload, registerInbox, testPrivateKey, unregisterInbox } from "./github.ts";

export const SECRET = "webhook-secret";
export const INSTALLATION = 4242;
export const OWNER = "octo";
export const REPO = "lib";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** 4 runnable cells (gcc 12 and clang 16 × C++17 and C++23) and gcc 9 × C++23, which the catalog skips. */
export const FOUR_CELLS_CONFIG = `version: 1
matrix:
  compiler: [gcc@12, clang@16]
  cxx_standard: [17, 23]
  include:
    - compiler: gcc@9
      cxx_standard: 23
`;

export function sha(n: number): string {
  return n.toString(16).padStart(40, "0");
}

export function repository(cloneUrl = `https://github.com/${OWNER}/${REPO}.git`) {
  return {
    id: 9001,
    node_id: "R_1",
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    private: false,
    owner: { login: OWNER, id: 1, node_id: "U_1", type: "User" },
    clone_url: cloneUrl,
  };
}

export function pushPayload(after: string, branch = "main", cloneUrl?: string) {
  const payload = examplePayload("push");
  return {
    ...payload,
    ref: `refs/heads/${branch}`,
    after,
    deleted: false,
    created: false,
    repository: { ...payload.repository, ...repository(cloneUrl) },
    installation: { id: INSTALLATION, node_id: "I_1" },
  };
}

/** A pull request's payload: from a fork (forker/lib) or from a branch of the repository itself. */
export function pullRequestPayload(action: "opened" | "synchronize", head: string, fork: boolean, number = 7) {
  const payload = examplePayload("pull_request.opened");
  const base = { ...payload.pull_request.base.repo, ...repository() };
  const headRepo = fork
    ? { ...base, id: 9002, name: REPO, full_name: `forker/${REPO}`, clone_url: `https://github.com/forker/${REPO}.git` }
    : base;
  return {
    ...payload,
    action,
    number,
    pull_request: {
      ...payload.pull_request,
      number,
      head: { ...payload.pull_request.head, sha: head, repo: headRepo },
      base: { ...payload.pull_request.base, repo: base },
    },
    repository: { ...payload.repository, ...repository() },
    installation: { id: INSTALLATION, node_id: "I_1" },
  };
}

/** Polls until `probe` gives a value, or fails naming what it waited for. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A server on a random local port with a test Probot (GitHub at `baseUrl`, mocked by the caller). */
export async function startTestServer(options: {
  readonly databaseUrl: string;
  readonly prefix: string;
  readonly baseUrl?: string;
  readonly publicUrl?: string;
  /** The workers' store and the links' secret, for the API. */
  readonly store?: ObjectStore;
  readonly signer?: UrlSigner;
  /** Writes unlimited unless given: most tests are not about the limiter. */
  readonly writer?: Omit<GitHubWriterOptions, "redis" | "keyPrefix">;
  /** No redelivery passes unless given (the fake GitHub would have to answer them); the reconciler's default schedule. */
  readonly maintenance?: MaintenanceOptions;
  /** Redis for the server (another than the tests' own, in fault tests). */
  readonly redisUrl?: string;
  /** Probot's logger (and so the webhook intake's); silent unless given. */
  readonly log?: Logger;
  readonly webhookBodies?: {
    readonly maxBytes?: number;
    readonly maxPendingBytes?: number;
    readonly deadlineMs?: number;
  };
  /** The API's clock (a controllable one in tests of expiry and waits). */
  readonly now?: () => Date;
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  readonly githubUrl?: string;
  /** How long each of /status's probes may take. */
  readonly probeTimeoutMs?: number;
  readonly webhookInbox?: WebhookInboxOptions;
  /** The dashboard's sign-in (default: GitHub, with no OAuth client) and its files (default: dist/web when built). */
  readonly dashboardAuth?: DashboardAuthSettings;
  readonly dashboardDir?: string | null;
}): Promise<RunningServer> {
  const probot = new Probot({
    appId: 1,
    privateKey: testPrivateKey(),
    secret: SECRET,
    log: options.log ?? pino({ level: "silent" }),
    Octokit: WriterOctokit,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
  const server = await startServer({
    probot,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl ?? REDIS_URL,
    prefix: options.prefix,
    maintenance: options.maintenance ?? { ...MAINTENANCE_DEFAULTS, redeliverEveryMs: 0 },
    port: 0,
    host: "127.0.0.1",
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.signer ? { signer: options.signer } : {}),
    writer: options.writer ?? { minSpacingMs: 0, writesPerMinute: 10_000, windowMs: 1000 },
    ...(options.webhookBodies ? { webhookBodies: options.webhookBodies } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.githubUrl ? { githubUrl: options.githubUrl } : {}),
    ...(options.probeTimeoutMs ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
    ...(options.webhookInbox ? { webhookInbox: options.webhookInbox } : {}),
    ...(options.dashboardAuth ? { dashboardAuth: options.dashboardAuth } : {}),
    ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}),
  });
  // sendWebhook waits for a delivery's first try on this server.
  registerInbox(server.url, server.inbox);
  return {
    ...server,
    close: async () => {
      unregisterInbox(server.url);
      await server.close();
    },
  };
}

/** Removes every Redis key a test's prefix made (queues, limiter, channels). */
export async function clearRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
