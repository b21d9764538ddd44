/**
 * A build's `compile_commands.json` read as translation units: each file's
 * language, the standard its command line gave it (the last `-std=` wins, as
 * in GCC, Clang and MSVC) and the CMake target it belongs to. Pure.
 *
 * The file is the build's: untrusted. Entries that are not what CMake or Bear
 * write are passed over and counted, never thrown on.
 */
import type { Language } from "../config/standards.ts";

export interface TranslationUnit {
  readonly file: string;
  readonly language: Language;
  /** The value of the last `-std=` (or MSVC's `/std:`) as given, e.g. `gnu++11`; null when none was given. */
  readonly std: string | null;
  /** The CMake target, from the object's `CMakeFiles/<target>.dir/` path; null when it cannot be told. */
  readonly target: string | null;
}

export interface CompileCommands {
  readonly units: readonly TranslationUnit[];
  /** Entries that were not a C or C++ compile (assembly, Objective-C, CUDA) or not readable. */
  readonly ignored: number;
}

export class CompileCommandsError extends Error {
  override readonly name = "CompileCommandsError";
}

/** Entries read at most: a bound on what a hostile file costs. */
export const MAX_ENTRIES = 200_000;

const CXX_EXTENSIONS = new Set([".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".CPP", ".ixx", ".cppm", ".mpp", ".cu"]);

export function parseCompileCommands(text: string): CompileCommands {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CompileCommandsError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(parsed)) throw new CompileCommandsError("not a JSON array of compile commands");
  const units: TranslationUnit[] = [];
  let ignored = 0;
  for (const entry of parsed.slice(0, MAX_ENTRIES)) {
    const unit = unitOf(entry);
    if (unit) units.push(unit);
    else ignored++;
  }
  return { units, ignored: ignored + Math.max(0, parsed.length - MAX_ENTRIES) };
}

function unitOf(entry: unknown): TranslationUnit | null {
  if (typeof entry !== "object" || entry === null) return null;
  const { file, arguments: args, command, output } = entry as Record<string, unknown>;
  if (typeof file !== "string") return null;
  const argv = Array.isArray(args)
    ? args.filter((a): a is string => typeof a === "string")
    : typeof command === "string"
      ? splitCommand(command)
      : null;
  if (!argv) return null;
  const language = languageOf(file, argv);
  // CUDA is compiled by nvcc with its own idea of -std: not checked.
  if (!language || file.endsWith(".cu")) return null;
  return {
    file,
    language,
    std: lastStandard(argv),
    target: targetOf(typeof output === "string" ? output : objectOf(argv)),
  };
}

/** `-x c++` (or MSVC's /TP, /Tc) first, else the extension GCC and Clang go by. */
function languageOf(file: string, argv: readonly string[]): Language | null {
  let forced: string | null = null;
  argv.forEach((arg, i) => {
    if (arg === "-x") forced = argv[i + 1] ?? null;
    // -xc++ glued; -xc-header (a precompiled header) names no language we check.
    else if (arg.startsWith("-x") && arg.length > 2) forced = arg.slice(2);
    else if (/^[/-]T[Pp]$/.test(arg)) forced = "c++";
    else if (/^[/-]T[Cc]$/.test(arg)) forced = "c";
  });
  if (forced === "c++") return "c++";
  if (forced === "c") return "c";
  if (forced !== null) return null;
  const dot = file.lastIndexOf(".");
  const extension = dot < 0 ? "" : file.slice(dot);
  if (extension === ".c") return "c";
  if (CXX_EXTENSIONS.has(extension)) return "c++";
  return null;
}

/** The last `-std=X`, `--std=X`, `--std X` or `/std:X` (`-std:X`) value, as given. */
function lastStandard(argv: readonly string[]): string | null {
  let std: string | null = null;
  argv.forEach((arg, i) => {
    const match = /^(?:--?std=|[/-]std:)(.+)$/.exec(arg);
    if (match) std = match[1] as string;
    else if (arg === "--std" && argv[i + 1] !== undefined) std = argv[i + 1] as string;
  });
  return std;
}

function objectOf(argv: readonly string[]): string | null {
  const at = argv.lastIndexOf("-o");
  if (at >= 0) return argv[at + 1] ?? null;
  const msvc = argv.findLast((a) => /^[/-]Fo/.test(a));
  return msvc ? msvc.slice(3) : null;
}

function targetOf(object: string | null): string | null {
  if (!object) return null;
  return /(?:^|[/\\])CMakeFiles[/\\]([^/\\]+)\.dir[/\\]/.exec(object)?.[1] ?? null;
}

/**
 * A command line split as a POSIX shell would (quotes and backslashes), which
 * is how CMake and Bear write `command`. No expansion of any kind.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && i + 1 < command.length && '"\\$`\n'.includes(command[i + 1] as string))
        word += command[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
