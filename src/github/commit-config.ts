/**
 * A commit's `.heimdall-build.yml`, read and parsed (over the stored
 * configuration it extends): the one place the server turns a repository's
 * file into a config, for a push, a pull request, a fork's default branch and
 * a build asked for through the API alike.
 */
import { DEFAULT_CONFIG_FILE, type ParseOptions, type ParseResult } from "../config/parse.ts";
import type { PositionedProblem } from "../config/problems.ts";
import type { Db } from "../db/connect.ts";
import type { InstallationOctokit } from "./reporter.ts";
import { readRepositoryFile } from "./repository-file.ts";
import { parseRepositoryConfig } from "./resolve-extends.ts";

export type CommitConfig =
  /** The commit has no `.heimdall-build.yml`: the repository is not built. */
  | { readonly kind: "missing" }
  /** `digestInput` identifies this config (the file, and the base's name and version): the build's digest is made of it. */
  | { readonly kind: "broken"; readonly digestInput: string; readonly problems: readonly PositionedProblem[] }
  | { readonly kind: "ok"; readonly digestInput: string; readonly parsed: Extract<ParseResult, { ok: true }> };

/** The file at `ref`, parsed; `options.matrix` replaces its matrix (the API's explicit cells). */
export async function readCommitConfig(
  db: Db,
  octokit: InstallationOctokit,
  owner: string,
  repo: string,
  ref: string,
  options: Pick<ParseOptions, "matrix"> = {},
): Promise<CommitConfig> {
  const text = await readRepositoryFile(octokit, owner, repo, DEFAULT_CONFIG_FILE, ref);
  if (text === null) return { kind: "missing" };
  const { parsed, digestInput } = await parseRepositoryConfig(db, text, options);
  return parsed.ok ? { kind: "ok", digestInput, parsed } : { kind: "broken", digestInput, problems: parsed.problems };
}
