/**
 * A compiler as `.heimdall-build.yml` writes it (`gcc@12`, `{name: gcc, version: 12}`,
 * or in the matrix axis `{name: gcc, version: [11, 12]}`), checked against the
 * catalog with a "did you mean" for the names people type.
 */
import { z } from "zod";
import { CATALOG, COMPILER_FAMILIES, type CompilerFamily, describeVersions, findCompiler } from "./catalog.ts";
import { LIMITS } from "./limits.ts";
import { closest } from "./suggest.ts";

/** A compiler as written: the family and one version. */
export interface CompilerRef {
  readonly family: CompilerFamily;
  readonly version: number;
}

export function compilerKey(ref: CompilerRef): string {
  return `${ref.family}@${ref.version}`;
}

const COMPILER_STRING = /^([A-Za-z][A-Za-z0-9+_-]*)@([0-9]+)$/;

/** Names people type for a family, mapped to the family. */
const FAMILY_ALIASES: Readonly<Record<string, CompilerFamily>> = {
  "g++": "gcc",
  gnu: "gcc",
  "clang++": "clang",
  llvm: "clang",
  appleclang: "apple-clang",
  "apple-clang++": "apple-clang",
  xcode: "apple-clang",
  cl: "msvc",
  vs: "msvc",
  "visual-studio": "msvc",
};

function checkCompiler(family: string, version: number, written: string, ctx: z.RefinementCtx): CompilerRef | null {
  if (!(COMPILER_FAMILIES as readonly string[]).includes(family)) {
    const guess = FAMILY_ALIASES[family.toLowerCase()] ?? closest(family, COMPILER_FAMILIES);
    ctx.addIssue({
      code: "custom",
      message: `unknown compiler '${family}' in '${written}'${guess ? `; did you mean '${guess}@${version}'?` : ""} (known compilers: ${COMPILER_FAMILIES.join(", ")})`,
    });
    return null;
  }
  const known = family as CompilerFamily;
  if (!findCompiler(known, version)) {
    ctx.addIssue({
      code: "custom",
      message: `compiler '${written}' is not in the catalog; ${known} versions known: ${describeVersions(known)}`,
    });
    return null;
  }
  return { family: known, version };
}

const VERSION_MESSAGE = "a compiler version is a whole number such as 12 or 2022";
const versionNumber = z.union(
  [z.int({ error: VERSION_MESSAGE }).min(0).max(99999), z.string().regex(/^[0-9]{1,5}$/, { error: VERSION_MESSAGE })],
  { error: VERSION_MESSAGE },
);

const compilerString = z
  .string()
  .max(64)
  .regex(COMPILER_STRING, { error: "a compiler is written NAME@VERSION, such as gcc@12 or clang@16" })
  // The enum is for editors' completion; the check with a readable message is checkCompiler's.
  .meta({ enum: CATALOG.map((r) => `${r.family}@${r.version}`) });

const compilerObject = z.strictObject({
  name: z
    .string()
    .max(64)
    .meta({ enum: [...COMPILER_FAMILIES] }),
  version: versionNumber,
});

/** One compiler: `gcc@12` or `{name: gcc, version: 12}`. */
export const compilerSchema = z
  .union([compilerString, compilerObject], {
    error: "a compiler is written gcc@12 or {name: gcc, version: 12}",
  })
  .transform((value, ctx): CompilerRef => {
    const [family, version, written] =
      typeof value === "string"
        ? parseCompilerString(value)
        : [value.name, Number(value.version), `${value.name}@${value.version}`];
    return checkCompiler(family, version, written, ctx) ?? z.NEVER;
  });

function parseCompilerString(value: string): [string, number, string] {
  const match = COMPILER_STRING.exec(value);
  return [match?.[1] ?? "", Number(match?.[2]), value];
}

/** In the matrix axis a compiler may list several versions: `{name: gcc, version: [11, 12]}`. */
export const compilerAxisItem = z
  .union(
    [
      compilerString,
      compilerObject,
      z.strictObject({
        name: compilerObject.shape.name,
        version: z.array(versionNumber).min(1).max(LIMITS.axisValues),
      }),
    ],
    { error: "a compiler is written gcc@12, {name: gcc, version: 12} or {name: gcc, version: [11, 12]}" },
  )
  .transform((value, ctx): CompilerRef[] => {
    if (typeof value === "string") {
      const [family, version, written] = parseCompilerString(value);
      const ref = checkCompiler(family, version, written, ctx);
      return ref ? [ref] : [];
    }
    const versions = Array.isArray(value.version) ? value.version : [value.version];
    return versions.flatMap((v) => {
      const ref = checkCompiler(value.name, Number(v), `${value.name}@${v}`, ctx);
      return ref ? [ref] : [];
    });
  });
