/**
 * A probe shows what one key of `.heimdall-build.yml` does: two configs that
 * differ in that key alone (every-key.test.ts checks they do), each read by
 * the real code that consumes the key (the matrix's cells, the cell's script,
 * its variables, an attempt, the scheduling and trust decisions), and what
 * that code made of each. Pure helpers: no Docker, network or database.
 */
import { CELL_VARIABLES } from "../../../src/config/cell-environment.ts";
import type { Cell } from "../../../src/config/matrix.ts";
import { parseConfigOrThrow } from "../../../src/config/parse.ts";
import type { Config } from "../../../src/config/schema.ts";
import { type BuildSettings, cellScript } from "../../../src/executor/cell-script.ts";

export interface KeyProbe<T = unknown> {
  /** The key as the schema has it: `build.cmake.generator`, `matrix.include[].env`. */
  readonly key: string;
  /**
   * Keys on the other side of a choice this key makes (`build.cmake` instead
   * of `build.script`): they may differ between the two configs too.
   */
  readonly replaces?: readonly string[];
  /** A config without the key, or with another value of it. */
  readonly base: string;
  /** The same config with the key (or its other value). */
  readonly changed: string;
  /** What the code that reads the key makes of a config. */
  readonly observe: (text: string) => T | Promise<T>;
  /** What `observe` gives for `base` and for `changed`: never equal. */
  readonly expected: readonly [T, T];
}

export function probe<T>(p: KeyProbe<T>): KeyProbe {
  return p;
}

/** A config's lines, "\n"-joined; `version: 1` first. */
export function config(...lines: string[]): string {
  return `${["version: 1", ...lines].join("\n")}\n`;
}

/** The config a worker gets (no matrix) and the cells, of a config that must be valid. */
export function parsed(text: string): { config: Config; settings: BuildSettings; cells: readonly Cell[] } {
  const { config, cells } = parseConfigOrThrow(text);
  const { matrix: _matrix, ...settings } = config;
  return { config, settings, cells };
}

export function cellAt(text: string, index = 0): Cell {
  const cell = parsed(text).cells[index];
  if (!cell) throw new Error(`no cell ${index} in:\n${text}`);
  return cell;
}

export const names = (text: string): string[] => parsed(text).cells.map((c) => c.name);

/** The script the cell at `index` runs in its container. */
export function scriptOf(text: string, index = 0): string {
  return cellScript({ cell: cellAt(text, index), settings: parsed(text).settings, nonce: "n", jobs: 2 });
}

/** The shell word at `start` of `text` (bare, '…' and "…" parts, as shellQuote writes them), and where it ends. */
function wordAt(text: string, start: number): { word: string; end: number } {
  let word = "";
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === " " || c === "\n") break;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unterminated ${c} in ${text}`);
      word += text.slice(i + 1, close);
      i = close;
    } else {
      word += c;
    }
  }
  return { word, end: i };
}

/** POSIX shell words of `text`, split on unquoted blanks. */
export function words(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.charAt(i) === " " || text.charAt(i) === "\n") {
      i++;
      continue;
    }
    const { word, end } = wordAt(text, i);
    out.push(word);
    i = end;
  }
  return out;
}

/** The command of the script's `phase NAME '…'` line, unquoted (it may span lines); null when the script has no such phase. */
export function phase(script: string, name: string): string | null {
  const head = `phase ${name} `;
  // Where a line starts with it: "\n" before the script makes the first line one too, and the index the script's.
  const at = `\n${script}`.indexOf(`\n${head}`);
  if (at < 0) return null;
  const { word, end } = wordAt(script, at + head.length);
  if (script.charAt(end) !== "\n") throw new Error(`not one quoted command: ${script.slice(at, end + 20)}`);
  return word;
}

/** The phase's command as words (the configure, build and test phases are quoted word by word). */
export function phaseWords(script: string, name: string): string[] | null {
  const command = phase(script, name);
  return command === null ? null : words(command);
}

/** `export NAME='value'` lines (one variable each) as a map, in order. */
export function exports(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of script.split("\n")) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const value = words(match[2]);
    if (value.length === 1 && value[0] !== undefined) out[match[1]] = value[0];
  }
  return out;
}

const HEIMDALL_SETS = new Set<string>([...CELL_VARIABLES, "CMAKE_BUILD_PARALLEL_LEVEL", "CCACHE_STATSLOG"]);

/** The variables the script exports that the config gave (not the cell's own, nor the build's parallelism). */
export function configExports(script: string): Record<string, string> {
  return Object.fromEntries(Object.entries(exports(script)).filter(([name]) => !HEIMDALL_SETS.has(name)));
}

/** The flags the CMake configure passes with the standards (`-DCMAKE_CXX_FLAGS=…`, linker flags). */
export function cmakeFlags(script: string): string[] {
  const line = script
    .split("\n")
    .find((l) => l.startsWith('  cmake "$@" ') || l.startsWith('heimdall_configure() { cmake "$@" '));
  if (line === undefined) throw new Error("no configure function");
  return words(line).filter((w) => /^-DCMAKE_\w+_FLAGS=/.test(w));
}

/** gcc 12's configure phase, Release, with ccache, as a CMake cell with the defaults runs it; `-S`, `-B`, `-G` and more args as given. */
export function gcc12Configure(
  options: { source?: string; build?: string; generator?: string; cache?: boolean; extra?: readonly string[] } = {},
): string[] {
  return [
    "heimdall_configure",
    "-S",
    options.source ?? ".",
    "-B",
    options.build ?? "build",
    "-G",
    options.generator ?? "Ninja",
    "-DCMAKE_BUILD_TYPE=Release",
    "-DCMAKE_C_COMPILER=gcc-12",
    "-DCMAKE_CXX_COMPILER=g++-12",
    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
    ...(options.cache === false ? [] : ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]),
    ...(options.extra ?? []),
  ];
}

/** ctest as the test phase runs it in `dir`, its JUnit where the worker reads it; `--no-tests=error` for a test_dir; then `args`. */
export function ctest(dir: string, options: { noTestsError?: boolean; args?: readonly string[] } = {}): string[] {
  return [
    "cd",
    dir,
    "&&",
    "ctest",
    "--output-on-failure",
    ...(options.noTestsError ? ["--no-tests=error"] : []),
    "--output-junit",
    "/work/src/.heimdall/junit.xml",
    ...(options.args ?? []),
  ];
}
