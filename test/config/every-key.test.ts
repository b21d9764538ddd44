/**
 * No documented key is inert (issue 12): every key of the schema has a probe
 * (key-probes/*.ts) that changes that key alone and shows what changes
 * downstream, through the code that reads it. A key added to the schema
 * without a probe fails here, named.
 *
 * The keys are read from the JSON Schema, both as the zod schema generates it
 * now and as committed (json-schema.test.ts keeps the two equal).
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { configJsonSchema, JSON_SCHEMA_PATH } from "../../src/config/json-schema.ts";
import { ATTEMPT_PROBES } from "./key-probes/attempt.ts";
import { BUILD_PROBES } from "./key-probes/build.ts";
import { CELL_PROBES } from "./key-probes/cells.ts";
import { EXTENDS_PROBES } from "./key-probes/extends.ts";
import { MATRIX_PROBES } from "./key-probes/matrix.ts";
import { MATRIX_ENTRY_PROBES } from "./key-probes/matrix-entries.ts";
import type { KeyProbe } from "./key-probes/probe.ts";
import { SCHEDULING_PROBES } from "./key-probes/scheduling.ts";

const PROBES: readonly KeyProbe[] = [
  ...MATRIX_PROBES,
  ...MATRIX_ENTRY_PROBES,
  ...CELL_PROBES,
  ...BUILD_PROBES,
  ...ATTEMPT_PROBES,
  ...SCHEDULING_PROBES,
  ...EXTENDS_PROBES,
];

type Schema = { readonly [key: string]: unknown };

const isObject = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Every key path of a JSON Schema: `build.cmake.generator`; `[]` for a list's
 * items (`matrix.include[].env`); through anyOf, oneOf, allOf and local $refs.
 * A map (`env`) is one key; an object with named keys that takes others too
 * (an include entry's custom axes) has those as one more key, `*`
 * (`matrix.include[].*`).
 */
function schemaKeys(root: Schema): string[] {
  const keys = new Set<string>();
  const seen = new Set<string>();
  const resolve = (ref: string): unknown =>
    ref
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .reduce<unknown>(
        (node, part) => (isObject(node) ? node[part.replaceAll("~1", "/").replaceAll("~0", "~")] : undefined),
        root,
      );
  const walk = (node: unknown, path: string) => {
    if (!isObject(node)) return;
    if (typeof node.$ref === "string") {
      const visit = `${node.$ref} ${path}`;
      if (!seen.has(visit)) {
        seen.add(visit);
        walk(resolve(node.$ref), path);
      }
    }
    if (isObject(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        const at = path === "" ? key : `${path}.${key}`;
        keys.add(at);
        walk(child, at);
      }
      if (isObject(node.additionalProperties)) keys.add(path === "" ? "*" : `${path}.*`);
    }
    for (const many of ["anyOf", "oneOf", "allOf"]) {
      const options = node[many];
      if (Array.isArray(options)) for (const option of options) walk(option, path);
    }
    walk(node.items, `${path}[]`);
    walk(node.additionalProperties, `${path}.*`);
  };
  walk(root, "");
  return [...keys].sort();
}

/** Where two YAML documents differ, as key paths (list indices as `[]`). */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => differences(a[key], b[key], path === "" ? key : `${path}.${key}`));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    return Array.from({ length }, (_, i) => differences(a[i], b[i], `${path}[]`)).flat();
  }
  return isDeepStrictEqual(a, b) ? [] : [path];
}

/** Whether a changed path is the key's or under it; `*` in a key stands for any one key. */
const within = (path: string, key: string) => {
  const pattern = key.replace(/[.[\]]/g, (c) => `\\${c}`).replace(/\*/g, "[^.[\\]]+");
  return new RegExp(`^${pattern}(?:$|\\.|\\[\\])`).test(path);
};

const committed = JSON.parse(readFileSync(new URL(`../../${JSON_SCHEMA_PATH}`, import.meta.url), "utf8")) as Schema;
const KEYS = [...new Set([...schemaKeys(configJsonSchema()), ...schemaKeys(committed)])].sort();
const probed = PROBES.map((p) => p.key);

describe("every key of .heimdall-build.yml has an effect", () => {
  test("the schema's keys are read (a walk that found none would prove nothing)", () => {
    expect(KEYS).toEqual(expect.arrayContaining(["version", "matrix.include[].env", "build.cmake.generator"]));
  });

  test("every key of the schema has a probe", () => {
    const missing = KEYS.filter((key) => !probed.includes(key));
    expect(missing, `keys without a probe in test/config/key-probes: ${missing.join(", ")}`).toEqual([]);
  });

  test("every probe is of a key of the schema, and of one key only", () => {
    expect(probed.filter((key) => !KEYS.includes(key))).toEqual([]);
    expect(probed.filter((key, i) => probed.indexOf(key) !== i)).toEqual([]);
  });

  describe.each(PROBES.map((p) => [p.key, p] as const))("%s", (key, p) => {
    test("the two configs differ in this key alone", () => {
      const changedPaths = differences(parseYaml(p.base), parseYaml(p.changed));
      expect(changedPaths.length).toBeGreaterThan(0);
      const allowed = [key, ...(p.replaces ?? [])];
      expect(changedPaths.filter((path) => !allowed.some((k) => within(path, k)))).toEqual([]);
    });

    test("its effect: what the code that reads it makes of each", async () => {
      const [before, after] = p.expected;
      expect(before).not.toEqual(after);
      expect(await p.observe(p.base)).toEqual(before);
      expect(await p.observe(p.changed)).toEqual(after);
    });
  });
});
