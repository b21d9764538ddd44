/**
 * Config problems: what is wrong, in which field, in words a user reads.
 * zod's issues are turned into problems here; positions are added by
 * `parse.ts`, which knows the YAML document.
 */
import type { z } from "zod";
import { closest } from "./suggest.ts";

export type FieldPath = readonly (string | number)[];

export interface ConfigProblem {
  readonly severity: "error" | "warning";
  readonly path: FieldPath;
  readonly message: string;
  /** Point at the key of `path` (unknown keys) rather than its value. */
  readonly atKey?: boolean;
  /** The key to point at instead of `path`, when the file lacks the key the problem is about. */
  readonly pointAt?: FieldPath;
}

export interface PositionedProblem extends ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** `matrix.include[2].compiler` */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out === "" ? "(top level)" : out;
}

/** `FILE:LINE:COL: error: FIELD: MESSAGE`, the form editors and CI logs link. */
export function formatProblem(p: PositionedProblem): string {
  // An unknown key is reported in the mapping that holds it; a YAML error has no field.
  const field = p.atKey ? p.path.slice(0, -1) : p.path;
  const where = field.length === 0 ? "" : `${formatPath(field)}: `;
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${where}${p.message}`;
}

export class ConfigError extends Error {
  readonly problems: readonly PositionedProblem[];
  constructor(problems: readonly PositionedProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Issue = z.core.$ZodIssue;

/** Knows which keys an object at a path accepts, for "did you mean". */
export type KnownKeys = (path: FieldPath) => readonly string[];

export function issuesToProblems(issues: readonly Issue[], knownKeys: KnownKeys): ConfigProblem[] {
  return issues.flatMap((issue) => issueToProblems(issue, [], knownKeys));
}

function issueToProblems(issue: Issue, prefix: FieldPath, knownKeys: KnownKeys): ConfigProblem[] {
  const path = [...prefix, ...issue.path.map(pathSegment)];
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = knownKeys(path);
      return issue.keys.map((key) => {
        const guess = closest(key, allowed);
        const hint = guess
          ? `; did you mean '${guess}'?`
          : allowed.length
            ? `; allowed here: ${allowed.join(", ")}`
            : "";
        return { severity: "error", path: [...path, key], atKey: true, message: `unknown key '${key}'${hint}` };
      });
    }
    case "invalid_union": {
      const branch = bestBranch(issue.errors);
      if (branch) return branch.flatMap((inner) => issueToProblems(inner, path, knownKeys));
      const kinds = isDefaultMessage(issue.message) ? expectedKinds(issue.errors) : [];
      if (kinds.length > 0) {
        return [{ severity: "error", path, message: `expected ${kinds.join(" or ")}, got ${describe(issue.input)}` }];
      }
      return [{ severity: "error", path, message: `${issue.message}; got ${describe(issue.input)}` }];
    }
    case "invalid_type":
      if (issue.input === undefined)
        return [{ severity: "error", path, message: `is required (${expected(issue.expected)})` }];
      return [
        { severity: "error", path, message: `expected ${expected(issue.expected)}, got ${describe(issue.input)}` },
      ];
    case "invalid_value": {
      const allowed = issue.values.map((v) => String(v));
      if (issue.input === undefined) {
        const fix =
          allowed.length === 1 ? `write ${String(path.at(-1))}: ${allowed[0]}` : `one of ${allowed.join(", ")}`;
        return [{ severity: "error", path, message: `is required (${fix})` }];
      }
      // `cxx_standard: ['17']`: the value is right but quoted.
      const unquoted = issue.values.find((v) => typeof v !== "string" && String(v) === issue.input);
      if (typeof issue.input === "string" && unquoted !== undefined) {
        return [
          {
            severity: "error",
            path,
            message: `${describe(issue.input)} is a string; write ${String(unquoted)} without quotes`,
          },
        ];
      }
      if (!isDefaultMessage(issue.message)) {
        return [{ severity: "error", path, message: `${issue.message}; got ${describe(issue.input)}` }];
      }
      const guess = typeof issue.input === "string" ? closest(issue.input, allowed) : null;
      const hint = guess ? `; did you mean '${guess}'?` : "";
      return [
        {
          severity: "error",
          path,
          message: `${describe(issue.input)} is not allowed${hint} (allowed: ${allowed.join(", ")})`,
        },
      ];
    }
    case "too_big":
    case "too_small": {
      const bound = "maximum" in issue ? issue.maximum : issue.minimum;
      const word = issue.code === "too_big" ? "at most" : "at least";
      const unit = issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : "";
      return [
        { severity: "error", path, message: `must be ${word} ${String(bound)}${unit}; got ${size(issue.input)}` },
      ];
    }
    case "invalid_key": {
      const inner = issue.issues.map((i) => (isDefaultMessage(i.message) ? "" : i.message)).filter(Boolean);
      const reason = inner.length > 0 ? inner.join("; ") : "is not a valid key here";
      return [{ severity: "error", path, atKey: true, message: `key '${String(path.at(-1))}': ${reason}` }];
    }
    case "custom":
      // An unknown key found by a refinement (an entry's custom axes) points at the key, like zod's own.
      return [{ severity: "error", path, message: issue.message, ...(issue.params?.atKey ? { atKey: true } : {}) }];
    default:
      return [{ severity: "error", path, message: issue.message }];
  }
}

function pathSegment(segment: PropertyKey): string | number {
  return typeof segment === "number" ? segment : String(segment);
}

/** zod's own messages start "Invalid"; ours never do. */
function isDefaultMessage(message: string): boolean {
  return message.startsWith("Invalid");
}

/**
 * A union failed: report the branch that got furthest, the one whose input had
 * the right shape (no type error at its root), so `{name: gcc, version: x}`
 * says what is wrong with `version` rather than "expected a string".
 */
function bestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | null {
  const shaped = branches.filter((issues) => !issues.some((i) => i.code === "invalid_type" && i.path.length === 0));
  if (shaped.length === 0) return null;
  return shaped.reduce((best, issues) => (depth(issues) > depth(best) ? issues : best));
}

/** What the branches of a failed union expected at its root: "true or false", "a mapping (key: value)". */
function expectedKinds(branches: readonly (readonly Issue[])[]): string[] {
  const kinds = branches.flatMap((issues) =>
    issues.flatMap((i) => (i.code === "invalid_type" && i.path.length === 0 ? [expected(i.expected)] : [])),
  );
  return [...new Set(kinds)];
}

function depth(issues: readonly Issue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

const EXPECTED: Readonly<Record<string, string>> = {
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function expected(kind: string): string {
  return EXPECTED[kind] ?? kind;
}

/** How a value from the file reads in a message: bounded, with its type. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `'${shown}'`;
  }
  if (typeof value === "number" && !Number.isInteger(value)) return `the number ${value}`;
  return String(value);
}

function size(value: unknown): string {
  if (Array.isArray(value)) return `${value.length}`;
  if (typeof value === "string") return `${value.length}`;
  return describe(value);
}
