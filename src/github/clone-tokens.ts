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
    // auth-app caches each (installation, repositories, permissions) token until shortly before it expires.
    const { token } = await auth({
      type: "installation",
      installationId: id,
      repositoryNames: [name],
      permissions: { contents: "read" },
    });
    return token;
  };
}
