/**
 * The keys an object in the schema accepts at a given path, found by walking
 * the zod schema itself so that "did you mean" never drifts from what the
 * schema really allows.
 */
import type { z } from "zod";
import type { FieldPath } from "./problems.ts";

type AnySchema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly shape?: Record<string, AnySchema>;
  readonly innerType?: AnySchema;
  readonly in?: AnySchema;
  readonly element?: AnySchema;
  readonly options?: readonly AnySchema[];
  readonly valueType?: AnySchema;
}

function defOf(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

/** The object schemas a value at `path` may be checked against (several under a union). */
function schemasAt(schema: AnySchema, path: FieldPath): AnySchema[] {
  let current: AnySchema[] = [schema];
  for (const segment of path) {
    current = current.flatMap(unwrap).flatMap((s) => child(s, segment));
  }
  return current.flatMap(unwrap);
}

/** Peel optional/default/pipe wrappers and spread unions into their options. */
function unwrap(schema: AnySchema): AnySchema[] {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

function child(schema: AnySchema, segment: string | number): AnySchema[] {
  const def = defOf(schema);
  if (def.type === "object" && typeof segment === "string" && def.shape?.[segment]) return [def.shape[segment]];
  if (def.type === "array" && typeof segment === "number" && def.element) return [def.element];
  if (def.type === "record" && def.valueType) return [def.valueType];
  return [];
}

export function knownKeysAt(schema: AnySchema, path: FieldPath): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const def = defOf(s);
    if (def.type === "object" && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}
