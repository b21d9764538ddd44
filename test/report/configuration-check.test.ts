/**
 * The configuration check of a file that does not parse: whatever the file
 * says, GitHub takes the body (it is written once per commit), and what did
 * not fit says so.
 */
import { describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import type { PositionedProblem } from "../../src/config/problems.ts";
import { configurationCheck } from "../../src/report/configuration-check.ts";
import { utf8Bytes } from "../../src/report/github-limits.ts";
import { validateGitHubRequest } from "../support/openapi.ts";

const SHA = "b".repeat(40);

function problemsOf(yaml: string): readonly PositionedProblem[] {
  const parsed = parseConfig(yaml, { file: ".heimdall-build.yml" });
  if (parsed.ok) throw new Error("the config parsed");
  return parsed.problems;
}

describe("configurationCheck", () => {
  test("100 unknown keys of 900 characters: a body GitHub takes, every problem listed", () => {
    const keys = Array.from({ length: 100 }, (_, i) => `unknown_key_${i}_${"x".repeat(900)}: 1`).join("\n");
    const problems = problemsOf(`version: 1\nmatrix:\n  compiler: [gcc@12]\n${keys}\n`);
    expect(problems).toHaveLength(100);
    const body = configurationCheck(SHA, problems);
    expect(validateGitHubRequest("POST", "/repos/o/r/check-runs", body)).toMatchObject({ ok: true });
    expect(utf8Bytes(body.output.summary)).toBeLessThanOrEqual(65_535);
    expect(body.output.title).toBe("100 errors in .heimdall-build.yml");
    expect(body.output.summary).toContain("The first 50 of 100 problems are annotated on the file.");
    // Each problem on a line of its own, its key cut, the next still there.
    const listed = body.output.summary.split("\n").filter((l) => l.startsWith("- `.heimdall-build.yml:"));
    expect(listed).toHaveLength(100);
    expect(listed[99]).toMatch(/^- `\.heimdall-build\.yml:103:1` `unknown_key_99_x+\.\.\.`: unknown key /);
    expect(body.output.annotations).toHaveLength(50);
    for (const a of body.output.annotations) expect(utf8Bytes(a.title ?? "")).toBeLessThanOrEqual(255);
  });

  test("problems past the summary's room: the list ends saying how many more and what to run", () => {
    // 120 problems of about 1 KB each (CJK: 3 bytes a character) do not fit in 64 KB.
    const problems: PositionedProblem[] = Array.from({ length: 120 }, (_, i) => ({
      severity: "error",
      path: ["matrix", `鍵${i}`],
      message: `${"無効な値".repeat(100)} ${i}`,
      file: ".heimdall-build.yml",
      line: i + 1,
      column: 1,
      endLine: i + 1,
      endColumn: 5,
    }));
    const body = configurationCheck(SHA, problems);
    expect(validateGitHubRequest("POST", "/repos/o/r/check-runs", body)).toMatchObject({ ok: true });
    const lines = body.output.summary.split("\n");
    const shown = lines.filter((l) => l.startsWith("- `.heimdall-build.yml:")).length;
    expect(shown).toBeGreaterThan(50);
    expect(shown).toBeLessThan(120);
    expect(lines.at(-1)).toBe(`- … ${120 - shown} more problems not shown; run \`heimdall-build validate\``);
  });

  test("keys and messages from the file are shown as text, not markdown", () => {
    const body = configurationCheck(SHA, [
      {
        severity: "error",
        path: ["`x` [a](https://evil.example)"],
        message: "unknown key '<img src=x>' @octocat",
        file: ".heimdall-build.yml",
        line: 2,
        column: 1,
        endLine: 2,
        endColumn: 9,
      },
    ]);
    expect(body.output.summary).toContain(
      "- `.heimdall-build.yml:2:1` `` `x` [a](https://evil.example) ``: unknown key \\'&lt;img src\\=x&gt;\\' \\@octocat",
    );
  });
});
