/**
 * The cell's compiler, set and verified before anything is built. The cell
 * exports the catalog's commands (`CC=gcc-12 CXX=g++-12`) whatever the image's
 * defaults, then asks each compiler what it is from its own predefined macros
 * (`__clang__`, `__clang_major__`, `__GNUC__`, ...): a missing command, or one
 * that is another compiler or another major version, ends the cell in its
 * `compiler` phase with a marker that says so. Pure: shell text, and the
 * parsing of what it prints.
 */
import { type CompilerFamily, compilerCommands } from "../config/catalog.ts";
import { shellQuote } from "./shell-quote.ts";

/** What a compiler said it is. */
export interface IdentifiedCompiler {
  /** `c` or `c++`. */
  readonly language: "c" | "c++";
  /** The command the cell ran, e.g. `g++-12`. */
  readonly command: string;
  readonly family: "gcc" | "clang" | "unknown";
  /** major.minor.patch from the macros, e.g. `12.2.0`. */
  readonly version: string;
  /** The first line of `--version`, e.g. `g++-12 (Debian 12.2.0-14) 12.2.0`. */
  readonly versionLine: string;
}

/**
 * Shell lines for the script, before its first phase: the exports and the
 * `compiler` phase; none for a compiler the catalog names no command for
 * (apple-clang and msvc cells use the host's own).
 */
export function compilerCheckLines(nonce: string, family: CompilerFamily, version: number): string[] {
  const commands = compilerCommands(family, version);
  if (!commands) return [];
  const marker = `##heimdall[${nonce}] `;
  const identify = [
    "identify() {",
    '  m=$(echo | "$2" -dM -E -x "$1" - 2>/dev/null) || return 1',
    '  case "$m" in',
    `    *"#define __clang__ "*) f=clang; v=$(printf '%s\\n' "$m" | awk '$2=="__clang_major__"{a=$3} $2=="__clang_minor__"{b=$3} $2=="__clang_patchlevel__"{c=$3} END{print a"."b"."c}') ;;`,
    `    *"#define __GNUC__ "*) f=gcc; v=$(printf '%s\\n' "$m" | awk '$2=="__GNUC__"{a=$3} $2=="__GNUC_MINOR__"{b=$3} $2=="__GNUC_PATCHLEVEL__"{c=$3} END{print a"."b"."c}') ;;`,
    "    *) f=unknown; v=0.0.0 ;;",
    "  esac",
    '  echo "$f $v"',
    "}",
  ].join("\n");
  const check = [
    "check_compilers() {",
    'for pair in "c:$CC" "c++:$CXX"; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    "  lang=${pair%%:*}; cmd=${pair#*:}",
    '  if ! command -v "$cmd" >/dev/null 2>&1; then',
    '    seen=$(identify c++ "$image_cxx" 2>/dev/null || true)',
    `    echo ${shellQuote(`${marker}compiler-problem the image has no `)}"$cmd"\${seen:+" (its \\$CXX, $image_cxx, is $seen)"}`,
    "    exit 3",
    "  fi",
    `  got=$(identify "$lang" "$cmd") || { echo ${shellQuote(`${marker}compiler-problem `)}"$cmd does not compile (it printed no predefined macros)"; exit 3; }`,
    "  set -- $got",
    `  echo ${shellQuote(`${marker}compiler `)}"$lang $cmd $1 $2 $("$cmd" --version 2>/dev/null | head -n 1)"`,
    `  if [ "$1" != ${shellQuote(family)} ] || [ "\${2%%.*}" != ${shellQuote(String(version))} ]; then`,
    `    echo ${shellQuote(`${marker}compiler-problem `)}"$cmd is $1 $2, not ${family} ${version}"`,
    "    exit 3",
    "  fi",
    "done",
    "}",
  ].join("\n");
  return [
    identify,
    // The image's own default, named when the cell's compiler is missing.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    "image_cxx=${CXX:-c++}",
    `export CC=${shellQuote(commands.cc)} CXX=${shellQuote(commands.cxx)}`,
    check,
    "phase compiler check_compilers",
  ];
}

/** A `compiler` marker's words after the marker: `<lang> <command> <family> <version> <version line...>`. */
export function parseCompilerMarker(words: readonly string[]): IdentifiedCompiler | null {
  const [language, command, family, version, ...line] = words;
  if ((language !== "c" && language !== "c++") || !command || !family || !version) return null;
  if (!/^\d+\.\d+\.\d+$/.test(version)) return null;
  const known = family === "gcc" || family === "clang" ? family : "unknown";
  return { language, command, family: known, version, versionLine: line.join(" ").slice(0, 300) };
}
