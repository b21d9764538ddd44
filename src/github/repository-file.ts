/** A file of the repository at a commit, through the contents API. */
import { LIMITS } from "../config/limits.ts";
import type { InstallationOctokit } from "./reporter.ts";

/**
 * The file's text, or null when the commit has no such file. A file larger
 * than the config limit is returned cut just past it, so the parser reports
 * its size rather than the app reading megabytes from an untrusted repository.
 */
export async function readRepositoryFile(
  octokit: InstallationOctokit,
  owner: string,
  repo: string,
  path: string,
  ref: string,
): Promise<string | null> {
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref });
    if (Array.isArray(data) || data.type !== "file") return null;
    if (data.size > LIMITS.fileBytes) return "x".repeat(LIMITS.fileBytes + 1);
    const content = "content" in data && typeof data.content === "string" ? data.content : "";
    return Buffer.from(content, "base64").toString("utf8");
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}
