/** The parsers the engine offers each line to, in order. */
import { CtestParser, MakeParser, NinjaParser } from "./build-tools.ts";
import { CmakeParser } from "./cmake.ts";
import { type GccClangOptions, GccClangParser } from "./gcc-clang.ts";
import { LinkerParser } from "./linker.ts";
import { MsvcParser } from "./msvc.ts";
import type { ToolParser } from "./parser.ts";

export function defaultParsers(options: GccClangOptions = {}): ToolParser[] {
  return [
    // Before the compilers' grammar: ninja's echoed command line and status line
    // may read like a diagnostic; gold prints `file:line: error: undefined reference`;
    // make prints `Makefile:7: warning: ...`; clang's `linker command failed` is the linker's.
    new LinkerParser(),
    new NinjaParser(),
    new MakeParser(),
    new GccClangParser(options),
    new MsvcParser(),
    new CmakeParser(),
    new CtestParser(),
  ];
}
