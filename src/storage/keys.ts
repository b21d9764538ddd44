/**
 * Object keys: what a valid key is, and the keys of a cell attempt's log,
 * artifacts and SBOM.
 *
 * Keys come partly from build output (artifact paths), so every store checks
 * them the same way before use: `/`-separated segments, each of
 * `[A-Za-z0-9._-]`, never empty, `.` or `..`; no leading or trailing `/`; at
 * most 255 bytes a segment (a file name) and 1024 bytes in all (S3's limit).
 * Such a key is also a path under the filesystem store's root and a URL path
 * needing no escaping.
 */

export const MAX_KEY_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const PREFIX_CHARS = /^[A-Za-z0-9._/-]*$/;

/** A key (or prefix) a store refuses: the message says why. */
export class InvalidKeyError extends Error {
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidKeyError";
    this.key = key;
  }
}

function segmentProblem(segment: string): string | undefined {
  if (segment === "") return "empty path segment (leading, trailing or doubled '/')";
  if (segment === "." || segment === "..") return `'${segment}' segment`;
  if (!SEGMENT.test(segment)) return "only A-Z a-z 0-9 . _ - and '/' between segments are allowed";
  if (segment.length > MAX_SEGMENT_BYTES) return `a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/** Why `key` is not a valid key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (typeof key !== "string") return "not a string";
  if (key.length === 0) return "empty";
  if (key.length > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes("\0")) return "contains NUL";
  if (key.startsWith("/")) return "absolute";
  for (const segment of key.split("/")) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

export function isValidKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/** Throws InvalidKeyError unless `key` is valid; returns it. */
export function assertKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidKeyError(key, problem);
  return key;
}

/**
 * A list prefix is matched as a string, as S3 does (`logs/1` lists `logs/1/…`
 * and `logs/10/…`): empty, or the segments before its last `/` each valid and
 * the rest made of key characters.
 */
export function assertPrefix(prefix: string): string {
  if (typeof prefix !== "string") throw new InvalidKeyError(String(prefix), "not a string");
  if (prefix === "") return prefix;
  if (prefix.length > MAX_KEY_BYTES) throw new InvalidKeyError(prefix, `longer than ${MAX_KEY_BYTES} bytes`);
  if (prefix.includes("\0")) throw new InvalidKeyError(prefix, "contains NUL");
  if (prefix.startsWith("/")) throw new InvalidKeyError(prefix, "absolute");
  if (!PREFIX_CHARS.test(prefix)) {
    throw new InvalidKeyError(prefix, "only A-Z a-z 0-9 . _ - and '/' between segments are allowed");
  }
  const segments = prefix.split("/");
  segments.pop();
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw new InvalidKeyError(prefix, problem);
  }
  return prefix;
}

function part(what: string, value: string | number): string {
  const text = String(value);
  const problem = segmentProblem(text);
  if (problem !== undefined) throw new InvalidKeyError(text, `${what}: ${problem}`);
  return text;
}

function attemptPart(attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new InvalidKeyError(String(attempt), "attempt: a positive integer");
  }
  return String(attempt);
}

/** `logs/<build>/<cell>/<attempt>.log` */
export function logKey(buildId: string | number, cellKey: string, attempt: number): string {
  return assertKey(`logs/${part("build id", buildId)}/${part("cell key", cellKey)}/${attemptPart(attempt)}.log`);
}

/** `logs/<build>/<cell>/<attempt>.compile_commands.json`: beside the attempt's log. */
export function compileCommandsKey(buildId: string | number, cellKey: string, attempt: number): string {
  return assertKey(
    `logs/${part("build id", buildId)}/${part("cell key", cellKey)}/${attemptPart(attempt)}.compile_commands.json`,
  );
}

/**
 * `artifacts/<build>/<cell>/<attempt>/<path>`; `path` is relative, with `/`
 * between its segments, and must pass the key rules (it comes from the build).
 */
export function artifactKey(buildId: string | number, cellKey: string, attempt: number, path: string): string {
  const problem = keyProblem(path);
  if (problem !== undefined) throw new InvalidKeyError(path, `artifact path: ${problem}`);
  return assertKey(
    `artifacts/${part("build id", buildId)}/${part("cell key", cellKey)}/${attemptPart(attempt)}/${path}`,
  );
}

/** `sboms/<build>/<cell>/<attempt>.cdx.json` */
export function sbomKey(buildId: string | number, cellKey: string, attempt: number): string {
  return assertKey(`sboms/${part("build id", buildId)}/${part("cell key", cellKey)}/${attemptPart(attempt)}.cdx.json`);
}

/** `sboms/<build>/<cell>/<attempt>/project/<file>`: a document the project's own SBOM script made. */
export function projectSbomKey(buildId: string | number, cellKey: string, attempt: number, file: string): string {
  const problem = keyProblem(file);
  if (problem !== undefined) throw new InvalidKeyError(file, `SBOM file: ${problem}`);
  return assertKey(
    `sboms/${part("build id", buildId)}/${part("cell key", cellKey)}/${attemptPart(attempt)}/project/${file}`,
  );
}
