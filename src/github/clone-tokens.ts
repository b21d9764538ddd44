/**
 * Installation tokens for cloning, minted by a worker for one repository with
 * `contents: read` only: a token that can read the one repository it builds,
 * for an hour at most, and nothing else. It goes to git's fetches only (see
 * executor/source.ts), never into a build container, a job or a log.
 */
import { createAppAuth } from "@octokit/auth-app";
import { request as defaultRequest } from "@octokit/request";

/** A token to clone `repository` (owner/name) of an installation with. */
export type CloneTokens = (installationId: string, repository: string) => Promise<string>;

export interface AppCredentials {
  readonly appId: string;
  readonly privateKey: string;
  /** The REST API's base URL: GitHub Enterprise Server's `https://HOST/api/v3`, or a local simulator. */
  readonly baseUrl?: string;
  /** Waits between tries after a transient failure (GitHub's 5xx, 429, no answer); default 1 s, 3 s, 9 s. */
  readonly retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [1_000, 3_000, 9_000] as const;

/**
 * A failure worth another try: no answer at all, a rate limit, or GitHub's own
 * error. A 401, 403 or 404 (the app uninstalled, the repository not granted to
 * it) says the same the next time and is reported at once.
 */
function isTransient(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status !== "number" || status === 0) return true;
  return status === 429 || status >= 500;
}

/** The API base URL from Probot's own settings (GHE_HOST, GHE_PROTOCOL). */
export function githubApiBaseUrl(env: NodeJS.ProcessEnv): string {
  if (!env.GHE_HOST) return "https://api.github.com";
  return `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
}

export function appCloneTokens(credentials: AppCredentials): CloneTokens {
  const auth = createAppAuth({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    request: defaultRequest.defaults({ baseUrl: credentials.baseUrl ?? "https://api.github.com" }),
  });
  return async (installationId, repository) => {
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
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}
