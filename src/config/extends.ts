/**
 * `extends: <name>`: a repository's `.heimdall-build.yml` written over a
 * configuration stored on the server. Pure: the caller looks the name up (the
 * server in its database, the CLI through the API) and hands the text in.
 *
 * The merge rule, GitHub-Actions users' intuition of "defaults, then mine":
 * - a mapping in the repository's file is merged into the base's mapping at
 *   the same place, key by key, recursively; where both give a key, the
 *   repository's value wins (`env`, `matrix`, `build.cmake` merge this way);
 * - a list or a scalar replaces the base's whole (`matrix.compiler`,
 *   `matrix.include`, `packages`, `configure_args`): a list is one design, and
 *   appending would leave no way to drop an item;
 * - `build` holds one of `cmake` or `script`: the file's choice drops the
 *   base's other (a `build: {script: …}` over a base's CMake build is a script
 *   build, not both), and the same choice merges (`build.cmake.configure_args`
 *   alone keeps the base's `build_dir`);
 * - `tests` and `sbom` are replaced whole when the file gives them: their forms
 *   exclude each other (ctest or a command);
 * - a key the file sets to null (`image:`) removes the base's value.
 *
 * One level: a stored configuration cannot itself extend another, so what a
 * build uses is always its file and one stored version (no chains to follow,
 * no cycles, a base's change never reaching builds through a third text).
 */
import { type ConfigProblem, describe, type FieldPath, type PositionedProblem } from "./problems.ts";
import { readYaml, type YamlSource } from "./yaml-source.ts";

/** A stored configuration's name, as the API takes it and `extends` names it. */
export const CONFIGURATION_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const CONFIGURATION_NAME_RULE =
  "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters";

/** The stored configuration a file extends, as its caller found it. */
export interface BaseConfig {
  readonly name: string;
  readonly version: number;
  readonly text: string;
}

/** Why the caller could not find the base: said at the file's `extends`. */
export interface UnresolvedBase {
  readonly unresolved: string;
}

export const ONE_LEVEL =
  "a stored configuration cannot itself use extends: only a repository's file extends one, so a build's configuration is always its file over one stored version (no chains, no cycles)";

/** Where a base's problems are reported: `configurations/<name>@v<version>`, as GET /api/v1/configurations/<name>?version=N shows it. */
export function baseFileName(base: Pick<BaseConfig, "name" | "version">): string {
  return `configurations/${base.name}@v${base.version}`;
}

/** Replaced whole, never merged: their forms exclude each other. */
const WHOLE = new Set(["tests", "sbom"]);
/** Mappings that hold one of these keys: the file's choice drops the base's other. */
const ONE_OF: Readonly<Record<string, readonly string[]>> = { build: ["cmake", "script"] };

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The name a text's `extends` gives, when it is one a configuration may have; null otherwise (the parse then says why). */
export function extendsName(text: string): string | null {
  const read = readYaml(text, "");
  if (!read.ok || !isMapping(read.source.data)) return null;
  const name = read.source.data.extends;
  return typeof name === "string" && CONFIGURATION_NAME.test(name) ? name : null;
}

/** The base's data with the file's over it, by the rule above. */
export function mergeConfigData(base: unknown, own: unknown, path: FieldPath = []): unknown {
  if (!isMapping(base) || !isMapping(own) || (path.length === 1 && WHOLE.has(String(path[0])))) return own;
  const merged: Mapping = { ...base };
  const choices = path.length === 1 ? ONE_OF[String(path[0])] : undefined;
  if (choices?.some((key) => key in own)) for (const key of choices) if (!(key in own)) delete merged[key];
  for (const [key, value] of Object.entries(own)) {
    if (value === null) delete merged[key];
    else merged[key] = key in merged ? mergeConfigData(merged[key], value, [...path, key]) : value;
  }
  return merged;
}

/**
 * Which text gave the merged value at `path`: the file's wherever it has the
 * value (or the merged mapping that lacks a key), the base's where only it does.
 */
export function originOf(base: unknown, own: unknown, path: FieldPath): "own" | "base" {
  let b: unknown = base;
  let o: unknown = own;
  for (let i = 0; i < path.length; i++) {
    if (o === undefined) return "base";
    if (!isMapping(o) || !isMapping(b) || (i === 1 && WHOLE.has(String(path[0])))) return "own";
    const key = String(path[i]);
    const ownChild = o[key];
    const choices = i === 1 ? ONE_OF[String(path[0])] : undefined;
    const dropped = choices?.includes(key) && !(key in o) && choices.some((k) => k in (o as Mapping));
    const baseChild = dropped ? undefined : b[key];
    // Neither has it (a missing key): the problem is the merged mapping's, shown in the file.
    if (ownChild === undefined && baseChild === undefined) return "own";
    o = ownChild;
    b = baseChild;
  }
  return o === undefined ? "base" : "own";
}

export type Combined =
  | { readonly ok: true; readonly data: unknown; readonly place: (p: ConfigProblem) => PositionedProblem }
  | { readonly ok: false; readonly problems: readonly PositionedProblem[] };

/**
 * The file's data over its base's, and where a problem in the result is: in
 * the file at its own positions, or in the base under the base's name. A file
 * that does not extend is itself (a base given for it is not used).
 */
export function withBase(own: YamlSource, base: BaseConfig | UnresolvedBase | undefined): Combined {
  const data = own.data;
  if (!isMapping(data) || data.extends === undefined) return { ok: true, data, place: own.place };
  const atExtends = (message: string) => ({
    ok: false as const,
    problems: [own.place({ severity: "error", path: ["extends"], message })],
  });
  const name = data.extends;
  if (typeof name !== "string" || !CONFIGURATION_NAME.test(name))
    return atExtends(`names a stored configuration (${CONFIGURATION_NAME_RULE}); got ${describe(name)}`);
  if (base === undefined)
    return atExtends(`'${name}' is a stored configuration, and this check was given none to read it from`);
  if ("unresolved" in base) return atExtends(base.unresolved);

  const read = readYaml(base.text, baseFileName(base));
  if (!read.ok) return read;
  const stored = read.source;
  if (!isMapping(stored.data))
    return {
      ok: false,
      problems: [stored.place({ severity: "error", path: [], message: "expected a mapping (key: value)" })],
    };
  if (stored.data.extends !== undefined)
    return { ok: false, problems: [stored.place({ severity: "error", path: ["extends"], message: ONE_LEVEL })] };
  const baseData = stored.data;
  return {
    ok: true,
    data: mergeConfigData(baseData, data),
    place: (p) => (originOf(baseData, data, p.pointAt ?? p.path) === "base" ? stored : own).place(p),
  };
}
