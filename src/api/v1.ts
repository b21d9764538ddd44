/**
 * The routes under /api/v1, one plugin a group, each given what it needs.
 * A route's `config.scope` is what its token must hold (auth.ts).
 */
import type { FastifyPluginAsync } from "fastify";
import type { Redis } from "ioredis";
import type { Db } from "../db/connect.ts";
import type { InstallationOctokit } from "../github/reporter.ts";
import type { Queues } from "../queue/queues.ts";
import type { ObjectStore } from "../storage/object-store.ts";
import type { UrlSigner } from "../storage/url-signer.ts";
import type { StoredConfigurations } from "./build-configuration.ts";
import type { BuildEvents } from "./build-events.ts";
import type { LiveLogFollowers } from "./live-log-stream.ts";
import { buildActionRoutes } from "./routes/build-actions.ts";
import { buildOutputRoutes } from "./routes/build-outputs.ts";
import { buildReadRoutes } from "./routes/builds-read.ts";
import { cellReportRoutes } from "./routes/cell-report.ts";
import { configurationRoutes } from "./routes/configurations.ts";
import { eventRoutes } from "./routes/events.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { queueRoutes } from "./routes/queue.ts";
import { statusRoutes } from "./routes/status.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import type { TokenCache } from "./token-cache.ts";

export interface V1Deps {
  readonly db: Db;
  readonly queues: Queues;
  readonly store: ObjectStore | null;
  readonly signer: UrlSigner | null;
  /** Where the server is reached from outside (links in answers); null: links are paths. */
  readonly publicUrl: string | null;
  readonly now: () => Date;
  /** Followers of running attempts' logs (bounded; all ended when the server stops). */
  readonly liveLogs: LiveLogFollowers;
  /** Where GitHub's pages are: https://github.com, or a GitHub Enterprise Server's address. */
  readonly githubUrl: string;
  /** The server's Redis (not BullMQ's blocking connection) and its key prefix: workers' heartbeats. */
  readonly redis: Redis;
  readonly prefix: string;
  /** heimdall-build's version (package.json). */
  readonly version: string;
  /** Whether GitHub answers the app: `probe` asks it (its HTTP status, or throws); `apiUrl` is where. */
  readonly github: GitHubProbe;
  /** How long each of /status's probes may take (2 s by default). */
  readonly probeTimeoutMs?: number;
  /** An Octokit as the installation (Probot's `auth(id)`): POST /builds reads the commit and its config. */
  readonly installationOctokit: (installationId: number) => Promise<InstallationOctokit>;
  /** Tells whichever worker holds an attempt to stop it (the `<prefix>:cancel` channel). */
  readonly cancelRunning: (attemptId: string) => Promise<void>;
  /** A stored configuration's latest version by name (POST /builds with `configurations: "<name>"`). */
  readonly storedConfiguration: StoredConfigurations;
  /** The live feed of changed builds (GET /events). */
  readonly buildEvents: BuildEvents;
  /** Tokens kept in memory while the server hears revocations (none: every call reads its token). */
  readonly tokens?: TokenCache | undefined;
}

export interface GitHubProbe {
  readonly apiUrl: string;
  probe(signal: AbortSignal): Promise<number>;
}

export function v1Routes(deps: V1Deps): FastifyPluginAsync {
  return async (app) => {
    await app.register(buildReadRoutes(deps));
    await app.register(buildOutputRoutes(deps));
    await app.register(statusRoutes(deps));
    await app.register(queueRoutes(deps));
    await app.register(metricsRoutes(deps));
    await app.register(configurationRoutes(deps));
    await app.register(buildActionRoutes(deps));
    await app.register(eventRoutes(deps));
    await app.register(cellReportRoutes(deps));
    await app.register(tokenRoutes(deps));
  };
}
