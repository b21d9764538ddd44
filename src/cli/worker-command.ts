/** `heimdall-build worker`: runs cells from one platform's queue in containers on this host. */
import os from "node:os";
import path from "node:path";
import { PLATFORMS, type Platform } from "../config/catalog.ts";
import { checkDeploymentId, DeploymentIdError } from "../deployment.ts";
import { normalHttpHost } from "../executor/source-urls.ts";
import type { CliIo } from "./program.ts";
import { untilStopSignal } from "./stop-signals.ts";

/**
 * After SIGTERM, running cells have this long to finish and be reported; the rest
 * are handed back (stopped, their jobs returned to the queue), and the process is
 * gone well inside the 10 s a supervisor waits before SIGKILL.
 */
export const HAND_BACK_AFTER_MS = 5000;

export interface WorkerCommandOptions {
  readonly platform: string;
  readonly concurrency?: string;
  readonly executor: string;
}

export async function workerCommand(
  options: WorkerCommandOptions,
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (!(PLATFORMS as readonly string[]).includes(options.platform)) {
    io.stderr(`heimdall-build worker: --platform is one of ${PLATFORMS.join(", ")}, not '${options.platform}'\n`);
    return 2;
  }
  const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
    io.stderr("heimdall-build worker: --concurrency is a whole number from 1 to 64\n");
    return 2;
  }
  if (options.executor !== "docker" && options.executor !== "host") {
    io.stderr(`heimdall-build worker: --executor is docker or host, not '${options.executor}'\n`);
    return 2;
  }
  const maxCellMs = maxCellMsOf(env.HEIMDALL_MAX_CELL_MINUTES);
  if (typeof maxCellMs === "string") {
    io.stderr(`heimdall-build worker: ${maxCellMs}\n`);
    return 2;
  }
  const settingError = checkDeploymentSettings(env);
  if (settingError) {
    io.stderr(`heimdall-build worker: ${settingError}\n`);
    return 2;
  }
  if (!env.REDIS_URL) {
    io.stderr("heimdall-build worker: set REDIS_URL (see .env.example)\n");
    return 2;
  }
  const { default: Docker } = await import("dockerode");
  const docker = options.executor === "docker" ? new Docker() : undefined;
  try {
    await docker?.ping();
  } catch (error) {
    io.stderr(`heimdall-build worker: no Docker engine answers (${String(error)})\n`);
    return 2;
  }
  const { startWorker } = await import("../worker.ts");
  const { UrlSigner } = await import("../storage/url-signer.ts");
  const { appCloneTokens, githubApiBaseUrl, plainHttpGitHost } = await import("../github/clone-tokens.ts");
  const { getPrivateKey } = await import("@probot/get-private-key");
  // The app's credentials mint a read-only token per repository; without them only public repositories clone.
  const privateKey = env.APP_ID ? getPrivateKey({ env }) : null;
  if (env.APP_ID && !privateKey) {
    io.stderr("heimdall-build worker: APP_ID is set but no PRIVATE_KEY or PRIVATE_KEY_PATH\n");
    return 2;
  }
  const cloneTokens =
    env.APP_ID && privateKey
      ? appCloneTokens({ appId: env.APP_ID, privateKey, baseUrl: githubApiBaseUrl(env) })
      : undefined;
  const plainHttpHost = plainHttpGitHost(env);
  const { createObjectStore, storageEnvOf } = await import("../storage/object-store.ts");
  const worker = await startWorker({
    // S3 when S3_BUCKET is set, else a folder (STORAGE_DIR) the API serves.
    store: createObjectStore(storageEnvOf(env)),
    ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
    signer: env.HEIMDALL_URL_SECRET ? new UrlSigner(env.HEIMDALL_URL_SECRET) : null,
    redisUrl: env.REDIS_URL,
    ...(cloneTokens ? { cloneTokens } : {}),
    platform: options.platform as Platform,
    executor: options.executor,
    ...(docker ? { docker } : {}),
    cacheDir: env.HEIMDALL_CACHE_DIR ?? path.join(os.homedir(), ".cache", "heimdall-build", "worker"),
    ...(concurrency ? { concurrency } : {}),
    ...(env.HEIMDALL_REDIS_PREFIX ? { prefix: env.HEIMDALL_REDIS_PREFIX } : {}),
    ...(env.HEIMDALL_DEPLOYMENT_ID ? { deploymentId: env.HEIMDALL_DEPLOYMENT_ID } : {}),
    // A GitHub Enterprise Server without TLS: its clone URLs are http://, and only its own are accepted so.
    ...(plainHttpHost ? { plainHttpHost } : {}),
    ...(env.HEIMDALL_APT_OPTIONS ? { aptOptions: env.HEIMDALL_APT_OPTIONS } : {}),
    ...(env.HEIMDALL_CCACHE_MAXSIZE ? { cacheMaxSize: env.HEIMDALL_CCACHE_MAXSIZE } : {}),
    ...(maxCellMs !== null ? { maxCellMs } : {}),
    ...(env.HEIMDALL_JOB_LOCK_MS ? { lockDurationMs: Number(env.HEIMDALL_JOB_LOCK_MS) } : {}),
    // Local mirrors and tests only: a production worker clones over https.
    ...(env.HEIMDALL_ALLOW_FILE_URLS === "1" ? { allowFileUrls: true } : {}),
    ...(env.HEIMDALL_STALLED_INTERVAL_MS ? { stalledIntervalMs: Number(env.HEIMDALL_STALLED_INTERVAL_MS) } : {}),
  });
  if (!env.S3_BUCKET && !env.HEIMDALL_URL_SECRET) {
    io.stderr(
      "heimdall-build worker: no S3_BUCKET and no HEIMDALL_URL_SECRET: the check runs' links to logs, artifacts and SBOMs in the folder store will not be served (set HEIMDALL_URL_SECRET on workers and servers)\n",
    );
  }
  io.stderr(
    `heimdall-build worker ${worker.name} (deployment ${worker.deployment}): taking ${options.platform} cells${cloneTokens ? "" : " (no APP_ID: public repositories only)"}\n`,
  );
  const signal = await untilStopSignal(io, "worker");
  io.stderr(
    `heimdall-build worker: ${signal}: taking no more cells; those not finished in ${HAND_BACK_AFTER_MS / 1000} s go back to the queue\n`,
  );
  await worker.close({ handBackAfterMs: HAND_BACK_AFTER_MS });
  return 0;
}

/**
 * HEIMDALL_MAX_CELL_MINUTES in milliseconds: null when unset, or what is wrong
 * with it. At least a second (less would round to no limit at all), at most
 * the 720 minutes a config may ask for.
 */
export function maxCellMsOf(value: string | undefined): number | null | string {
  if (value === undefined || value.trim() === "") return null;
  const minutes = Number(value);
  const ms = Math.round(minutes * 60_000);
  if (!Number.isFinite(minutes) || ms < 1_000 || minutes > 720) {
    return `HEIMDALL_MAX_CELL_MINUTES is a number of minutes from 1 s (0.017) to 720, not '${value}'`;
  }
  return ms;
}

/**
 * What is wrong with the settings naming this deployment and its GitHub, or
 * null: HEIMDALL_DEPLOYMENT_ID's spelling, GHE_PROTOCOL (http or https), and a
 * GHE_HOST that is a bare `host[:port]` when the worker is to clone from it over http.
 */
export function checkDeploymentSettings(env: NodeJS.ProcessEnv): string | null {
  if (env.HEIMDALL_DEPLOYMENT_ID !== undefined) {
    try {
      checkDeploymentId(env.HEIMDALL_DEPLOYMENT_ID);
    } catch (error) {
      return error instanceof DeploymentIdError ? error.message : String(error);
    }
  }
  const protocol = env.GHE_PROTOCOL;
  if (protocol !== undefined && protocol !== "" && protocol !== "http" && protocol !== "https") {
    return `GHE_PROTOCOL is http or https, not '${protocol}'`;
  }
  if (protocol === "http" && env.GHE_HOST && normalHttpHost(env.GHE_HOST) === null) {
    return `GHE_HOST is a host name with an optional :port (GHE_PROTOCOL=http), not '${env.GHE_HOST}'`;
  }
  return null;
}
