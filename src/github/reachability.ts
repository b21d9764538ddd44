/**
 * Whether GitHub answers the app, for the API's /status: `GET /app` with the
 * app's JWT, which needs GitHub reachable and the app's key accepted. Through
 * Probot's Octokit, so it goes where the app's writes go (a GitHub Enterprise
 * Server's /api/v3 with GHE_HOST), without retries (WriterOctokit has none).
 */
import type { ProbotOctokit } from "probot";
import type { GitHubProbe } from "../api/v1.ts";

export async function appGitHubProbe(auth: () => Promise<ProbotOctokit>): Promise<GitHubProbe> {
  const octokit = await auth();
  return {
    apiUrl: octokit.request.endpoint.DEFAULTS.baseUrl,
    async probe(signal) {
      const response = await octokit.request("GET /app", { request: { signal } });
      return response.status;
    },
  };
}
