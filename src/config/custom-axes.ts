/**
 * Custom axes: `matrix.axes: {shared: [ON, OFF], backend: [a, b]}`. Each is
 * multiplied with the built-in axes, named in include and exclude entries like
 * them (`- shared: OFF`), part of cell names (`shared=ON`) and ids, written in
 * by `${{ matrix.shared }}` and set as `MATRIX_SHARED` in the build. Values
 * are short scalars kept as text: they travel in cell ids, check run names and
 * image tags. Pure.
 */
import { z } from "zod";
import { describe } from "./problems.ts";
import { closest } from "./suggest.ts";

export const CUSTOM_AXIS_LIMITS = { axes: 8, nameLength: 32, valueLength: 64 } as const;

const NAME = /^[a-z][a-z0-9_]*$/;
const VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VALUE_ERROR = `a custom axis's value is a word, number or true/false (letters, digits, . _ -, at most ${CUSTOM_AXIS_LIMITS.valueLength} characters)`;

/** Names that already mean something in the matrix or its entries. */
const TAKEN = [
  "platform",
  "compiler",
  "cxx_standard",
  "c_standard",
  "llvm",
  "build_type",
  "axes",
  "include",
  "exclude",
  "sanitizers",
  "coverage",
  "tests",
  "image",
  "packages",
  "env",
  "configure_args",
];

/** A value as written (`ON`, `2`, `true`), kept as the text it reads as. */
const valueError = (issue: { readonly input?: unknown }) => `${VALUE_ERROR}; got ${describe(issue.input)}`;
export const customAxisValue = z
  // A union failing is reported with what it got by problems.ts.
  .union([z.string(), z.number(), z.boolean()], { error: VALUE_ERROR })
  .transform(String)
  .pipe(z.string().max(CUSTOM_AXIS_LIMITS.valueLength, { error: valueError }).regex(VALUE, { error: valueError }));

/** The JSON schema of a value, for editors (the entries' other keys). */
export const CUSTOM_AXIS_VALUE_JSON = {
  description: "A custom axis's value (an axis of matrix.axes).",
  anyOf: [
    { type: "string", pattern: VALUE.source, maxLength: CUSTOM_AXIS_LIMITS.valueLength },
    { type: "number" },
    { type: "boolean" },
  ],
};

const axisName = z
  .string()
  .max(CUSTOM_AXIS_LIMITS.nameLength)
  .regex(NAME, { error: "a custom axis's name is lower case letters, digits and _, starting with a letter" })
  .refine((name) => !TAKEN.includes(name), { error: "is a built-in key of the matrix or its entries" });

/** `matrix.axes`, its lists made by the schema's own axis factory (distinct values, bounded). */
export function customAxes<T extends z.ZodType>(axis: (item: typeof customAxisValue, describe: string) => T) {
  return z
    .record(axisName, axis(customAxisValue, "value"))
    .refine((axes) => Object.keys(axes).length <= CUSTOM_AXIS_LIMITS.axes, {
      error: `at most ${CUSTOM_AXIS_LIMITS.axes} custom axes`,
    });
}

/** A custom issue, pointing at its key when `atKey`, for problems.ts. */
export interface EntryIssue {
  readonly code: "custom";
  readonly path: (string | number)[];
  readonly message: string;
  readonly params?: { readonly atKey: true };
}

/**
 * The keys of an include or exclude entry beyond its own properties: each
 * must be a declared custom axis with a valid value.
 */
export function checkEntryAxes(
  entry: Readonly<Record<string, unknown>>,
  properties: readonly string[],
  axes: Readonly<Record<string, readonly string[]>>,
): EntryIssue[] {
  const declared = Object.keys(axes);
  const issues: EntryIssue[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (properties.includes(key) || value === undefined) continue;
    if (!declared.includes(key)) {
      const guess = closest(key, [...properties, ...declared]);
      const hint = guess
        ? `; did you mean '${guess}'?`
        : `; allowed here: ${[...properties, ...declared].join(", ")} (custom axes are declared in matrix.axes)`;
      issues.push({ code: "custom", path: [key], message: `unknown key '${key}'${hint}`, params: { atKey: true } });
      continue;
    }
    if (!customAxisValue.safeParse(value).success)
      issues.push({ code: "custom", path: [key], message: valueError({ input: value }) });
  }
  return issues;
}

/** The custom axes' values an entry names, as text (the entry was checked by checkEntryAxes). */
export function entryAxisValues(
  entry: Readonly<Record<string, unknown>>,
  declared: readonly string[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of declared) if (entry[name] !== undefined) values[name] = String(entry[name]);
  return values;
}
