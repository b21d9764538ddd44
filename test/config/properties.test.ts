/**
 * Property tests: whatever text comes in (a generated config, a mutated valid
 * one, YAML-ish token soup, arbitrary strings), parsing never throws, every
 * problem points inside the text with a readable message, and valid configs
 * expand to unique, well-named cells, the same ones every time. A small model
 * of GitHub's matrix rules, written from the documentation, is checked against
 * the expansion on generated matrices.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { BUILD_TYPES, CATALOG, CXX_STANDARDS, PLATFORMS, SANITIZERS } from "../../src/config/catalog.ts";
import { LIMITS } from "../../src/config/limits.ts";
import type { Cell } from "../../src/config/matrix.ts";
import { type ParseResult, parseConfig, parseConfigOrThrow } from "../../src/config/parse.ts";
import { ConfigError, type PositionedProblem } from "../../src/config/problems.ts";

const FILE = "ci/.heimdall-build.yml";
/** Enough runs to find the bugs these tests have found, few enough for a fast suite. */
const RUNS = { numRuns: 150 };

const CELL_NAME =
  /^(linux|macos|windows) \/ [a-z-]+-\d+ \/ c\+\+\d\d \/ (Debug|Release|RelWithDebInfo|MinSizeRel)( \/ .+)?$/;

/** Parses, checks every invariant that holds for any input, and returns the result. */
function parseChecked(text: string): ParseResult {
  let result: ParseResult;
  try {
    result = parseConfig(text, { file: FILE });
  } catch (error) {
    throw new Error(`parseConfig threw on ${JSON.stringify(text)}: ${String(error)}`);
  }
  const lines = text.split("\n");
  if (result.ok) {
    for (const warning of result.warnings) checkProblem(warning, lines);
    checkCells(result.cells);
  } else {
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems.some((p) => p.severity === "error")).toBe(true);
    for (const problem of result.problems) checkProblem(problem, lines);
  }
  checkThrowing(text, result);
  return result;
}

function checkProblem(problem: PositionedProblem, lines: readonly string[]) {
  const where = `${problem.line}:${problem.column} (${problem.message})`;
  expect(problem.file).toBe(FILE);
  expect(Number.isInteger(problem.line) && Number.isInteger(problem.column), where).toBe(true);
  expect(problem.line, where).toBeGreaterThanOrEqual(1);
  expect(problem.line, where).toBeLessThanOrEqual(lines.length);
  expect(problem.column, where).toBeGreaterThanOrEqual(1);
  expect(problem.column, where).toBeLessThanOrEqual((lines[problem.line - 1]?.length ?? 0) + 1);
  expect(problem.endLine, where).toBeGreaterThanOrEqual(problem.line);
  expect(problem.endLine, where).toBeLessThanOrEqual(lines.length);
  expect(problem.message.trim(), where).not.toBe("");
  // zod's own wording never reaches the user.
  expect(problem.message, where).not.toMatch(/^Invalid|Invalid input|Unrecognized key/);
  expect(["error", "warning"]).toContain(problem.severity);
}

function checkCells(cells: readonly Cell[]) {
  expect(cells.length).toBeGreaterThan(0);
  expect(cells.length).toBeLessThanOrEqual(LIMITS.cells);
  expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
  expect(new Set(cells.map((c) => c.name)).size).toBe(cells.length);
  for (const cell of cells) {
    expect(cell.name).toMatch(CELL_NAME);
    expect(cell.id).toMatch(/^[a-z0-9+-]+$/);
    expect(cell.skipped).toBe(cell.skipReason !== null);
    expect(cell.stdFlag === null).toBe(cell.skipped);
  }
}

function checkThrowing(text: string, result: ParseResult) {
  let thrown: unknown = null;
  try {
    parseConfigOrThrow(text, { file: FILE });
  } catch (error) {
    thrown = error;
  }
  if (result.ok) {
    expect(thrown).toBeNull();
  } else {
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual(result.problems);
  }
}

function checkDeterministic(text: string, first: ParseResult) {
  const second = parseConfig(text, { file: FILE });
  if (first.ok && second.ok) {
    expect(second.cells.map((c) => c.id)).toEqual(first.cells.map((c) => c.id));
    expect(second.cells.map((c) => c.name)).toEqual(first.cells.map((c) => c.name));
  } else {
    expect(second).toEqual(first);
  }
}

// --- Generated configs: real values, near misses, wrong types, stray keys ---

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 12 }),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Mostly a valid value; now and then a near miss or something of another type. */
function mostly<T>(valid: fc.Arbitrary<T>, ...wrong: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 50, arbitrary: valid }, ...wrong.map((arbitrary) => ({ weight: 1, arbitrary })));
}

const realCompilers = CATALOG.map((r) => `${r.family}@${r.version}`);
const compilerValue = mostly(
  fc.oneof(
    fc.constantFrom(...realCompilers),
    fc.constantFrom(...CATALOG).map((r) => ({ name: r.family, version: r.version })),
  ),
  fc.constantFrom("gcc@6", "clang@99", "g++@12", "foo@1", "gcc", "gcc@", "@12", "msvc@2017", "GCC@12"),
  fc.record({
    name: fc.oneof(fc.constantFrom("gcc", "clang", "apple-clang", "msvc", "icc", "llvm"), junk),
    version: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom("12", "x", 2022, [12, 13], [], [7, "x"]), junk),
  }),
  junk,
);
const platformValue = mostly(fc.constantFrom(...PLATFORMS), fc.constantFrom("Linux", "freebsd", ""), junk);
const standardValue = mostly(fc.constantFrom(...CXX_STANDARDS), fc.constantFrom(18, 98, "17", "c++17"), junk);
const buildTypeValue = mostly(fc.constantFrom(...BUILD_TYPES), fc.constantFrom("release", "debug", "Profile"), junk);
const sanitizersValue = mostly(
  fc.subarray([...SANITIZERS], { maxLength: 2 }),
  fc.array(fc.constantFrom(...SANITIZERS, "adress", "asan"), { maxLength: 6 }),
  junk,
);
const flag = mostly(fc.boolean(), junk);
const strayKeys = fc.dictionary(
  fc.constantFrom("compilr", "foo", "platfrom", "constructor", "toString", "0", "matrix", "include"),
  junk,
  { minKeys: 1, maxKeys: 2 },
);

/** Now and then a key the schema does not know, or knows elsewhere. */
function withStrayKeys<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  const none = fc.constant<Record<string, unknown>>({});
  return fc.tuple(arb, fc.oneof({ weight: 30, arbitrary: none }, strayKeys)).map(([value, stray]) => ({
    ...stray,
    ...value,
  }));
}

/** A list of distinct values, mostly; sometimes repeats, the value alone, or an empty list. */
function axisOf(value: fc.Arbitrary<unknown>) {
  return mostly(
    fc.uniqueArray(value, { minLength: 1, maxLength: 3, selector: (v) => JSON.stringify(v) }),
    fc.array(value, { minLength: 1, maxLength: 4 }),
    value,
    fc.constant([]),
  );
}

const axisKeys = {
  platform: platformValue,
  compiler: compilerValue,
  cxx_standard: standardValue,
  build_type: buildTypeValue,
};
const includeEntry = withStrayKeys(
  fc.record({ ...axisKeys, sanitizers: sanitizersValue, coverage: flag, tests: flag }, { requiredKeys: [] }),
);
const excludeEntry = withStrayKeys(fc.record(axisKeys, { requiredKeys: [] }));

const matrixValue = withStrayKeys(
  fc.record(
    {
      platform: axisOf(platformValue),
      compiler: axisOf(compilerValue),
      cxx_standard: axisOf(standardValue),
      build_type: axisOf(buildTypeValue),
      include: mostly(fc.array(mostly(includeEntry, junk), { maxLength: 3 }), junk),
      exclude: mostly(fc.array(mostly(excludeEntry, junk), { maxLength: 2 }), junk),
    },
    { requiredKeys: [] },
  ),
);

const configValue = withStrayKeys(
  fc.record(
    {
      version: mostly(fc.constant(1), junk),
      matrix: mostly(matrixValue, junk),
      sanitizers: sanitizersValue,
      coverage: flag,
      tests: mostly(
        fc.oneof(
          fc.boolean(),
          fc.record({ ctest_args: fc.array(fc.string()) }),
          fc.record({ ctest_args: fc.array(fc.string()), test_dir: fc.constantFrom("build", "out/tests") }),
          fc.record(
            {
              command: fc.string(),
              junit: fc.array(fc.constantFrom("build/*.xml", "**/TEST-*.xml"), { minLength: 1 }),
            },
            { requiredKeys: ["command"] },
          ),
        ),
        fc.constantFrom({ test_dir: "../up" }, { junit: ["x.xml"] }, { command: "make check", test_dir: "build" }),
        junk,
      ),
      image: mostly(fc.constantFrom("debian:bookworm", "ghcr.io/me/img:1"), fc.constant("UPPER case"), junk),
      env: mostly(
        fc.dictionary(fc.constantFrom("CC_LAUNCHER", "A_B", "JOBS"), fc.string()),
        // A name that is not one, and one heimdall-build sets itself.
        fc.constantFrom({ "1A": 1 }, { CXX_STANDARD: "17" }),
        junk,
      ),
      timeout_minutes: mostly(fc.integer({ min: 1, max: 720 }), fc.integer({ min: -1, max: 1000 }), junk),
      build: mostly(
        fc.constantFrom({ cmake: {} }, { script: { commands: ["make"] } }),
        fc.constant({ cmake: {}, script: { commands: [] } }),
        junk,
      ),
    },
    { requiredKeys: ["version", "matrix"] },
  ),
);

describe("generated configs", () => {
  it("never throw, and positions, messages and cells hold", () => {
    fc.assert(
      fc.property(configValue, fc.constantFrom<"block" | "flow">("block", "flow"), (config, style) => {
        const text = stringify(config, { collectionStyle: style === "flow" ? "flow" : "any", lineWidth: 0 });
        const result = parseChecked(text);
        checkDeterministic(text, result);
      }),
      { numRuns: 250 },
    );
  });

  it("are valid often enough to exercise the expansion", () => {
    // Not a property of the parser: a check that the generator above is useful.
    const samples = fc.sample(configValue, { numRuns: 200, seed: 42 });
    const valid = samples.filter((config) => parseConfig(stringify(config)).ok);
    expect(valid.length).toBeGreaterThan(10);
  });
});

// --- Mutations of valid configs ---

const SEEDS = [
  [
    "version: 1",
    "matrix:",
    "  platform: [linux, macos]",
    "  compiler: [gcc@12, clang@17, {name: gcc, version: [13, 14]}]",
    "  cxx_standard: [17, 20]",
    "  build_type: [Debug, Release]",
    "  exclude:",
    "    - platform: macos",
    "      compiler: gcc@14",
    "  include:",
    "    - compiler: clang@17",
    "      sanitizers: [address, undefined]",
    "      env: {USE_LIBCXX: 1}",
    "      configure_args: [-DLIBCXX=ON]",
    "    - compiler: msvc@2022",
    "      platform: windows",
    "      cxx_standard: 20",
    "      build_type: Release",
    "sanitizers: []",
    "coverage: false",
    "tests:",
    "  ctest_args: [--output-on-failure]",
    "build:",
    "  cmake:",
    "    configure_args: [-DWERROR=ON]",
    "env:",
    "  CCACHE_BASEDIR: /work/src",
    "artifacts: [build/*.so]",
  ].join("\n"),
  [
    "version: 1",
    "matrix:",
    "  compiler: &c [gcc@12]",
    "  include:",
    "    - compiler: gcc@13",
    "      tests: false",
  ].join("\n"),
  "version: 1\nmatrix: {compiler: [clang@16, clang@17], cxx_standard: [23], include: [{compiler: clang@18}]}\n",
  [
    "version: 1",
    "image: ghcr.io/acme/toolchain:2024",
    "matrix:",
    "  include:",
    "    - {compiler: gcc@8, cxx_standard: 20}",
    "    - {compiler: apple-clang@16, platform: macos, coverage: true}",
    "build:",
    "  script:",
    "    commands: [make -j]",
    "    env: {JOBS: 4}",
    "tests: {command: make test, junit: [test-results/*.xml]}",
  ].join("\n"),
];

const TOKENS = [
  "",
  " ",
  "\t",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  ": ",
  "- ",
  "#",
  "'",
  '"',
  "&a ",
  "*a",
  "*c",
  "!!binary ",
  "!!str ",
  "!foo ",
  "? ",
  "|",
  ">",
  "---",
  "...",
  "%YAML 1.1",
  "<<: ",
  "~",
  "null",
  "yes",
  "18",
  "1.5",
  "-1",
  "0x1F",
  ".nan",
  "gcc@6",
  "gcc@12",
  "{name: gcc, version: 12}",
  "[gcc@12, gcc@12]",
  "release",
  "compilr",
  "include",
  "exclude",
  "matrix",
  "version",
  "__proto__",
  "\r\n",
  "\n",
  "\u00e9",
  "\ud83d\ude00",
  "\ufeff",
  "\u0000",
];
const token = fc.constantFrom(...TOKENS);

type Mutation =
  | { kind: "delete" | "duplicate"; line: number }
  | { kind: "indent"; line: number; by: number }
  | { kind: "swap"; line: number; other: number }
  | { kind: "replaceValue" | "insertLine"; line: number; text: string }
  | { kind: "insertAt" | "truncate"; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("delete" as const, "duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("indent" as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(), other: fc.nat() }),
  fc.record({
    kind: fc.constantFrom("replaceValue" as const, "insertLine" as const),
    line: fc.nat(),
    text: fc.array(token, { maxLength: 4 }).map((t) => t.join("")),
  }),
  fc.record({
    kind: fc.constantFrom("insertAt" as const, "truncate" as const),
    at: fc.nat(),
    text: fc.oneof(token, fc.string({ maxLength: 3 })),
  }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  const pick = (n: number) => n % lines.length;
  switch (m.kind) {
    case "delete":
      lines.splice(pick(m.line), 1);
      break;
    case "duplicate":
      lines.splice(pick(m.line), 0, lines[pick(m.line)] ?? "");
      break;
    case "indent": {
      const i = pick(m.line);
      const line = lines[i] ?? "";
      lines[i] = m.by >= 0 ? " ".repeat(m.by) + line : line.replace(new RegExp(`^ {0,${-m.by}}`), "");
      break;
    }
    case "swap": {
      const [a, b] = [pick(m.line), pick(m.other)];
      [lines[a], lines[b]] = [lines[b] ?? "", lines[a] ?? ""];
      break;
    }
    case "replaceValue": {
      const i = pick(m.line);
      const line = lines[i] ?? "";
      const colon = line.indexOf(": ");
      lines[i] = colon >= 0 ? `${line.slice(0, colon + 2)}${m.text}` : `${line}${m.text}`;
      break;
    }
    case "insertLine":
      lines.splice(pick(m.line), 0, m.text);
      break;
    case "insertAt": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case "truncate":
      return text.slice(0, m.at % (text.length + 1));
  }
  return lines.join("\n");
}

/** Every path to a value in plain data, the root included. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(value.flatMap((item, i) => pathsOf(item, [...prefix, i])));
  if (value !== null && typeof value === "object") {
    return here.concat(Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key])));
  }
  return here;
}

type NodeEdit = "delete" | "retype" | "duplicate";

/** The data with the node at `path` deleted, replaced, or (in a list) repeated. */
function editNode(data: unknown, path: readonly (string | number)[], edit: NodeEdit, replacement: unknown): unknown {
  if (path.length === 0) return edit === "retype" ? replacement : data;
  const [head, ...rest] = path;
  if (Array.isArray(data) && typeof head === "number") {
    const copy = [...data];
    if (rest.length > 0) copy[head] = editNode(copy[head], rest, edit, replacement);
    else if (edit === "delete") copy.splice(head, 1);
    else if (edit === "duplicate") copy.splice(head, 0, copy[head]);
    else copy[head] = replacement;
    return copy;
  }
  if (data !== null && typeof data === "object" && typeof head === "string") {
    const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
    if (rest.length > 0) copy[head] = editNode(copy[head], rest, edit, replacement);
    else if (edit === "delete") delete copy[head];
    else if (edit === "duplicate") copy[`${head}_copy`] = copy[head];
    else copy[head] = replacement;
    return copy;
  }
  return data;
}

describe("mutated valid configs", () => {
  it("the seeds are valid", () => {
    for (const seed of SEEDS) expect(parseChecked(seed).ok).toBe(true);
  });

  it("never throw after line and character edits, and positions hold", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, edits) => {
        const text = edits.reduce(mutate, seed);
        checkDeterministic(text, parseChecked(text));
      }),
      { numRuns: 300 },
    );
  });

  it("never throw after nodes are deleted, retyped or repeated", () => {
    const seedData = SEEDS.map((seed): unknown => parseYaml(seed));
    fc.assert(
      fc.property(
        fc.nat(seedData.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom<NodeEdit>("delete", "retype", "duplicate"), junk), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.boolean(),
        (seedIndex, edits, flow) => {
          let data = seedData[seedIndex];
          for (const [pick, edit, replacement] of edits) {
            const paths = pathsOf(data);
            data = editNode(data, paths[pick % paths.length] ?? [], edit, replacement);
          }
          const text = stringify(data, { collectionStyle: flow ? "flow" : "any", lineWidth: 0 });
          checkDeterministic(text, parseChecked(text));
        },
      ),
      RUNS,
    );
  });
});

// --- Arbitrary text ---

describe("arbitrary text", () => {
  it("never throws on any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        parseChecked(text);
      }),
      RUNS,
    );
  });

  it("never throws on control characters and ASCII", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 200 }), (text) => {
        parseChecked(text);
      }),
      RUNS,
    );
  });

  it("never throws on YAML token soup, with or without a valid start", () => {
    const soup = fc.array(fc.oneof({ weight: 4, arbitrary: token }, fc.string({ maxLength: 3 })), { maxLength: 80 });
    fc.assert(
      fc.property(fc.boolean(), soup, (withHead, tokens) => {
        const text = (withHead ? "version: 1\nmatrix:\n  compiler: [gcc@12]\n" : "") + tokens.join("");
        checkDeterministic(text, parseChecked(text));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on line-structured YAML soup", () => {
    const line = fc
      .tuple(fc.nat(6), fc.array(token, { maxLength: 5 }))
      .map(([indent, parts]) => " ".repeat(indent) + parts.join(""));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        parseChecked(lines.join("\n"));
      }),
      RUNS,
    );
  });
});

// --- The expansion against a model of GitHub's rules ---

type Axis = "platform" | "compiler" | "cxx_standard" | "build_type";
const AXES: readonly Axis[] = ["platform", "compiler", "cxx_standard", "build_type"];
type AxisValue = string | number;

interface ModelEntry {
  readonly axes: Partial<Record<Axis, AxisValue>>;
  readonly sanitizers?: readonly string[];
  readonly coverage?: boolean;
  readonly tests?: boolean;
}

interface ModelMatrix {
  readonly axes: Partial<Record<Axis, readonly AxisValue[]>>;
  readonly exclude: readonly Partial<Record<Axis, AxisValue>>[];
  readonly include: readonly ModelEntry[];
  readonly sanitizers?: readonly string[];
  readonly coverage?: boolean;
  readonly tests?: boolean;
}

const POOLS: Readonly<Record<Axis, readonly AxisValue[]>> = {
  platform: ["linux", "macos"],
  compiler: ["gcc@12", "gcc@13", "clang@17", "msvc@2022"],
  cxx_standard: [17, 20],
  build_type: ["Debug", "Release"],
};
const DEFAULTS: Readonly<Record<Exclude<Axis, "compiler">, AxisValue>> = {
  platform: "linux",
  cxx_standard: 17,
  build_type: "Release",
};

/** GitHub's rules, step by step as the documentation states them: the expected cells, or null for an error. */
function modelCells(m: ModelMatrix): string[] | null {
  const declared = AXES.filter((a) => m.axes[a] !== undefined);
  // An exclude entry may only name axes.
  if (m.exclude.some((e) => Object.keys(e).some((k) => !declared.includes(k as Axis)))) return null;

  interface Combination {
    axes: Partial<Record<Axis, AxisValue>>;
    sanitizers?: readonly string[];
    coverage?: boolean;
    tests?: boolean;
  }
  // The product of the axes...
  let combinations: Combination[] = declared.length > 0 ? [{ axes: {} }] : [];
  for (const axis of declared) {
    combinations = combinations.flatMap((c) => (m.axes[axis] ?? []).map((v) => ({ axes: { ...c.axes, [axis]: v } })));
  }
  // ...less every combination an exclude entry matches on all its keys...
  combinations = combinations.filter(
    (c) => !m.exclude.some((e) => Object.entries(e).every(([k, v]) => c.axes[k as Axis] === v)),
  );
  // ...then each include entry is added to every original combination whose
  // original values it does not change, or becomes a combination of its own.
  const originals = combinations;
  const added: Combination[] = [];
  for (const entry of m.include) {
    const apply = (c: Combination) => {
      Object.assign(c.axes, entry.axes);
      if (entry.sanitizers !== undefined) c.sanitizers = entry.sanitizers;
      if (entry.coverage !== undefined) c.coverage = entry.coverage;
      if (entry.tests !== undefined) c.tests = entry.tests;
    };
    const fits = originals.filter((c) =>
      Object.entries(entry.axes).every(([k, v]) => !declared.includes(k as Axis) || c.axes[k as Axis] === v),
    );
    if (fits.length > 0) {
      fits.forEach(apply);
    } else {
      const created: Combination = { axes: {} };
      apply(created);
      added.push(created);
    }
  }

  const seen = new Set<string>();
  const cells: string[] = [];
  for (const c of [...originals, ...added]) {
    const full: Partial<Record<Axis, AxisValue>> = {};
    for (const axis of AXES) {
      // A missing axis: the axis's only value, the default of an undeclared
      // one, and no guess for a declared one with several values.
      const values = m.axes[axis];
      const value =
        c.axes[axis] ??
        (values?.length === 1 ? values[0] : values === undefined && axis !== "compiler" ? DEFAULTS[axis] : undefined);
      if (value === undefined) return null;
      full[axis] = value;
    }
    const requested = c.sanitizers ?? m.sanitizers ?? [];
    const sanitizers = SANITIZERS.filter((s) => requested.includes(s));
    const coverage = c.coverage ?? m.coverage ?? false;
    const tests = c.tests ?? m.tests ?? true;
    // A cell is its axes, sanitizers and coverage; two alike are an error.
    const key = [full.platform, full.compiler, full.cxx_standard, full.build_type, sanitizers.join("+"), coverage].join(
      " ",
    );
    if (seen.has(key)) return null;
    seen.add(key);
    cells.push(`${key} ${tests}`);
  }
  if (cells.length === 0 || cells.length > LIMITS.cells) return null;
  return cells.sort();
}

function cellKey(cell: Cell): string {
  const compiler = `${cell.compiler.family}@${cell.compiler.version}`;
  return [
    cell.platform,
    compiler,
    cell.cxxStandard,
    cell.buildType,
    cell.sanitizers.join("+"),
    cell.coverage,
    cell.tests,
  ].join(" ");
}

/** A compiler the way a config may write it: gcc@12 or {name: gcc, version: 12}. */
function written(axis: Axis, value: AxisValue, asMapping: boolean): unknown {
  if (axis !== "compiler" || !asMapping) return value;
  const [name, version] = String(value).split("@");
  return { name, version: Number(version) };
}

const axisEntry = fc.record(
  {
    platform: fc.constantFrom(...POOLS.platform),
    compiler: fc.constantFrom(...POOLS.compiler),
    cxx_standard: fc.constantFrom(...POOLS.cxx_standard),
    build_type: fc.constantFrom(...POOLS.build_type),
  },
  { requiredKeys: [] },
);
const modelMatrix: fc.Arbitrary<ModelMatrix> = fc.record(
  {
    axes: fc.record(
      {
        platform: fc.subarray([...POOLS.platform], { minLength: 1 }),
        compiler: fc.subarray([...POOLS.compiler], { minLength: 1 }),
        cxx_standard: fc.subarray([...POOLS.cxx_standard], { minLength: 1 }),
        build_type: fc.subarray([...POOLS.build_type], { minLength: 1 }),
      },
      { requiredKeys: [] },
    ),
    exclude: fc.array(
      axisEntry.filter((e) => Object.keys(e).length > 0),
      { maxLength: 3 },
    ),
    include: fc.array(
      fc.record(
        {
          axes: axisEntry,
          sanitizers: fc.subarray(["address", "undefined"]),
          coverage: fc.boolean(),
          tests: fc.boolean(),
        },
        { requiredKeys: ["axes"] },
      ),
      { maxLength: 4 },
    ),
    sanitizers: fc.subarray(["undefined", "leak"]),
    coverage: fc.boolean(),
    tests: fc.boolean(),
  },
  { requiredKeys: ["axes", "exclude", "include"] },
);

function modelConfigText(m: ModelMatrix, asMapping: (i: number) => boolean): string {
  let n = 0;
  const axisValues = (axis: Axis, value: AxisValue) => written(axis, value, asMapping(n++));
  const entry = (axes: Partial<Record<Axis, AxisValue>>) =>
    Object.fromEntries(Object.entries(axes).map(([k, v]) => [k, axisValues(k as Axis, v)]));
  const matrix: Record<string, unknown> = {};
  for (const axis of AXES) {
    const values = m.axes[axis];
    if (values) matrix[axis] = values.map((v) => axisValues(axis, v));
  }
  if (m.exclude.length > 0) matrix.exclude = m.exclude.map(entry);
  if (m.include.length > 0) {
    matrix.include = m.include.map((e) => ({
      ...entry(e.axes),
      ...(e.sanitizers && { sanitizers: e.sanitizers }),
      ...(e.coverage !== undefined && { coverage: e.coverage }),
      ...(e.tests !== undefined && { tests: e.tests }),
    }));
  }
  const config: Record<string, unknown> = { version: 1, matrix };
  if (m.sanitizers) config.sanitizers = m.sanitizers;
  if (m.coverage !== undefined) config.coverage = m.coverage;
  if (m.tests !== undefined) config.tests = m.tests;
  return stringify(config);
}

describe("the expansion", () => {
  it("agrees with a model of GitHub's include and exclude rules", () => {
    fc.assert(
      fc.property(modelMatrix, fc.func(fc.boolean()), (m, asMapping) => {
        const text = modelConfigText(m, (i) => asMapping(i));
        const result = parseChecked(text);
        const expected = modelCells(m);
        if (expected === null) {
          expect(result.ok, text).toBe(false);
        } else {
          expect(result.ok ? [...result.cells.map(cellKey)].sort() : result.problems, text).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("makes the full product when there is no include or exclude", () => {
    fc.assert(
      fc.property(modelMatrix, (m) => {
        fc.pre(m.axes.compiler !== undefined);
        const plain: ModelMatrix = { axes: m.axes, exclude: [], include: [] };
        const result = parseChecked(modelConfigText(plain, () => false));
        const size = AXES.reduce((n, axis) => n * (m.axes[axis]?.length ?? 1), 1);
        expect(result.ok && result.cells.length).toBe(size);
      }),
      RUNS,
    );
  });

  it("gives a cell the same id whatever else the matrix holds", () => {
    fc.assert(
      fc.property(modelMatrix, modelMatrix, (a, b) => {
        const first = parseConfig(modelConfigText(a, () => false));
        const second = parseConfig(modelConfigText(b, () => true));
        fc.pre(first.ok && second.ok);
        if (!first.ok || !second.ok) return;
        // A cell both matrices make (same axes, sanitizers, coverage) has the same id and name in both.
        const byKey = new Map(first.cells.map((c) => [cellKey(c).replace(/ (true|false)$/, ""), c]));
        for (const cell of second.cells) {
          const twin = byKey.get(cellKey(cell).replace(/ (true|false)$/, ""));
          if (twin) expect([cell.id, cell.name]).toEqual([twin.id, twin.name]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
