/**
 * What a person signed in with GitHub may see: with their user token (the
 * app's OAuth), the installations of this app they can reach and, in each,
 * the repositories they can read; `push` (or admin) on one makes it `write`.
 * GitHub computes the intersection: an installation's repository the user
 * cannot read is not listed.
 */
import { request as octokitRequest } from "@octokit/request";
import type { RepositoryAccess } from "../db/schema.ts";

export interface GitHubUser {
  readonly id: number;
  readonly login: string;
  readonly name: string | null;
  readonly avatarUrl: string | null;
}

export interface UserAccess {
  readonly user: GitHubUser;
  /** owner/name in lower case → access. */
  readonly repositories: Record<string, RepositoryAccess>;
}

const PER_PAGE = 100;
/** A bound on what one sign-in reads: 50 pages of installations or repositories. */
const MAX_PAGES = 50;

export async function userAccess(apiUrl: string, userToken: string): Promise<UserAccess> {
  const request = octokitRequest.defaults({
    baseUrl: apiUrl,
    headers: { authorization: `token ${userToken}`, "x-github-api-version": "2022-11-28" },
  });
  const { data: user } = await request("GET /user");
  const repositories: Record<string, RepositoryAccess> = {};
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await request("GET /user/installations", { per_page: PER_PAGE, page });
    for (const installation of data.installations) {
      for (let repoPage = 1; repoPage <= MAX_PAGES; repoPage++) {
        const { data: listed } = await request("GET /user/installations/{installation_id}/repositories", {
          installation_id: installation.id,
          per_page: PER_PAGE,
          page: repoPage,
        });
        for (const repo of listed.repositories) {
          const write = repo.permissions?.push === true || repo.permissions?.admin === true;
          const name = repo.full_name.toLowerCase();
          if (write || !repositories[name]) repositories[name] = write ? "write" : "read";
        }
        if (listed.repositories.length < PER_PAGE) break;
      }
    }
    if (data.installations.length < PER_PAGE) break;
  }
  return {
    user: { id: Number(user.id), login: user.login, name: user.name ?? null, avatarUrl: user.avatar_url || null },
    repositories,
  };
}
