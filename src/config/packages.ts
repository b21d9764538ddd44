/**
 * `packages:`: distribution packages a cell's image gets (the Docker backend
 * builds a derived image with them, see executor/docker/packages-image.ts).
 *
 * A name reaches `apt-get install` (or `dnf install`) as a word of a shell
 * command run as root with network, so its shape is the whole defence: only
 * Debian's package-name characters, an optional `=version`, never a leading
 * `-` (an option), never a trailing `-` (apt's "remove" suffix), and none of
 * a shell's or a glob's characters. Pure: no I/O.
 */
import { z } from "zod";
import { withoutExpressions } from "./interpolate.ts";
import { describe } from "./problems.ts";

export const PACKAGE_LIMITS = {
  /** Packages a list (the top level's, an include entry's) and a cell may have. */
  packages: 64,
  /** Characters of one `name` or `name=version`. */
  nameLength: 128,
} as const;

/**
 * Debian's package names (policy 5.6.1: lower case letters, digits, `+`, `-`,
 * `.`, starting alphanumeric), not ending in `-`; a version is Debian's
 * `[epoch:]upstream[-revision]`, starting with a digit.
 */
export const PACKAGE = /^[a-z0-9](?:[a-z0-9+.-]*[a-z0-9+.])?(?:=[0-9][A-Za-z0-9.+~:-]*)?$/;

/** Why `name` is not a package name, the name itself in the message: in a list of dozens, the position alone is hard to read. */
export function packageNameError(name: unknown): string {
  return `${describe(name)} is not a package name: write a Debian package name such as libfmt-dev (lower case letters, digits, + - .), optionally with =VERSION`;
}

/** A name as written: its `${{ matrix.<axis> }}` are written in per cell, and the result checked again (matrix.ts). */
const packageName = z
  .string()
  .max(PACKAGE_LIMITS.nameLength)
  .refine((name) => PACKAGE.test(withoutExpressions(name)), { error: (issue) => packageNameError(issue.input) });

/** A list of distinct package names, as the top level and an include entry write it. */
export const packageList = z
  .array(packageName)
  .max(PACKAGE_LIMITS.packages)
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name)) ctx.addIssue({ code: "custom", path: [index], message: `package '${name}' listed twice` });
      seen.add(name);
    });
  });

/** A cell's packages: every list that applies to it, merged, each name once, sorted (the image's key). */
export function mergePackages(...lists: readonly (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))].sort();
}
