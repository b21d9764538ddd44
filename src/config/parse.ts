/**
 * `.heimdall-build.yml` text in; a validated config and its expanded matrix out,
 * or every problem found, each with FILE:LINE:COL and the field path.
 *
 * Never throws for bad input: YAML errors, alias bombs, oversized files, schema
 * violations and impossible matrices all come back as positioned problems. A
 * file that says `extends` is read over its base (extends.ts), each problem
 * placed in the text it comes from.
 */
import { environmentProblems } from "./cell-environment.ts";
import { type BaseConfig, type Combined, type UnresolvedBase, withBase } from "./extends.ts";
import { BUILT_IN_NAMES, interpolationProblems } from "./interpolate.ts";
import { type Cell, expandMatrix } from "./matrix.ts";
import { ConfigError, type ConfigProblem, issuesToProblems, type PositionedProblem } from "./problems.ts";
import { type Config, configSchema } from "./schema.ts";
import { knownKeysAt } from "./schema-keys.ts";
import { testsProblems } from "./tests-check.ts";
import { readYaml } from "./yaml-source.ts";

export const DEFAULT_CONFIG_FILE = ".heimdall-build.yml";

export type ParseResult =
  | {
      readonly ok: true;
      readonly config: Config;
      readonly cells: readonly Cell[];
      readonly warnings: readonly PositionedProblem[];
    }
  | { readonly ok: false; readonly problems: readonly PositionedProblem[] };

export interface ParseOptions {
  /** The name problems are reported under, as the user would open it. */
  readonly file?: string;
  /**
   * The stored configuration the file's `extends` names, as the caller found
   * it, or why it could not (said at `extends`). Not used when the file does
   * not extend; its problems are reported under its own name (extends.ts).
   */
  readonly base?: BaseConfig | UnresolvedBase;
  /**
   * A matrix to build instead of the document's (the API's explicit cells): the
   * file (over its base) gives every other setting. Its problems keep their path
   * (`matrix.…`) but have no place in any file: they point at the file's first line.
   */
  readonly matrix?: unknown;
}

export function parseConfig(text: string, options: ParseOptions = {}): ParseResult {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  const fail = (problems: readonly PositionedProblem[]) => failed(problems, file);
  const read = readYaml(text, file);
  if (!read.ok) return fail(read.problems);
  const combined = withBase(read.source, options.base);
  if (!combined.ok) return fail(combined.problems);
  const { data, place } = withMatrix(combined, options.matrix, file);

  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    return fail(issuesToProblems(result.error.issues, (path) => knownKeysAt(configSchema, path)).map(place));
  }

  // Expressions are checked in the data as written (a base's merged in), where each path is a file's.
  const names = [...BUILT_IN_NAMES, ...Object.keys(result.data.matrix.axes ?? {})];
  const expressions = interpolationProblems(data, names).map((p): ConfigProblem => ({ severity: "error", ...p }));
  if (expressions.length > 0) return fail(expressions.map(place));
  const expansion = expandMatrix(result.data);
  const tests = testsProblems(result.data, (data as { tests?: unknown }).tests);
  const problems = [...tests, ...expansion.problems, ...environmentProblems(result.data, expansion.cells)];
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) return fail(problems.map(place));
  return {
    ok: true,
    config: result.data,
    cells: expansion.cells,
    warnings: problems.map(place),
  };
}

/** The data with `matrix` in place of its own (when given), and where its problems go: the file's first line. */
function withMatrix(combined: Extract<Combined, { ok: true }>, matrix: unknown, file: string) {
  const { data, place } = combined;
  if (matrix === undefined || typeof data !== "object" || data === null || Array.isArray(data)) return combined;
  return {
    data: { ...data, matrix },
    place: (p: ConfigProblem): PositionedProblem =>
      (p.pointAt ?? p.path)[0] === "matrix" ? { ...p, file, line: 1, column: 1, endLine: 1, endColumn: 1 } : place(p),
  };
}

/** As parseConfig, but throws a ConfigError (with every problem) when the config is bad. */
export function parseConfigOrThrow(text: string, options: ParseOptions = {}) {
  const result = parseConfig(text, options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result;
}

/** Past this many, the rest are summed up in one line: a hostile file can make thousands. */
export const MAX_PROBLEMS = 100;

/** The file's own problems first, then its base's; each by position. */
function failed(problems: readonly PositionedProblem[], file: string): ParseResult {
  const sorted = [...problems].sort(
    (a, b) => Number(a.file !== file) - Number(b.file !== file) || a.line - b.line || a.column - b.column,
  );
  if (sorted.length <= MAX_PROBLEMS) return { ok: false, problems: sorted };
  const shown = sorted.slice(0, MAX_PROBLEMS - 1);
  const rest = sorted.length - shown.length;
  const next = sorted[shown.length] as PositionedProblem;
  return {
    ok: false,
    problems: [...shown, { ...next, path: [], atKey: false, message: `${rest} more problems not shown, from here on` }],
  };
}
