/** The parsers the engine offers each line to, in order. */
import { type GccClangOptions, GccClangParser } from "./gcc-clang.ts";
import type { ToolParser } from "./parser.ts";

export function defaultParsers(options: GccClangOptions = {}): ToolParser[] {
  return [new GccClangParser(options)];
}
