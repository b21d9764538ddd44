/** Annotations printed the way gcc and clang print diagnostics, for terminals and logs. */
import { styleText } from "node:util";
import type { Annotation, AnnotationLevel } from "./annotations.ts";

/** The compiler's word for each annotation level. */
export const LEVEL_WORD: Readonly<Record<AnnotationLevel, string>> = {
  failure: "error",
  warning: "warning",
  notice: "note",
};

const LEVEL_COLOR = {
  failure: "red",
  warning: "magenta",
  notice: "cyan",
} as const satisfies Record<AnnotationLevel, string>;

/**
 * `src/a.cpp:7:25: warning: message [-Wsign-compare]`; with `color`, the
 * location bold and the level coloured as gcc colours them.
 */
export function compilerStyle(a: Annotation, color = false): string {
  const column = a.start_column ? `:${a.start_column}` : "";
  const code = a.code ? ` [${a.code}]` : "";
  const where = `${a.path}:${a.start_line}${column}:`;
  const level = `${LEVEL_WORD[a.annotation_level]}:`;
  if (!color) return `${where} ${level} ${a.message}${code}`;
  const paint = (format: Parameters<typeof styleText>[0], text: string) =>
    styleText(format, text, { validateStream: false });
  return `${paint("bold", where)} ${paint(["bold", LEVEL_COLOR[a.annotation_level]], level)} ${a.message}${code}`;
}
