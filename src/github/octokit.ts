/**
 * Probot's Octokit without its own throttling and retries: every write goes
 * through the GitHubWriter, which spaces, limits and retries them once. (A
 * function, not an object: Probot lays its throttle options over an object's.)
 */
import { ProbotOctokit } from "probot";

export const WriterOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));
