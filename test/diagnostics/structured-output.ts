/**
 * What the annotations of a real build must be, computed from the compilers'
 * own structured output (GCC's `-fdiagnostics-format=json`, Clang's SARIF or
 * its one-line form), never from the text parser: shared by
 * real-compilers.test.ts (live, in containers) and gcc-clang.test.ts (the
 * saved logs in fixtures/logs).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseLog } from "../../src/diagnostics/engine.ts";
import { type Annotation, annotate } from "../../src/report/annotations.ts";

/** The project the real compilers build (fixtures/real), as the container sees it. */
export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/real");
export const LOGS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/logs");
export const CONTAINER_ROOT = "/home/builder/repo";
/** The build trees real-build.sh makes, inside the repository like many CI checkouts. */
export const CONTAINER_BUILD_DIRS = ["build-ninja", "build-colour", "build-make"].map((d) => `${CONTAINER_ROOT}/${d}`);

export type Family = "gcc" | "clang";
type Level = Annotation["annotation_level"];

/** One diagnostic as the structured output gives it; children are its notes and nested diagnostics. */
export interface StructuredDiagnostic {
  readonly severity: "error" | "warning" | "note";
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly code: string | null;
  readonly children: readonly StructuredDiagnostic[];
}

/** One translation unit compiled again with structured output (stderr and exit status per flavour). */
export interface StructuredUnit {
  /** The source file, absolute, as compile_commands.json names it. */
  readonly file: string;
  readonly outputs: Readonly<Record<string, { readonly stderr: string; readonly exitCode: string }>>;
}

/** The comparable part of an annotation. */
export interface Expected {
  readonly path: string;
  readonly line: number;
  readonly column: number | null;
  readonly level: Level;
  readonly code: string | null;
  readonly message: string;
}

export function normaliseMessage(message: string): string {
  return message.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, " ").trim();
}

const LEVEL: Readonly<Record<StructuredDiagnostic["severity"], Level>> = {
  error: "failure",
  warning: "warning",
  note: "notice",
};

/** `-Werror=unused-variable` (GCC) or `-Werror,-Wunused-variable` (Clang) → the warning's own flag. */
function warningFlag(option: string | undefined | null): string | null {
  if (!option) return null;
  const flags = option.split(",").filter((f) => f !== "-Werror");
  const flag = flags[0];
  if (flag === undefined) return null;
  return flag.startsWith("-Werror=") ? `-W${flag.slice("-Werror=".length)}` : flag;
}

// ---------------------------------------------------------------- GCC's JSON

interface GccLocation {
  readonly caret?: { readonly file: string; readonly line: number; readonly column: number };
}
interface GccJson {
  readonly kind: string;
  readonly message: string;
  readonly option?: string;
  readonly locations?: readonly GccLocation[];
  readonly children?: readonly GccJson[];
}

/**
 * GCC's `-fdiagnostics-format=json`: stderr holds one JSON array on a line of
 * its own (GCC still prints `compilation terminated.` after it on a fatal
 * error). Top-level entries are diagnostics; `children` their notes and the
 * diagnostics nested in them.
 */
export function gccJson(stderr: string): StructuredDiagnostic[] {
  const line = stderr.split("\n").find((l) => l.startsWith("["));
  if (line === undefined) throw new Error(`no JSON array in GCC's output:\n${stderr.slice(0, 2000)}`);
  const convert = (d: GccJson): StructuredDiagnostic => {
    const caret = d.locations?.[0]?.caret;
    const kind = d.kind.replace(/^fatal /, "");
    if (kind !== "error" && kind !== "warning" && kind !== "note") throw new Error(`GCC kind ${d.kind}`);
    return {
      severity: kind,
      file: caret?.file ?? "",
      line: caret?.line ?? 0,
      column: caret?.column ?? 0,
      message: d.message,
      code: warningFlag(d.option),
      children: (d.children ?? []).map(convert),
    };
  };
  return (JSON.parse(line) as GccJson[]).map(convert);
}

// ---------------------------------------------------------------- Clang

interface SarifLocation {
  readonly physicalLocation?: {
    readonly artifactLocation?: { readonly uri?: string };
    readonly region?: { readonly startLine?: number; readonly startColumn?: number };
  };
}
interface SarifResult {
  readonly level: string;
  readonly message: { readonly text: string };
  readonly locations?: readonly SarifLocation[];
}

/**
 * Clang 15+ `-fdiagnostics-format=sarif`: after a `clang: warning: diagnostic
 * formatting in SARIF mode is currently unstable` line, one SARIF document on
 * a line, then Clang's `N errors generated.`. What Clang 16 prints:
 * - every diagnostic, notes included, is a result of its own in the order
 *   printed; a note belongs to the error or warning before it;
 * - a result's ranges come first in `locations`, the diagnostic's own point last;
 * - `ruleId` is Clang's internal diagnostic number and the rules carry no
 *   name: the warning flag is not in SARIF, so codes come from the one-line form;
 * - paths are canonical (`/usr/include/c++/12/...`) where the text has the
 *   include path as searched (`/usr/bin/../lib/gcc/.../include/c++/12/...`);
 * - the `expanded from macro` notes of the text are not there.
 * Null when there is no valid document: Clang 14 refuses the flag; the
 * emitter is known to crash or print broken JSON on some errors.
 */
export function clangSarif(stderr: string): StructuredDiagnostic[] | null {
  const line = stderr.split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) return null;
  let document: { runs?: { results?: SarifResult[] }[] };
  try {
    document = JSON.parse(line);
  } catch {
    return null;
  }
  const results = document.runs?.[0]?.results;
  if (!results) return null;
  const flat = results.map((r): StructuredDiagnostic => {
    const own = r.locations?.at(-1)?.physicalLocation;
    const uri = own?.artifactLocation?.uri;
    const severity = r.level === "note" ? "note" : r.level === "warning" ? "warning" : "error";
    return {
      severity,
      file: uri ? fileURLToPath(uri) : "",
      line: own?.region?.startLine ?? 0,
      column: own?.region?.startColumn ?? 0,
      message: r.message.text,
      code: null,
      children: [],
    };
  });
  return nest(flat);
}

const ONE_LINE = /^(?<file>.+?):(?<line>\d+):(?<column>\d+): (?<severity>fatal error|error|warning|note): (?<rest>.*)$/;

/**
 * Clang's one-line form (`-fno-caret-diagnostics -fno-diagnostics-fixit-info
 * -fdiagnostics-show-option`): `file:line:col: severity: message [flag]` per
 * diagnostic, each note on a line of its own after the diagnostic it belongs
 * to; include-chain lines and `N warnings generated.` are not diagnostics.
 */
export function clangOneLine(stderr: string): StructuredDiagnostic[] {
  const flat: StructuredDiagnostic[] = [];
  for (const line of stderr.split("\n")) {
    const m = ONE_LINE.exec(line)?.groups;
    if (!m) continue;
    const severity = m.severity === "note" ? "note" : m.severity === "warning" ? "warning" : "error";
    // Only a -W... (or -Werror,-W...) bracket is the flag; `[with T = int]` is message.
    const flag = /^(?<message>.*) \[(?<flag>-W[^\]]*)\]$/.exec(m.rest ?? "")?.groups;
    flat.push({
      severity,
      file: m.file ?? "",
      line: Number(m.line),
      column: Number(m.column),
      message: flag?.message ?? m.rest ?? "",
      code: warningFlag(flag?.flag),
      children: [],
    });
  }
  return nest(flat);
}

/** Flat, in printed order → each note under the diagnostic before it (a note with none before it stands alone). */
function nest(flat: readonly StructuredDiagnostic[]): StructuredDiagnostic[] {
  const out: { d: StructuredDiagnostic; children: StructuredDiagnostic[] }[] = [];
  for (const d of flat) {
    const parent = out.at(-1);
    if (d.severity === "note" && parent) parent.children.push(d);
    else out.push({ d, children: [] });
  }
  return out.map(({ d, children }) => ({ ...d, children }));
}

export interface UnitDiagnostics {
  readonly diagnostics: readonly StructuredDiagnostic[];
  /** Which output they come from. */
  readonly source: "gcc-json" | "clang-sarif+one-line" | "clang-one-line";
  /** Where Clang's SARIF and one-line form disagree (they should not). */
  readonly disagreements: readonly string[];
}

/**
 * The unit's diagnostics from its structured output. For Clang the one-line
 * form is always there and gives the flags; SARIF, when valid, must name the
 * same diagnostics at the same places (paths compared canonically), and its
 * canonical paths are kept.
 */
export function unitDiagnostics(family: Family, unit: StructuredUnit): UnitDiagnostics {
  if (family === "gcc") {
    const json = unit.outputs.json;
    if (!json) throw new Error(`no JSON output for ${unit.file}`);
    return { diagnostics: gccJson(json.stderr), source: "gcc-json", disagreements: [] };
  }
  const oneLine = unit.outputs.oneline;
  if (!oneLine) throw new Error(`no one-line output for ${unit.file}`);
  const text = clangOneLine(oneLine.stderr);
  const sarif = unit.outputs.sarif ? clangSarif(unit.outputs.sarif.stderr) : null;
  if (!sarif) return { diagnostics: text, source: "clang-one-line", disagreements: [] };
  const describe = (d: StructuredDiagnostic) =>
    `${d.severity} ${path.posix.normalize(d.file)}:${d.line}:${d.column} ${d.message}`;
  const disagreements: string[] = [];
  const flat = (ds: readonly StructuredDiagnostic[]) => ds.flatMap((d) => [d, ...d.children]);
  const [a, b] = [flat(sarif), flat(text).filter((d) => !d.message.startsWith("expanded from macro "))];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (!x || !y || describe(x) !== describe(y)) {
      disagreements.push(`SARIF: ${x ? describe(x) : "(none)"}\none-line: ${y ? describe(y) : "(none)"}`);
    }
  }
  const diagnostics = sarif.map((d, i) => ({ ...d, code: text[i]?.code ?? null }));
  return { diagnostics, source: "clang-sarif+one-line", disagreements };
}

// ---------------------------------------------------------------- fixture markers

const sources = new Map<string, string[]>();

/** A fixture file's lines, by repository path. */
export function fixtureLines(repoPath: string): string[] {
  let lines = sources.get(repoPath);
  if (!lines) {
    lines = readFileSync(path.join(FIXTURE_DIR, repoPath), "utf8").split("\n");
    sources.set(repoPath, lines);
  }
  return lines;
}

/**
 * Where a diagnostic inside a system header must be annotated: the line of the
 * translation unit marked `// placement: ...`, the call that instantiated the
 * template that failed. The structured output cannot say: GCC's JSON has no
 * `required from` context, and Clang prints an instantiation's `requested here`
 * notes only with the first diagnostic of that instantiation, leaving the
 * others with none. The column is the one each compiler's text gives a call:
 * GCC its opening parenthesis, Clang the called name (after the last `::`).
 */
function placement(family: Family, unitPath: string): { line: number; column: number } {
  const lines = fixtureLines(unitPath);
  const marked = lines.flatMap((text, i) => (text.includes("// placement:") ? [{ text, line: i + 1 }] : []));
  if (marked.length !== 1 || !marked[0]) {
    throw new Error(`${unitPath} has a diagnostic in a system header but ${marked.length} placement markers`);
  }
  const code = marked[0].text.slice(0, marked[0].text.indexOf("//"));
  const paren = code.indexOf("(");
  const callee = code.slice(0, paren);
  const scope = callee.lastIndexOf("::");
  const name = scope === -1 ? callee.search(/\S/) : scope + 2;
  return { line: marked[0].line, column: (family === "gcc" ? paren : name) + 1 };
}

/**
 * GCC's JSON and its text disagree on a diagnostic inside a macro expansion:
 * the JSON gives the expansion point (the macro's name where it is used), the
 * text the spelling point inside the `#define` plus an `in expansion of macro`
 * note at the expansion. The annotation follows the text, the compiler's own
 * primary location; the `#define` line carries `// spelling: TOKEN`, the token
 * GCC points at.
 */
function gccSpelling(repoPath: string, line: number, column: number): { line: number; column: number } | null {
  const lines = fixtureLines(repoPath);
  const name = /^[A-Za-z_]\w*/.exec(lines[line - 1]?.slice(column - 1) ?? "")?.[0];
  if (!name) return null;
  const at = lines.findIndex((l) => l.startsWith(`#define ${name}(`) && l.includes("// spelling: "));
  const definition = lines[at];
  if (definition === undefined) return null;
  const token = definition.slice(definition.indexOf("// spelling: ") + "// spelling: ".length).split(" ")[0] ?? "";
  const body = definition.indexOf(")") + 1;
  return { line: at + 1, column: definition.indexOf(token, body) + 1 };
}

// ---------------------------------------------------------------- expectations

export interface ExpectOptions {
  readonly family: Family;
  readonly root: string;
}

/** The repository path of a file the compiler named, or null when it is not the repository's. */
function repoPath(file: string, root: string): string | null {
  const normal = path.posix.normalize(file);
  if (!normal.startsWith(`${root}/`)) return null;
  const relative = normal.slice(root.length + 1);
  return CONTAINER_BUILD_DIRS.some((d) => normal.startsWith(`${d}/`)) ? null : relative;
}

/**
 * The annotations the structured output calls for: one per top-level error
 * or warning (a lone top-level note is a notice), notes and nested diagnostics
 * inside their parent, identical ones (a header's warning in two translation
 * units) once. Diagnostics located outside the repository go to the unit's
 * placement marker with `(in FILE:LINE:COL, reached from here)` appended.
 */
export function expectedAnnotations(units: readonly StructuredUnit[], options: ExpectOptions): Expected[] {
  const seen = new Map<string, Expected>();
  for (const unit of units) {
    for (const d of unitDiagnostics(options.family, unit).diagnostics) {
      const expected = expectedFor(d, unit, options);
      seen.set(JSON.stringify(expected), expected);
    }
  }
  return sortExpected([...seen.values()]);
}

/** The annotation one top-level diagnostic of a unit calls for. */
export function expectedFor(d: StructuredDiagnostic, unit: StructuredUnit, options: ExpectOptions): Expected {
  const { family, root } = options;
  const unitPath = repoPath(unit.file, root);
  if (!unitPath) throw new Error(`${unit.file} is not under ${root}`);
  const own = repoPath(d.file, root);
  if (own) {
    const spelled = family === "gcc" ? gccSpelling(own, d.line, d.column) : null;
    return {
      path: own,
      line: spelled?.line ?? d.line,
      column: spelled?.column ?? d.column,
      level: LEVEL[d.severity],
      code: d.code,
      message: normaliseMessage(d.message),
    };
  }
  const at = placement(family, unitPath);
  const where = `${path.posix.normalize(d.file)}:${d.line}:${d.column}`;
  return {
    path: unitPath,
    line: at.line,
    column: at.column,
    level: LEVEL[d.severity],
    code: d.code,
    message: normaliseMessage(`${d.message}\n(in ${where}, reached from here)`),
  };
}

export function sortExpected(list: readonly Expected[]): Expected[] {
  const key = (e: Expected) =>
    `${e.path}\u0000${String(e.line).padStart(6, "0")}\u0000${String(e.column).padStart(4, "0")}\u0000${e.message}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function comparable(a: Annotation): Expected {
  return {
    path: a.path,
    line: a.start_line,
    column: a.start_column,
    level: a.annotation_level,
    code: a.code,
    message: normaliseMessage(a.message),
  };
}

/** A build log through the engine and the annotator, as a worker does it. */
export function annotateLog(log: string, label: string) {
  return annotate(parseLog(log), { roots: [CONTAINER_ROOT], buildDirs: CONTAINER_BUILD_DIRS, label });
}

// ---------------------------------------------------------------- saved runs

/** What fixtures/logs keeps of one compiler's run: its version and each unit's structured output. */
export interface SavedStructured {
  readonly compiler: string;
  readonly family: Family;
  readonly version: string;
  readonly root: string;
  readonly units: readonly StructuredUnit[];
}

export function loadSaved(compiler: string): { log: string; structured: SavedStructured } {
  return {
    log: readFileSync(path.join(LOGS_DIR, `${compiler}-ninja.log`), "utf8"),
    structured: JSON.parse(readFileSync(path.join(LOGS_DIR, `${compiler}-structured.json`), "utf8")) as SavedStructured,
  };
}
