/**
 * Paths as compilers print them (absolute, relative to make's directory,
 * Windows style) made relative to the repository, or null when the file is
 * not the repository's: a system header, or a file generated in the build tree.
 */
import path from "node:path/posix";

export interface PathMapping {
  /** Where the repository's files are, as the log names them (e.g. /work/src); each is stripped. */
  readonly roots: readonly string[];
  /** Build trees: files under them are generated, not the repository's, even inside a root. */
  readonly buildDirs?: readonly string[];
}

const WINDOWS_ABSOLUTE = /^[A-Za-z]:\//;

function normalise(p: string): string {
  const slashed = p.includes("\\") ? p.replaceAll("\\", "/") : p;
  // Windows drive letters compare without case.
  return WINDOWS_ABSOLUTE.test(slashed) ? `${slashed[0]?.toLowerCase()}${slashed.slice(1)}` : slashed;
}

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || WINDOWS_ABSOLUTE.test(p);
}

function within(file: string, dir: string): string | null {
  const base = dir.endsWith("/") ? dir.slice(0, -1) : dir;
  if (file === base) return "";
  return file.startsWith(`${base}/`) ? file.slice(base.length + 1) : null;
}

export class PathMapper {
  private readonly roots: string[];
  private readonly buildDirs: string[];

  constructor(mapping: PathMapping) {
    // Longest first, so a nested root wins over its parent.
    this.roots = mapping.roots.map((r) => path.normalize(normalise(r))).sort((a, b) => b.length - a.length);
    this.buildDirs = (mapping.buildDirs ?? []).map((r) => path.normalize(normalise(r)));
  }

  /** Answers already given: a log names the same few files again and again. */
  private readonly memo = new Map<string, string | null>();

  /** The repository-relative path, or null when the file is outside the repository. */
  toRepo(printed: string, directory: string | null = null): string | null {
    const key = directory === null ? printed : `${directory}\u0000${printed}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    const answer = this.map(printed, directory);
    if (this.memo.size >= 4096) this.memo.clear();
    this.memo.set(key, answer);
    return answer;
  }

  private map(printed: string, directory: string | null): string | null {
    let file = normalise(printed.trim());
    if (file === "" || file === "<stdin>" || file.startsWith("<")) return null;
    if (!isAbsolute(file) && directory) file = `${normalise(directory)}/${file}`;
    // Most printed paths are already clean; normalising them is the costly part.
    if (file.includes("/.") || file.includes("//") || file.startsWith(".")) file = path.normalize(file);
    if (isAbsolute(file)) {
      if (this.buildDirs.some((dir) => within(file, dir) !== null)) return null;
      for (const root of this.roots) {
        const relative = within(file, root);
        if (relative) return relative;
      }
      return null;
    }
    // Relative with no directory known: relative to the repository, unless it climbs out.
    if (file.startsWith("../") || file === "..") return null;
    return file.replace(/^\.\//, "");
  }
}
