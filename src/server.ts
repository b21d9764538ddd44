/**
 * `heimdall-build server`: the Probot app's webhook endpoint, the reporter that
 * writes check runs, and the consumer of the workers' events, in one process.
 * Any number of them can share one PostgreSQL and one Redis.
 */
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Probot } from "probot";
import { BuildEvents } from "./api/build-events.ts";
import { defaultDashboardDir } from "./api/dashboard.ts";
import {
  DashboardAuth,
  type DashboardAuthSettings,
  DashboardAuthSettingsError,
  loopbackListen,
} from "./api/dashboard-auth.ts";
import { createHttpApp } from "./api/http-app.ts";
import { LiveLogFollowers } from "./api/live-log-stream.ts";
import { apiRoutes } from "./api/routes.ts";
import { TokenCache } from "./api/token-cache.ts";
import { latestConfiguration } from "./db/configurations.ts";
import { connect, type Db } from "./db/connect.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { listenForRevocations } from "./db/token-revocations.ts";
import { tokenByHash } from "./db/tokens.ts";
import { settledWithin } from "./deadline.ts";
import { heimdallApp } from "./github/app.ts";
import { startCellEventConsumer } from "./github/cell-events.ts";
import { MAINTENANCE_DEFAULTS, type MaintenanceOptions, startMaintenance } from "./github/maintenance.ts";
import { appGitHubProbe } from "./github/reachability.ts";
import { type InstallationOctokit, Reporter } from "./github/reporter.ts";
import { WebhookInbox, type WebhookInboxOptions } from "./github/webhook-inbox.ts";
import { createGitHubWriter, type GitHubWriter, type GitHubWriterOptions } from "./github/writer.ts";
import { webhookIntake } from "./http/webhook-intake.ts";
import { cancelChannel, changesChannel, Queues } from "./queue/queues.ts";
import { detailsLink, liveLogLink } from "./storage/links.ts";
import type { ObjectStore } from "./storage/object-store.ts";
import type { UrlSigner } from "./storage/url-signer.ts";

export interface ServerOptions {
  readonly probot: Probot;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Redis key prefix for queues, limiter and channels (tests use their own). */
  readonly prefix?: string;
  readonly port?: number;
  readonly host?: string;
  readonly webhookPath?: string;
  readonly publicUrl?: string | null;
  readonly writer?: Omit<GitHubWriterOptions, "redis" | "keyPrefix">;
  /** The workers' object store: the API serves a filesystem store's objects and redirects to S3's. */
  readonly store?: ObjectStore | null;
  /** Signs and checks the API's links (HEIMDALL_URL_SECRET, shared with the workers). */
  readonly signer?: UrlSigner | null;
  /** The reconciler's and the redelivery's schedules (MAINTENANCE_DEFAULTS when absent). */
  readonly maintenance?: MaintenanceOptions;
  /** Where GitHub's pages are (check runs' links): https://github.com unless a GitHub Enterprise Server's. */
  readonly githubUrl?: string;
  /** The API's clock (tokens' expiry, the audit's times, metrics' windows); the real one when absent. */
  readonly now?: () => Date;
  /** How long each of the API's /status probes may take (2 s by default). */
  readonly probeTimeoutMs?: number;
  /** Calls a token may make in a window (default 600 a minute). */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** The dashboard's sign-in: with GitHub (the app's OAuth client) or, on loopback only, none. Default: GitHub. */
  readonly dashboardAuth?: DashboardAuthSettings;
  /** The dashboard's built files; null: no dashboard. Default: dist/web, when built. */
  readonly dashboardDir?: string | null;
  /** How acknowledged deliveries are handled and tried again (WEBHOOK_INBOX_DEFAULTS when absent). */
  readonly webhookInbox?: WebhookInboxOptions;
  /** Bounds on webhook bodies: each (default 25 MB, GitHub's cap) and all being read at once (default 100 MB). */
  readonly webhookBodies?: {
    readonly maxBytes?: number;
    readonly maxPendingBytes?: number;
    /** How long a body may take to arrive whole (10 s by default). */
    readonly deadlineMs?: number;
  };
}

/**
 * How long close() lets webhooks being handled and check-run syncs being written
 * finish before it cuts them off: together well inside the 10 s a stopping server
 * has (a supervisor's SIGKILL, the CLI's own hard exit).
 */
const STOP_REQUESTS_MS = 4000;
const STOP_JOBS_MS = 3000;

/** heimdall-build's version, from package.json (one folder up from src/ and dist/ alike). */
const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

export interface RunningServer {
  readonly url: string;
  readonly db: Db;
  readonly queues: Queues;
  readonly writer: GitHubWriter;
  /** Deliveries acknowledged and handled after their answer. */
  readonly inbox: WebhookInbox;
  /** The API's tokens kept in memory (while revocations are heard). */
  readonly tokens: TokenCache;
  /** The API's routes that take a token: what its OpenAPI document describes. */
  readonly apiRoutes: readonly { readonly method: string; readonly url: string }[];
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const prefix = options.prefix ?? "heimdall";
  const dashboardSettings = options.dashboardAuth ?? { mode: "github" };
  const dashboardDir = options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir;
  // Check runs link to the dashboard when people can reach it: built, and a way to sign in.
  const dashboardLinks =
    dashboardDir !== null &&
    (dashboardSettings.mode === "none" || Boolean(dashboardSettings.clientId && dashboardSettings.clientSecret));
  if (dashboardSettings.mode === "none" && !loopbackListen(options.host ?? "0.0.0.0"))
    throw new DashboardAuthSettingsError(
      `HEIMDALL_DASHBOARD_AUTH=none lets anyone who reaches the server act as an admin: it is allowed only when HOST is a loopback address (127.0.0.1, ::1, localhost), not ${options.host ?? "0.0.0.0"}`,
    );
  const db = connect(options.databaseUrl);
  await migrateToLatest(db);

  // BullMQ's workers block on Redis: they need a connection that never gives up a request.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const publisher = new Redis(options.redisUrl);
  // While Redis is away both reconnect on their own; what they would print raw is logged once per error.
  for (const client of [connection, publisher]) {
    client.on("error", (error: Error) => options.probot.log.debug({ err: error }, "redis connection error"));
  }
  const queues = new Queues({
    connection,
    prefix,
    announce: (change) => publisher.publish(changesChannel(prefix), change),
  });
  const writer = createGitHubWriter({ ...options.writer, redis: publisher, keyPrefix: `${prefix}:github` });
  const reporter = new Reporter({
    db,
    writer,
    auth: (installationId) => options.probot.auth(installationId),
    buildPageUrl: (buildId, cellKey) =>
      options.publicUrl
        ? detailsLink(
            { signer: options.signer ?? null, publicUrl: options.publicUrl, dashboard: dashboardLinks },
            buildId,
            cellKey,
          )
        : null,
    liveLogUrl: (attemptId) =>
      options.publicUrl ? liveLogLink(options.signer ?? null, options.publicUrl, attemptId) : null,
  });
  const cancelRunning = async (attemptId: string) => {
    await publisher.publish(cancelChannel(prefix), attemptId);
  };
  const workers: Worker[] = [
    reporter.start(connection, { prefix }),
    // fail_fast stops running cells: the consumer tells their workers as superseding does.
    startCellEventConsumer({ db, queues, cancelRunning, log: options.probot.log }, connection, { prefix }),
  ];
  workers.push(
    await startMaintenance(
      {
        db,
        queues,
        redis: publisher,
        prefix,
        writer,
        appOctokit: () => options.probot.auth() as Promise<InstallationOctokit>,
        cancelRunning,
        log: options.probot.log,
      },
      connection,
      options.maintenance ?? MAINTENANCE_DEFAULTS,
    ),
  );
  // A queue worker's connection trouble (Redis restarting, a lost job lock) is logged, not printed raw.
  for (const worker of workers) {
    worker.on("error", (error) => options.probot.log.warn({ err: error }, "queue worker error"));
  }
  const app = heimdallApp({ db, queues, writer, cancelRunning });
  // The app's handlers on Probot's webhooks; the body reaches them through the bounded intake only.
  await options.probot.load(app);
  const inbox = new WebhookInbox({
    db,
    probot: options.probot,
    log: options.probot.log.child({ name: "webhook-inbox" }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.webhookInbox ? { options: options.webhookInbox } : {}),
  }).start();
  const webhooks = webhookIntake({
    probot: options.probot,
    accept: (delivery) => inbox.accept(delivery),
    path: options.webhookPath ?? "/api/github/webhooks",
    log: options.probot.log.child({ name: "webhooks" }),
    ...(options.webhookBodies?.maxBytes ? { maxBodyBytes: options.webhookBodies.maxBytes } : {}),
    ...(options.webhookBodies?.maxPendingBytes ? { maxPendingBytes: options.webhookBodies.maxPendingBytes } : {}),
    ...(options.webhookBodies?.deadlineMs ? { bodyDeadlineMs: options.webhookBodies.deadlineMs } : {}),
  });
  const liveLogs = new LiveLogFollowers({ redis: publisher, prefix });
  const buildEvents = new BuildEvents({ redis: publisher, prefix, db });
  const now = options.now ?? (() => new Date());
  const tokens = new TokenCache({ lookup: (hash) => tokenByHash(db, hash), now });
  const revocations = listenForRevocations(options.databaseUrl, {
    onRevoked: (tokenId) => tokens.forget(tokenId),
    onListening: (listening) => tokens.setListening(listening),
    onError: (error) => options.probot.log.debug({ err: error }, "token revocations' connection lost"),
  });
  const signedLinks = apiRoutes({
    store: options.store ?? null,
    signer: options.signer ?? null,
    redis: publisher,
    prefix,
    followers: liveLogs,
  });
  const githubUrl = (options.githubUrl ?? "https://github.com").replace(/\/$/, "");
  const github = await appGitHubProbe(() => options.probot.auth());
  const dashboardAuth = new DashboardAuth(dashboardSettings, {
    db,
    now,
    githubUrl,
    apiUrl: github.apiUrl,
    publicUrl: options.publicUrl ?? null,
  });
  const {
    app: fastify,
    server: http,
    apiRoutes: routes,
  } = await createHttpApp({
    dashboardAuth,
    dashboardDir,
    log: options.probot.log,
    webhookPath: options.webhookPath ?? "/api/github/webhooks",
    webhooks,
    signedLinks,
    redis: publisher,
    prefix,
    db,
    queues,
    store: options.store ?? null,
    signer: options.signer ?? null,
    publicUrl: options.publicUrl ?? null,
    now,
    tokens,
    liveLogs,
    buildEvents,
    githubUrl,
    version: VERSION,
    github,
    ...(options.probeTimeoutMs ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
    installationOctokit: (installationId) => options.probot.auth(installationId),
    cancelRunning,
    storedConfiguration: (name) => latestConfiguration(db, name),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 3000, options.host ?? "0.0.0.0", resolve));
  const { port } = http.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1";

  return {
    url: `http://${host}:${port}`,
    db,
    queues,
    writer,
    inbox,
    tokens,
    apiRoutes: routes,
    async close() {
      // No new request; followed live logs (they last as long as their builds) and idle keep-alives end now.
      const requestsDone = new Promise<void>((resolve) => http.close(() => resolve()));
      signedLinks.shutdown();
      await buildEvents.close();
      http.closeIdleConnections();
      // No new job; the running ones may finish.
      const jobsDone = Promise.all(workers.map((w) => w.close()));
      // A webhook being received gets its answer; deliveries being handled may finish, or are let go of.
      await Promise.all([settledWithin(requestsDone, STOP_REQUESTS_MS), inbox.close(STOP_REQUESTS_MS)]);
      http.closeAllConnections();
      // A sync waiting for its slot in the limiter stops waiting: its job is tried again later, by any server.
      await writer.close();
      await settledWithin(jobsDone, STOP_JOBS_MS);
      await queues.close();
      await fastify.close();
      await revocations.close();
      await db.destroy();
      connection.disconnect();
      publisher.disconnect();
    },
  };
}
