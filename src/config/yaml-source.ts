/**
 * One `.heimdall-build.yml` text read as YAML: its data, and where each field
 * is in it, so a problem found in the data is placed on the file's own lines.
 * Split from parse.ts because a config may now be two texts (a stored base and
 * the repository's file, `extends`), each placed in its own file.
 *
 * Never throws for bad input: YAML errors, alias bombs, oversized files and
 * duplicate keys come back as positioned problems.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from "yaml";
import { LIMITS } from "./limits.ts";
import type { ConfigProblem, FieldPath, PositionedProblem } from "./problems.ts";

export interface YamlSource {
  readonly file: string;
  /** The document as plain data (aliases expanded, bounded). */
  readonly data: unknown;
  /** The problem placed on this file's lines: at its `pointAt`, else at its path (or the deepest part of it there is). */
  place(problem: ConfigProblem): PositionedProblem;
}

export type YamlRead =
  | { readonly ok: true; readonly source: YamlSource }
  | { readonly ok: false; readonly problems: PositionedProblem[] };

export function readYaml(text: string, file: string): YamlRead {
  const at = (p: ConfigProblem): PositionedProblem => ({ ...p, file, line: 1, column: 1, endLine: 1, endColumn: 1 });

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
  const positioned = (p: ConfigProblem, range: Range | null): PositionedProblem => {
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
    return fail([aliasProblem(doc, error, positioned)]);
  }

  const contents = doc.contents;
  return {
    ok: true,
    source: {
      file,
      data,
      place: (p) =>
        positioned(p, p.pointAt ? rangeOf(contents, p.pointAt, true) : rangeOf(contents, p.path, p.atKey ?? false)),
    },
  };
}

function fail(problems: PositionedProblem[]): YamlRead {
  return { ok: false, problems };
}

function aliasProblem(
  doc: Document,
  error: unknown,
  positioned: (p: ConfigProblem, range: Range | null) => PositionedProblem,
): PositionedProblem {
  // yaml: "Unresolved alias (the anchor must be set before the alias): NAME"
  const unresolved = /^Unresolved alias\b.*: (.+)$/.exec(error instanceof Error ? error.message : "")?.[1];
  const alias = firstAlias(doc.contents, unresolved);
  const message =
    unresolved !== undefined
      ? `the alias *${unresolved} refers to no anchor; an anchor (&${unresolved}) must come before its aliases`
      : error instanceof ReferenceError || /alias/i.test(String(error))
        ? `aliases expand too much (more than ${LIMITS.aliases} times); write the values out or use fewer aliases`
        : `cannot read the document: ${String(error)}`;
  return positioned({ severity: "error", path: [], message }, alias?.range ? [alias.range[0], alias.range[1]] : null);
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
