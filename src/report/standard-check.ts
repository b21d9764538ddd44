/**
 * Was the cell built with the standard its name says? Every translation unit
 * of the cell's language(s) is counted by the standard its compile command
 * gave it (none: the compiler's default, which the catalog knows per release).
 * GNU dialects count as the standard they extend (`gnu++20` is C++20); the
 * spellings are kept as given. Pure: compile commands in, a verdict and its
 * words out.
 */
import type { CompilerFamily } from "../config/catalog.ts";
import { defaultStandard, type Language, parseStandardSpelling, standardName } from "../config/standards.ts";
import type { CompileCommands, TranslationUnit } from "./compile-commands.ts";

/** What a cell's standard check found for one language. */
export interface StandardCheck {
  readonly language: Language;
  /** The cell's standard as its name says it: `c++20`, `c11`. */
  readonly expected: string;
  /** Translation units by the `-std=` value they were given, or `default`. */
  readonly seen: Readonly<Record<string, number>>;
  /** false: some unit was built as another standard (or none of the language was built); null: not known. */
  readonly ok: boolean | null;
  /** Units built as another standard, by CMake target and spelling, most first. */
  readonly off: readonly OffTarget[];
  /** The compiler's default, when some unit was given none (`gnu++17`); null when the catalog does not know it. */
  readonly compilerDefault: string | null;
}

export interface OffTarget {
  /** Null when the object path names no CMake target. */
  readonly target: string | null;
  readonly std: string;
  readonly units: number;
}

export interface StandardCheckCell {
  readonly family: CompilerFamily;
  readonly version: number;
  readonly cxxStandard: number | null;
  readonly cStandard: number | null;
  /** The catalog's flags for the cell's standards (`-std=c++2b`, `/std:c++latest`). */
  readonly stdFlag: string | null;
  readonly cStdFlag: string | null;
}

export type StandardPolicy = "warn" | "fail" | "ignore";

/** One check per standard the cell has, C++ first. */
export function checkStandards(commands: CompileCommands, cell: StandardCheckCell): StandardCheck[] {
  const checks: StandardCheck[] = [];
  if (cell.cxxStandard !== null)
    checks.push(checkLanguage(commands.units, cell, "c++", cell.cxxStandard, cell.stdFlag));
  if (cell.cStandard !== null) checks.push(checkLanguage(commands.units, cell, "c", cell.cStandard, cell.cStdFlag));
  return checks;
}

function checkLanguage(
  all: readonly TranslationUnit[],
  cell: StandardCheckCell,
  language: Language,
  standard: number,
  flag: string | null,
): StandardCheck {
  const units = all.filter((u) => u.language === language);
  const compilerDefault = defaultStandard(cell.family, cell.version, language);
  const seen: Record<string, number> = {};
  const off = new Map<string, { target: string | null; std: string; units: number }>();
  let unknown = false;
  for (const unit of units) {
    const spelling = unit.std ?? "default";
    seen[spelling] = (seen[spelling] ?? 0) + 1;
    const verdict = matches(unit.std, language, standard, flag, compilerDefault);
    if (verdict === null) unknown = true;
    else if (!verdict) {
      const key = `${unit.target ?? ""}\u0000${spelling}`;
      const group = off.get(key) ?? { target: unit.target, std: spelling, units: 0 };
      group.units++;
      off.set(key, group);
    }
  }
  // Nothing of the language built while the other language was: the cell's standard was not exercised.
  const ok = off.size > 0 || (units.length === 0 && all.length > 0) ? false : unknown || all.length === 0 ? null : true;
  return {
    language,
    expected: standardName(language, standard),
    seen,
    ok,
    off: [...off.values()].sort((a, b) => b.units - a.units || String(a.target).localeCompare(String(b.target))),
    compilerDefault: units.some((u) => u.std === null) ? compilerDefault : null,
  };
}

/** Whether a unit's `-std=` value (null: none) is the cell's standard; null when it cannot be told. */
function matches(
  std: string | null,
  language: Language,
  standard: number,
  flag: string | null,
  compilerDefault: string | null,
): boolean | null {
  const spelling = std ?? compilerDefault;
  if (spelling === null) return null;
  // The catalog's own flag is the standard by definition (`/std:c++latest` is MSVC 2022's C++23).
  if (flag !== null && std !== null && flag.replace(/^(?:-std=|\/std:)/, "") === std) return true;
  const named = parseStandardSpelling(spelling);
  return named !== null && named.language === language && named.standard === standard;
}

/** The checks that found another standard (ok false). */
export function mismatches(checks: readonly StandardCheck[] | null): StandardCheck[] {
  return (checks ?? []).filter((c) => c.ok === false);
}

/** The conclusion once the standards are weighed: a passing cell built as another standard is neutral (warn) or failure (fail). */
export function concludeWithStandards<C extends string>(
  conclusion: C,
  checks: readonly StandardCheck[] | null,
  policy: StandardPolicy,
): C | "neutral" | "failure" {
  if (conclusion !== "success" || policy === "ignore" || mismatches(checks).length === 0) return conclusion;
  return policy === "fail" ? "failure" : "neutral";
}

function units(n: number): string {
  return `${n} TU${n === 1 ? "" : "s"}`;
}

/**
 * One line for a title: "built as gnu++11 (32 TUs), gnu++14 (17 TUs), not
 * C++20: the project sets its own standard".
 */
export function mismatchWords(check: StandardCheck): string {
  const expected = check.expected.toUpperCase();
  const total = Object.values(check.seen).reduce((a, b) => a + b, 0);
  if (total === 0)
    return `no ${check.language === "c++" ? "C++" : "C"} translation unit was built, so ${expected} was not exercised`;
  const bySpelling = new Map<string, number>();
  for (const o of check.off) bySpelling.set(o.std, (bySpelling.get(o.std) ?? 0) + o.units);
  const offCount = [...bySpelling.values()].reduce((a, b) => a + b, 0);
  const parts = [...bySpelling.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([std, n]) =>
        `${std === "default" ? `the compiler's default${check.compilerDefault ? ` ${check.compilerDefault}` : ""}` : std} (${units(n)})`,
    );
  const rest = total - offCount;
  const not = rest > 0 ? `, not ${expected} (${rest} of ${units(total)} were)` : `, not ${expected}`;
  const why = bySpelling.has("default")
    ? bySpelling.size === 1
      ? ": no -std= reached them"
      : ": the project sets its own standard, and no -std= reached some"
    : ": the project sets its own standard";
  return `built as ${parts.join(", ")}${not}${why}`;
}

/** Rows of the targets table at most. */
const MAX_TARGET_ROWS = 20;

/**
 * The summary's standard section: one line when every unit had the cell's
 * standard; the counts and the targets when not; why, when it was not checked.
 * `notChecked` says why there are no checks (null: the cell has no standard to check).
 */
export function standardSection(checks: readonly StandardCheck[] | null, notChecked: string | null): string {
  if (checks === null) return notChecked ? `**Standard not verified**: ${notChecked}.` : "";
  const parts: string[] = [];
  for (const check of checks) {
    const total = Object.values(check.seen).reduce((a, b) => a + b, 0);
    const counts = Object.entries(check.seen)
      .sort((a, b) => b[1] - a[1])
      .map(([std, n]) => `\`${std.replace(/[`\n]/g, "")}\` ${n}`)
      .join(", ");
    const lang = check.language === "c++" ? "C++" : "C";
    if (check.ok === true) {
      const all = total === 1 ? `the one ${lang} translation unit was` : `all ${total} ${lang} translation units were`;
      parts.push(`**Standard**: ${all} built as ${check.expected.toUpperCase()} (${counts}).`);
      continue;
    }
    if (check.ok === null) {
      parts.push(
        `**Standard not verified** for ${lang}: ${total === 0 ? "the compile commands list no translation unit" : `the catalog does not know this compiler's default standard (${counts})`}.`,
      );
      continue;
    }
    const rows = check.off.slice(0, MAX_TARGET_ROWS).map((o) => {
      const target = o.target === null ? "—" : `\`${o.target.replace(/[`\n|]/g, "").slice(0, 200)}\``;
      return `| ${target} | \`${o.std.replace(/[`\n|]/g, "").slice(0, 100)}\` | ${o.units} |`;
    });
    if (check.off.length > MAX_TARGET_ROWS) rows.push(`| ... and ${check.off.length - MAX_TARGET_ROWS} more | | |`);
    parts.push(
      [
        `### ⚠️ Standard: ${mismatchWords(check)}`,
        "",
        `${lang} translation units by their \`-std=\`: ${counts || "none"}.`,
        ...(rows.length > 0 ? ["", "| target | built as | TUs |", "|---|---|---|", ...rows] : []),
      ].join("\n"),
    );
  }
  return parts.join("\n\n");
}

/** A check as `run --json`, report.json and the API give it: `{"expected": "c++20", "seen": {"gnu++11": 32}, "ok": false}`. */
export function standardCheckJson(check: StandardCheck): {
  expected: string;
  seen: Readonly<Record<string, number>>;
  ok: boolean | null;
} {
  return { expected: check.expected, seen: check.seen, ok: check.ok };
}
