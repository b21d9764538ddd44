/**
 * A repository's `.heimdall-build.yml` parsed as the server builds it: over
 * the stored configuration its `extends` names, that name's latest version
 * when the commit is built. What the build's config digest is made of says
 * which version it was, so a new version of the base is a new build of the
 * same commit (and a base that did not exist, a new configuration check).
 */
import { extendsName } from "../config/extends.ts";
import { DEFAULT_CONFIG_FILE, type ParseOptions, type ParseResult, parseConfig } from "../config/parse.ts";
import { latestConfiguration } from "../db/configurations.ts";
import type { Db } from "../db/connect.ts";

export interface RepositoryConfig {
  readonly parsed: ParseResult;
  /** What identifies the config built: the file's text, and the base's name and version when it extends one. */
  readonly digestInput: string;
}

/** `more.matrix`: the API's cells instead of the file's matrix (the file's and its base's settings kept). */
export async function parseRepositoryConfig(
  db: Db,
  text: string,
  more: Pick<ParseOptions, "matrix"> = {},
): Promise<RepositoryConfig> {
  const name = extendsName(text);
  // A file that extends nothing (or names no possible configuration, which the parse reports) is its own text.
  if (name === null) return { parsed: parseConfig(text, { ...more, file: DEFAULT_CONFIG_FILE }), digestInput: text };
  const base = await latestConfiguration(db, name);
  if (!base) {
    const unresolved = `no stored configuration is named '${name}' (GET /api/v1/configurations lists them; POST /api/v1/configurations stores one)`;
    return {
      parsed: parseConfig(text, { ...more, file: DEFAULT_CONFIG_FILE, base: { unresolved } }),
      digestInput: `${text}\0extends ${name}: none`,
    };
  }
  return {
    parsed: parseConfig(text, { ...more, file: DEFAULT_CONFIG_FILE, base }),
    digestInput: `${text}\0extends ${base.name}@v${base.version}`,
  };
}
