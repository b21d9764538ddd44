/**
 * `${{ matrix.<axis> }}`, GitHub Actions' spelling, in the strings a cell's
 * build reads (INTERPOLATED below): each cell gets its own axis values written
 * in. Only the matrix context exists: `${{ env.X }}`, `${{ secrets.X }}` or an
 * unknown axis is a config error at the string, never a literal `${{` that
 * reaches a shell. Pure.
 */
import type { Cell } from "./matrix.ts";
import type { FieldPath } from "./problems.ts";
import { closest } from "./suggest.ts";

/** One expression: `${{`, anything but braces, `}}`. */
const EXPRESSION = /\$\{\{([^{}]*)\}\}/g;
const MATRIX_NAME = /^matrix\.([a-z][a-z0-9_]*(?:\.[a-z]+)?)$/;

/** The built-in names, besides the custom axes (`matrix.axes`). */
export const BUILT_IN_NAMES = [
  "platform",
  "compiler",
  "compiler.name",
  "compiler.version",
  "cxx_standard",
  "c_standard",
  "llvm",
  "build_type",
] as const;

/**
 * Where expressions are written in: a path pattern (`*` a key or index) each.
 * `image` and `packages` (top level and include entries) and include entries'
 * `env` and `configure_args` are written in when the cell is made (they decide
 * its image); the rest when its attempt starts (settingsForCell).
 */
export const INTERPOLATED: readonly FieldPath[] = [
  ["env", "*"],
  ["image"],
  ["packages", "*"],
  ["artifacts", "*"],
  ["build", "cmake", "configure_args", "*"],
  ["build", "cmake", "build_args", "*"],
  ["build", "cmake", "targets", "*"],
  ["build", "script", "commands", "*"],
  ["build", "script", "env", "*"],
  ["tests", "command"],
  ["tests", "ctest_args", "*"],
  ["tests", "test_dir"],
  ["tests", "junit", "*"],
  ["sbom", "script"],
  ["matrix", "include", "*", "env", "*"],
  ["matrix", "include", "*", "configure_args", "*"],
  ["matrix", "include", "*", "image"],
  ["matrix", "include", "*", "packages", "*"],
];

/** The values a cell's expressions take: every built-in name (empty when the cell has none) and its custom axes. */
export type MatrixContext = Readonly<Record<string, string>>;

export function matrixContext(
  cell: Pick<Cell, "platform" | "compiler" | "cxxStandard" | "cStandard" | "llvm" | "buildType" | "customAxes">,
): MatrixContext {
  return {
    platform: cell.platform,
    compiler: `${cell.compiler.family}-${cell.compiler.version}`,
    "compiler.name": cell.compiler.family,
    "compiler.version": String(cell.compiler.version),
    cxx_standard: cell.cxxStandard == null ? "" : String(cell.cxxStandard),
    c_standard: cell.cStandard == null ? "" : String(cell.cStandard),
    llvm: cell.llvm == null ? "" : String(cell.llvm),
    build_type: cell.buildType,
    // A cell queued before custom axes existed has none.
    ...(cell.customAxes ?? {}),
  };
}

export function hasExpression(text: string): boolean {
  return text.includes("${{");
}

/** What is wrong with the expressions of `text`, given the names it may use; [] when nothing is. */
export function expressionProblems(text: string, names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(EXPRESSION)) {
    const inner = (match[1] ?? "").trim();
    const name = MATRIX_NAME.exec(inner)?.[1];
    if (name === undefined) {
      problems.push(
        `'${match[0]}': only \${{ matrix.<axis> }} is written in here (an environment variable is $NAME in a command)`,
      );
    } else if (!names.includes(name)) {
      const guess = closest(name, names);
      problems.push(
        `'${match[0]}' names no axis of this matrix${guess ? `; did you mean 'matrix.${guess}'?` : ""} (axes: ${names.join(", ")})`,
      );
    }
  }
  // What is left once the expressions are out: a `${{` never closed.
  if (hasExpression(text.replace(EXPRESSION, ""))) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the syntax itself.
    problems.push("'${{' opens an expression that is not closed with '}}' (write ${{ matrix.<axis> }})");
  }
  return problems;
}

/** Thrown for an expression a validated config cannot hold (a job's settings altered after validation). */
export class InterpolationError extends Error {
  readonly expression: string;
  constructor(expression: string) {
    super(`'${expression}' is not an axis of this cell`);
    this.name = "InterpolationError";
    this.expression = expression;
  }
}

/** `text` with each `${{ matrix.NAME }}` replaced by the cell's value. */
export function interpolate(text: string, context: MatrixContext): string {
  if (!hasExpression(text)) return text;
  return text.replace(EXPRESSION, (whole, inner: string) => {
    const name = MATRIX_NAME.exec(inner.trim())?.[1];
    const value = name === undefined ? undefined : context[name];
    if (value === undefined) throw new InterpolationError(whole);
    return value;
  });
}

/** The names `text`'s expressions use (`shared`, `compiler.name`). */
export function namesIn(text: string): string[] {
  return [...text.matchAll(EXPRESSION)].flatMap((m) => MATRIX_NAME.exec((m[1] ?? "").trim())?.[1] ?? []);
}

/** `text` with its expressions replaced by a placeholder, for checking the shape of what is around them. */
export function withoutExpressions(text: string, placeholder = "x"): string {
  return text.replace(EXPRESSION, placeholder);
}

/** Whether `path` (a field of the file) is one where expressions are written in. */
export function isInterpolated(path: FieldPath): boolean {
  return INTERPOLATED.some(
    (pattern) => pattern.length === path.length && pattern.every((part, i) => part === "*" || part === path[i]),
  );
}

/**
 * Every problem with expressions in the file's own data (before the schema's
 * transforms, so paths are the file's): a bad expression where they are
 * written in, and any `${{` where they are not.
 */
export function interpolationProblems(
  data: unknown,
  names: readonly string[],
): { readonly path: FieldPath; readonly message: string }[] {
  const found: { path: FieldPath; message: string }[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      if (!hasExpression(value)) return;
      if (isInterpolated(path)) {
        for (const message of expressionProblems(value, names)) found.push({ path, message });
      } else {
        found.push({
          path,
          message:
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the syntax itself.
            "${{ }} is not written in here; it is in env values, image, packages, artifacts, build and tests commands and arguments, sbom.script, and include entries' env, configure_args, image and packages",
        });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        walk(item, [...path, index]);
      });
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    }
  };
  walk(data, []);
  return found;
}
