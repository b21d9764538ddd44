/**
 * `.heimdall-build.yml` text in; a validated config and its expanded matrix out,
 * or every problem found, each with FILE:LINE:COL and the field path.
 *
 * Never throws for bad input: YAML errors, alias bombs, oversized files, schema
 * violations and impossible matrices all come back as positioned problems.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { environmentProblems } from "./cell-environment.ts";
import { BUILT_IN_NAMES, interpolationProblems } from "./interpolate.ts";
import { LIMITS } from "./limits.ts";
import { type Cell, expandMatrix } from "./matrix.ts";
import {
  ConfigError,
  type ConfigProblem,
  type FieldPath,
  issuesToProblems,
  type PositionedProblem,
} from "./problems.ts";
import { type Config, configSchema } from "./schema.ts";
import { knownKeysAt } from "./schema-keys.ts";
import { testsProblems } from "./tests-check.ts";

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
}

export function parseConfig(text: string, options: ParseOptions = {}): ParseResult {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  const at = (p: ConfigProblem, line = 1, column = 1): PositionedProblem => ({
    ...p,
    file,
    line,
    column,
    endLine: line,
    endColumn: column,
  });

  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > LIMITS.fileBytes) {
    return fail([
      at({ severity: "error", path: [], message: `the file is ${bytes} bytes; the limit is ${LIMITS.fileBytes}` }),
    ]);
  }

  // The core schema, even under a `%YAML 1.1` directive, and no YAML 1.1 tags
  // (!!binary, !!set, !!timestamp...): the document reads as plain data only.
  // Duplicate keys are found by `duplicateKeys`: yaml's own check compares
  // every pair of keys, which a file of thousands of keys turns into seconds.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: false,
    version: "1.2",
    schema: "core",
    resolveKnownTags: false,
    // yaml would print its warnings (a collection as a key) on the process's stderr.
    logLevel: "error",
  });
  const locate = lineLocator(text);
  const positioned = (p: ConfigProblem, range: readonly [number, number] | null): PositionedProblem => {
    if (!range) return at(p);
    const start = locate(range[0]);
    const end = locate(Math.max(range[0], range[1]));
    return { ...p, file, line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };

  const duplicates = duplicateKeys(doc.contents);
  if (doc.errors.length > 0 || duplicates.length > 0) {
    return fail([
      ...doc.errors.map((e) =>
        positioned({ severity: "error", path: [], message: yamlMessage(e.message) }, [e.pos[0], e.pos[1]]),
      ),
      ...duplicates.map((key) =>
        positioned({ severity: "error", path: [], message: "YAML: map keys must be unique" }, nodeRange(key)),
      ),
    ]);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return fail([
      at({ severity: "error", path: [], message: "the file is empty; it needs at least `version: 1` and a `matrix`" }),
    ]);
  }

  let data: unknown;
  try {
    // maxAliasCount bounds how much aliases may expand: a "billion laughs"
    // document fails here instead of filling memory.
    data = doc.toJS({ maxAliasCount: LIMITS.aliases });
  } catch (error) {
    // yaml: "Unresolved alias (the anchor must be set before the alias): NAME"
    const unresolved = /^Unresolved alias\b.*: (.+)$/.exec(error instanceof Error ? error.message : "")?.[1];
    const alias = firstAlias(doc.contents, unresolved);
    const message =
      unresolved !== undefined
        ? `the alias *${unresolved} refers to no anchor; an anchor (&${unresolved}) must come before its aliases`
        : error instanceof ReferenceError || /alias/i.test(String(error))
          ? `aliases expand too much (more than ${LIMITS.aliases} times); write the values out or use fewer aliases`
          : `cannot read the document: ${String(error)}`;
    return fail([
      positioned({ severity: "error", path: [], message }, alias?.range ? [alias.range[0], alias.range[1]] : null),
    ]);
  }

  const place = (p: ConfigProblem) =>
    positioned(p, p.pointAt ? rangeOf(doc.contents, p.pointAt, true) : rangeOf(doc.contents, p.path, p.atKey ?? false));
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    return fail(issuesToProblems(result.error.issues, (path) => knownKeysAt(configSchema, path)).map(place));
  }

  // Expressions are checked in the file's own data, where each path is the file's.
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

/** As parseConfig, but throws a ConfigError (with every problem) when the config is bad. */
export function parseConfigOrThrow(text: string, options: ParseOptions = {}) {
  const result = parseConfig(text, options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result;
}

/** Past this many, the rest are summed up in one line: a hostile file can make thousands. */
export const MAX_PROBLEMS = 100;

function fail(problems: readonly PositionedProblem[]): ParseResult {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  if (sorted.length <= MAX_PROBLEMS) return { ok: false, problems: sorted };
  const shown = sorted.slice(0, MAX_PROBLEMS - 1);
  const rest = sorted.length - shown.length;
  const next = sorted[shown.length] as PositionedProblem;
  return {
    ok: false,
    problems: [...shown, { ...next, path: [], atKey: false, message: `${rest} more problems not shown, from here on` }],
  };
}

/** yaml's messages end with " at line N, column M"; the position is ours to print. */
function yamlMessage(message: string): string {
  const text = message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "").trim();
  return `YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

/**
 * LINE:COL (1-based) of an offset. The lines are counted in the text itself:
 * yaml's LineCounter misses the newlines inside some malformed scalars.
 */
function lineLocator(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    const at = Math.max(0, Math.min(offset, text.length));
    // The last line that starts at or before `at`.
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: at - (starts[low] ?? 0) + 1 };
  };
}

type Range = readonly [number, number];

/**
 * The source range of the node at `path`, or of the deepest ancestor that
 * exists (a missing key points at the mapping that lacks it).
 */
function rangeOf(root: Node | null, path: FieldPath, atKey: boolean): Range | null {
  let node: unknown = root;
  let best: Range | null = nodeRange(root);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairAt(node, String(segment));
      if (!pair) return best;
      if (last && atKey) return nodeRange(pair.key) ?? best;
      node = pair.value;
      // `key:` with no value: point at the key.
      best = nodeRange(pair.value) ?? nodeRange(pair.key) ?? best;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (node === undefined) return best;
      best = nodeRange(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

/** Each mapping's pairs by key, built once: a file may have a problem for each of thousands of keys. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairAt(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      const text = keyText(item.key);
      if (text !== null && !index.has(text)) index.set(text, item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

/** The keys that repeat an earlier key of their mapping (scalars by value, as yaml compares them). */
function duplicateKeys(root: Node | null): unknown[] {
  const duplicates: unknown[] = [];
  // A stack rather than recursion: the nesting is as deep as the file makes it.
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) duplicates.push(pair.key);
        seen.add(key);
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return duplicates;
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

function nodeRange(node: unknown): Range | null {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: readonly number[] | null }).range;
    if (range && typeof range[0] === "number" && typeof range[1] === "number") return [range[0], range[1]];
  }
  return null;
}

/** The first alias in the document, or the first to `source` when given. */
function firstAlias(node: unknown, source?: string): Node | null {
  if (isAlias(node)) return source === undefined || node.source === source ? node : null;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      const found = isPair(item)
        ? (firstAlias(item.key, source) ?? firstAlias(item.value, source))
        : firstAlias(item, source);
      if (found) return found;
    }
  }
  return null;
}
