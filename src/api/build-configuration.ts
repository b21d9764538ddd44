/**
 * What POST /builds builds: the config and cells of one of three sources, each
 * through parseConfig and so through the catalog (an impossible cell is skipped
 * with its reason, never failed): the repository's `.heimdall-build.yml` at the
 * commit; a stored configuration by name; or explicit cells, built with the
 * repository's file's settings (or the defaults, without one) and exactly them
 * as its matrix.
 */
import type { SANITIZERS } from "../config/catalog.ts";
import { type BaseConfig, baseFileName } from "../config/extends.ts";
import type { Cell } from "../config/matrix.ts";
import { type ParseResult, parseConfig } from "../config/parse.ts";
import { type FieldPath, formatPath, type PositionedProblem } from "../config/problems.ts";
import type { Config } from "../config/schema.ts";
import type { Db } from "../db/connect.ts";
import { readCommitConfig } from "../github/commit-config.ts";
import type { InstallationOctokit } from "../github/reporter.ts";
import { ApiError } from "./errors.ts";

/** A stored configuration's latest version by name (its text, as `extends` reads it), or null when there is none. */
export type StoredConfigurations = (name: string) => Promise<BaseConfig | null>;

/** One cell as the API names it (the plan's shape). */
export interface CellRequest {
  readonly platform: string;
  readonly compiler: string;
  readonly version: number | string;
  readonly cxx_standard: number;
  readonly build_type: string;
  readonly llvm_version?: number | undefined;
  readonly enable_tests?: boolean | undefined;
  readonly enable_coverage?: boolean | undefined;
  readonly enable_sanitizers?: boolean | readonly (typeof SANITIZERS)[number][] | undefined;
}

export interface ResolvedConfiguration {
  readonly source: "repository" | "stored" | "cells";
  /** The stored configuration's name and version (source `stored`). */
  readonly name: string | null;
  readonly version: number | null;
  readonly config: Config;
  readonly cells: readonly Cell[];
  /** What the build's config digest is made of (with a part of its own: each POST is a build). */
  readonly digestInput: string;
}

/** `enable_sanitizers: true`: the pair most projects run together. */
export const DEFAULT_SANITIZERS = ["address", "undefined"] as const;

/** The name explicit cells' problems are reported under (they have no line in any file). */
export const REQUEST_FILE = "request body";

export interface ConfigurationSource {
  readonly db: Db;
  readonly octokit: InstallationOctokit;
  readonly stored: StoredConfigurations;
  readonly owner: string;
  readonly repo: string;
  readonly sha: string;
}

export async function resolveConfiguration(
  from: ConfigurationSource,
  configurations: string | readonly CellRequest[] | undefined,
): Promise<ResolvedConfiguration> {
  const { octokit, owner, repo, sha } = from;
  if (configurations === undefined) {
    const read = await readCommitConfig(from.db, octokit, owner, repo, sha);
    if (read.kind === "missing")
      throw new ApiError(
        "invalid_configuration",
        `${owner}/${repo} has no .heimdall-build.yml at ${sha.slice(0, 7)}; name a stored configuration or send cells in \`configurations\``,
        { problems: [] },
      );
    if (read.kind === "broken") throw invalid(`.heimdall-build.yml at ${sha.slice(0, 7)}`, read.problems, false);
    return { source: "repository", name: null, version: null, ...ok(read.parsed), digestInput: read.digestInput };
  }
  if (typeof configurations === "string") {
    const stored = await from.stored(configurations);
    if (!stored) throw new ApiError("not_found", `no stored configuration named '${configurations}'`);
    const parsed = parseConfig(stored.text, { file: baseFileName(stored) });
    if (!parsed.ok) throw invalid(`the stored configuration '${stored.name}'`, parsed.problems, false);
    const digestInput = `stored\0${stored.name}\0${stored.version}\0${stored.text}`;
    return { source: "stored", name: stored.name, version: stored.version, ...ok(parsed), digestInput };
  }
  const matrix = { include: configurations.map(includeEntry) };
  const read = await readCommitConfig(from.db, octokit, owner, repo, sha, { matrix });
  // No file: the defaults' settings (`version: 1` is all a config must say besides its matrix).
  const parsed =
    read.kind === "missing"
      ? parseConfig("version: 1\n", { file: REQUEST_FILE, matrix })
      : read.kind === "broken"
        ? { ok: false as const, problems: read.problems }
        : read.parsed;
  if (!parsed.ok) throw invalid("the cells with .heimdall-build.yml's settings", parsed.problems, true);
  const settings = read.kind === "missing" ? "" : read.digestInput;
  return { source: "cells", name: null, version: null, ...ok(parsed), digestInput: `cells\0${settings}` };
}

function ok(parsed: Extract<ParseResult, { ok: true }>) {
  return { config: parsed.config, cells: parsed.cells };
}

/**
 * A cell as an include entry of a matrix with no axes: it matches no combination,
 * so it makes exactly this cell, completed and checked as any include entry is.
 */
function includeEntry(cell: CellRequest): Record<string, unknown> {
  const sanitizers =
    cell.enable_sanitizers === true
      ? DEFAULT_SANITIZERS
      : cell.enable_sanitizers === false
        ? []
        : cell.enable_sanitizers;
  return {
    platform: cell.platform,
    compiler: `${cell.compiler}@${cell.version}`,
    cxx_standard: cell.cxx_standard,
    build_type: cell.build_type,
    ...(cell.llvm_version === undefined ? {} : { llvm: cell.llvm_version }),
    ...(cell.enable_tests === undefined ? {} : { tests: cell.enable_tests }),
    ...(cell.enable_coverage === undefined ? {} : { coverage: cell.enable_coverage }),
    ...(sanitizers === undefined ? {} : { sanitizers: [...sanitizers] }),
  };
}

/** An include entry's keys by the names the request gave them. */
const REQUEST_NAMES: Readonly<Record<string, string>> = {
  llvm: "llvm_version",
  tests: "enable_tests",
  coverage: "enable_coverage",
  sanitizers: "enable_sanitizers",
};

/** 422 with every problem: where (file, line, column; none for the request's own cells), which field, what. */
function invalid(what: string, problems: readonly PositionedProblem[], cells: boolean): ApiError {
  const errors = problems.filter((p) => p.severity === "error");
  const listed = problems.map((p) => {
    const requested = cells ? requestPath(p.path) : null;
    return requested
      ? { severity: p.severity, file: REQUEST_FILE, line: null, column: null, path: requested, message: p.message }
      : {
          severity: p.severity,
          file: p.file,
          line: p.line,
          column: p.column,
          // As the configurations' 422 says it: "" for the document as a whole.
          path: p.path.length === 0 ? "" : formatPath(p.path),
          message: p.message,
        };
  });
  const first = listed.find((p) => p.severity === "error") ?? listed[0];
  const where = first ? ` (first: ${first.path}: ${first.message})` : "";
  return new ApiError(
    "invalid_configuration",
    `${what}: ${errors.length} error${errors.length === 1 ? "" : "s"}${where}`,
    { problems: listed },
  );
}

/** `matrix.include[2].llvm` → `configurations[2].llvm_version`; null for a path outside the request's cells. */
function requestPath(path: FieldPath): string | null {
  if (path[0] !== "matrix") return null;
  if (path[1] !== "include" || typeof path[2] !== "number") return "configurations";
  const [, , index, key, ...rest] = path;
  const renamed = typeof key === "string" ? (REQUEST_NAMES[key] ?? key) : key;
  return formatPath(["configurations", index, ...(renamed === undefined ? [] : [renamed]), ...rest]);
}
