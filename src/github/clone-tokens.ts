/**
 * Installation tokens for cloning, minted by a worker for one repository with
 * `contents: read` only: a token that can read the one repository it builds,
 * for an hour at most, and nothing else. It goes to git's fetches only (see
 * executor/source.ts), never into a build container, a job or a log.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createAppAuth } from "@octokit/auth-app";
import { request as defaultRequest } from "@octokit/request";

/** A token to clone `repository` (owner/name) of an installation with; `signal` ends the waits between tries. */
export type CloneTokens = (installationId: string, repository: string, signal?: AbortSignal) => Promise<string>;

export interface AppCredentials {
  readonly appId: string;
  readonly privateKey: string;
  /** The REST API's base URL: GitHub Enterprise Server's `https://HOST/api/v3`, or a local simulator. */
  readonly baseUrl?: string;
  /** Waits between tries after a transient failure (no answer, GitHub's 5xx, a rate limit); default 1 s, 3 s, 9 s. */
  readonly retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [1_000, 3_000, 9_000] as const;

/** The API base URL from Probot's own settings (GHE_HOST, GHE_PROTOCOL). */
export function githubApiBaseUrl(env: NodeJS.ProcessEnv): string {
  if (!env.GHE_HOST) return "https://api.github.com";
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

/**
 * The `host[:port]` workers clone from over plain http: GHE_HOST when
 * GHE_PROTOCOL is `http` (a GitHub Enterprise Server without TLS), else null
 * (every clone over https). The same two settings make the API's URL above, so
 * the server and its workers agree on where GitHub is.
 */
export function plainHttpGitHost(env: NodeJS.ProcessEnv): string | null {
  return env.GHE_HOST && env.GHE_PROTOCOL === "http" ? env.GHE_HOST : null;
}

/**
 * A failure worth another try: GitHub unreachable (Octokit's 500), its own
 * error, or a rate limit (429, or a 403 that says so). Any other 4xx (the app
 * uninstalled, the repository not granted to it) says the same the next time,
 * and an error without a status never reached GitHub (a bad private key): both
 * are reported at once.
 */
function isTransient(error: unknown): boolean {
  const { status, response } = (error ?? {}) as {
    status?: unknown;
    response?: { headers?: Record<string, string | undefined> };
  };
  if (typeof status !== "number") return false;
  if (status >= 500 || status === 429) return true;
  const headers = response?.headers ?? {};
  return status === 403 && (headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0");
}

export function appCloneTokens(credentials: AppCredentials): CloneTokens {
  const auth = createAppAuth({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    request: defaultRequest.defaults({ baseUrl: credentials.baseUrl ?? "https://api.github.com" }),
  });
  return async (installationId, repository, signal) => {
    const id = Number(installationId);
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`installation id '${installationId}' is not a number`);
    const name = repository.split("/")[1];
    if (!name) throw new Error(`repository '${repository}' is not owner/name`);
    const delays = credentials.retryDelaysMs ?? RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        // auth-app caches each (installation, repositories, permissions) token until shortly before it expires.
        const { token } = await auth({
          type: "installation",
          installationId: id,
          repositoryNames: [name],
          permissions: { contents: "read" },
        });
        return token;
      } catch (error) {
        const delay = delays[attempt];
        if (delay === undefined || !isTransient(error)) throw error;
        // Only a cancel rejects the wait: the cell's cancel reason is what the caller sees.
        await sleep(delay, undefined, signal ? { signal } : {}).catch(() => {
          throw signal?.reason;
        });
      }
    }
  };
}
