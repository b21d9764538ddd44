/**
 * `.heimdall-build.yml` text in; a validated config and its expanded matrix out,
 * or every problem found, each with FILE:LINE:COL and the field path.
 *
 * Never throws for bad input: YAML errors, alias bombs, oversized files, schema
 * violations and impossible matrices all come back as positioned problems.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { type Cell, expandMatrix } from "./matrix.ts";
import {
  ConfigError,
  type ConfigProblem,
  type FieldPath,
  issuesToProblems,
  type PositionedProblem,
} from "./problems.ts";
import { type Config, configSchema, LIMITS } from "./schema.ts";
import { knownKeysAt } from "./schema-keys.ts";

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

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: "1.2" });
  const locate = (offset: number) => lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
  const positioned = (p: ConfigProblem, range: readonly [number, number] | null): PositionedProblem => {
    if (!range) return at(p);
    const start = locate(range[0]);
    const end = locate(Math.max(range[0], range[1]));
    return { ...p, file, line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };

  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) =>
        positioned({ severity: "error", path: [], message: yamlMessage(e.message) }, [e.pos[0], e.pos[1]]),
      ),
    );
  }
  if (doc.contents === null) {
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
    const alias = firstAlias(doc.contents);
    const message =
      error instanceof ReferenceError || /alias/i.test(String(error))
        ? `aliases expand too much (more than ${LIMITS.aliases} times); write the values out or use fewer aliases`
        : `cannot read the document: ${String(error)}`;
    return fail([
      positioned({ severity: "error", path: [], message }, alias?.range ? [alias.range[0], alias.range[1]] : null),
    ]);
  }

  const place = (p: ConfigProblem) => positioned(p, rangeOf(doc.contents, p.path, p.atKey ?? false));
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    return fail(issuesToProblems(result.error.issues, (path) => knownKeysAt(configSchema, path)).map(place));
  }

  const expansion = expandMatrix(result.data);
  const errors = expansion.problems.filter((p) => p.severity === "error");
  if (errors.length > 0) return fail(expansion.problems.map(place));
  return {
    ok: true,
    config: result.data,
    cells: expansion.cells,
    warnings: expansion.problems.map(place),
  };
}

/** As parseConfig, but throws a ConfigError (with every problem) when the config is bad. */
export function parseConfigOrThrow(text: string, options: ParseOptions = {}) {
  const result = parseConfig(text, options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result;
}

function fail(problems: readonly PositionedProblem[]): ParseResult {
  return { ok: false, problems: [...problems].sort((a, b) => a.line - b.line || a.column - b.column) };
}

/** yaml's messages end with " at line N, column M"; the position is ours to print. */
function yamlMessage(message: string): string {
  const text = message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "").trim();
  return `YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
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
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
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

function firstAlias(node: unknown): Node | null {
  if (isAlias(node)) return node;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      const found = isPair(item) ? (firstAlias(item.key) ?? firstAlias(item.value)) : firstAlias(item);
      if (found) return found;
    }
  }
  return null;
}
