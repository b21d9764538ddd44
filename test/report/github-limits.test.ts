/**
 * Every text sent to GitHub within GitHub's limits: each fitting function on
 * its own (what is kept, the note saying what was cut, surrogate pairs, code
 * fences), then properties over any input: bodies made by fitCheckRun,
 * checkRunBody and configurationCheck pass GitHub's OpenAPI validation and the
 * byte limits, and say when they were cut.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { PositionedProblem } from "../../src/config/problems.ts";
import { type AttemptView, checkRunBody } from "../../src/report/check-run.ts";
import { configurationCheck } from "../../src/report/configuration-check.ts";
import {
  cutToBytes,
  fitAnnotation,
  fitCheckRun,
  fitLine,
  fitLines,
  fitMarkdown,
  fitText,
  GITHUB_LIMITS,
  utf8Bytes,
} from "../../src/report/github-limits.ts";
import { validateGitHubRequest } from "../support/openapi.ts";

const SHA = "a".repeat(40);
const CUT_NOTE = /\n\n\(summary cut at 65,535 bytes: ([\d,]+) characters not shown\)$/;

/** Every string in a JSON value, with where it is. */
function strings(value: unknown, at = ""): [string, string][] {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}/${i}`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}/${k}`));
  return [];
}

/** What GitHub would say of a body, plus the limits heimdall-build holds itself to. */
function violations(method: "POST" | "PATCH", body: Record<string, unknown>): string[] {
  const sent = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const result = validateGitHubRequest(
    method,
    method === "POST" ? "/repos/o/r/check-runs" : "/repos/o/r/check-runs/1",
    sent,
  );
  const errors = result.ok ? [] : [...result.errors];
  const output = (body.output ?? {}) as { title?: string; annotations?: { title?: string; message: string }[] };
  const bounded: [unknown, number, string][] = [
    [body.name, GITHUB_LIMITS.nameBytes, "name"],
    [body.external_id, GITHUB_LIMITS.externalIdBytes, "external_id"],
    [output.title, GITHUB_LIMITS.titleBytes, "title"],
    ...(output.annotations ?? []).flatMap((a, i): [unknown, number, string][] => [
      [a.title, GITHUB_LIMITS.annotationTitleBytes, `annotation ${i} title`],
      [a.message, GITHUB_LIMITS.annotationTextBytes, `annotation ${i} message`],
    ]),
  ];
  for (const [text, max, what] of bounded) {
    if (typeof text === "string" && utf8Bytes(text) > max) errors.push(`${what}: ${utf8Bytes(text)} bytes`);
  }
  for (const [where, text] of strings(body)) if (!text.isWellFormed()) errors.push(`${where}: not well-formed`);
  return errors;
}

/** Any text: any code units (lone surrogates too), short or, repeated, hundreds of kilobytes. */
const anyText = fc
  .tuple(fc.string({ unit: "binary", maxLength: 40 }), fc.oneof(fc.constant(1), fc.nat({ max: 8000 })))
  .map(([s, n]) => s.repeat(n));
const anyLine = fc.string({ unit: "binary", maxLength: 400 });

describe("fitting one text", () => {
  test("text within its limit is kept as it is", () => {
    expect(fitLine("Passed: 12 tests", 255)).toBe("Passed: 12 tests");
    expect(fitText("unused variable 'x'", 100)).toBe("unused variable 'x'");
    expect(fitMarkdown("| a |\n|---|\n| ✅ |", 65_535, { what: "summary" })).toBe("| a |\n|---|\n| ✅ |");
  });

  test("a line is cut on a character, never inside a surrogate pair, and ends in …", () => {
    const title = fitLine(`Failed: ${"🔥".repeat(100)}`, 255);
    expect(utf8Bytes(title)).toBeLessThanOrEqual(255);
    expect(title.isWellFormed()).toBe(true);
    expect(title).toMatch(/^Failed: (🔥)+…$/u);
    // A lone surrogate in the input becomes U+FFFD rather than an invalid string in the JSON.
    expect(fitLine("a\uD800b", 255)).toBe("a\uFFFDb");
    expect(cutToBytes("é🔥", 5)).toBe("é");
  });

  test("plain text says how many characters were not shown", () => {
    const text = fitText(`${"x".repeat(70_000)}`, GITHUB_LIMITS.annotationTextBytes);
    expect(utf8Bytes(text)).toBeLessThanOrEqual(65_535);
    const shown = text.length - "\n[… 4,503 more characters not shown]".length;
    expect(text.endsWith(`\n[… ${(70_000 - shown).toLocaleString("en-US")} more characters not shown]`)).toBe(true);
  });

  test("a summary is cut at a line end with a note of how much was not shown", () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `| row ${i} | ${"✅".repeat(10)} |`);
    const text = lines.join("\n");
    const summary = fitMarkdown(text, GITHUB_LIMITS.summaryBytes, { what: "summary" });
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(65_535);
    const note = CUT_NOTE.exec(summary);
    expect(note).not.toBeNull();
    const kept = summary.slice(0, note?.index);
    // Whole rows kept; the note is a paragraph of its own, after the table.
    expect(text.startsWith(`${kept}\n`)).toBe(true);
    expect(kept.split("\n").at(-1)).toMatch(/^\| row \d+ \| (✅){10} \|$/);
    expect(Number(note?.[1]?.replace(/,/g, ""))).toBe([...text.slice(kept.length)].length);
  });

  test("a cut inside a code fence or a <details> closes them before the note", () => {
    const output = Array.from({ length: 5000 }, (_, i) => `line ${i} of the test's output`).join("\n");
    const text = `### Failed tests\n\n<details><summary>t</summary>\n\n\`\`\`\`text\n${output}\n\`\`\`\`\n\n</details>`;
    const summary = fitMarkdown(text, 20_000, { what: "summary" });
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(20_000);
    expect(summary).toMatch(
      /\nline \d+ of the test's output\n````\n<\/details>\n\n\(summary cut at 20,000 bytes: [\d,]+ characters not shown\)$/,
    );
  });

  test("a fence too long to close is left out whole", () => {
    const fence = "`".repeat(3000);
    const text = `intro\n\n${fence}\n${"x\n".repeat(5000)}${fence}`;
    const summary = fitMarkdown(text, 4000, { what: "text" });
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(4000);
    expect(summary).toMatch(/^intro\n\n\n\n\(text cut at 4,000 bytes: [\d,]+ characters not shown\)$/);
  });

  test("a list keeps whole lines and ends with how many were left out", () => {
    const lines = Array.from({ length: 100 }, (_, i) => `- problem ${i}: ${"y".repeat(90)}`);
    const list = fitLines(lines, 2000, (n) => `- … ${n} more problems not shown; run \`heimdall-build validate\``);
    expect(utf8Bytes(list)).toBeLessThanOrEqual(2000);
    const shown = list.split("\n").slice(0, -1);
    expect(shown).toEqual(lines.slice(0, shown.length));
    expect(list.split("\n").at(-1)).toBe(
      `- … ${100 - shown.length} more problems not shown; run \`heimdall-build validate\``,
    );
  });

  test("an annotation GitHub would refuse is made one it takes", () => {
    const fitted = fitAnnotation({
      path: "src/a.cpp",
      start_line: 0,
      end_line: -3,
      start_column: 0,
      end_column: 2,
      annotation_level: "warning" as const,
      message: " ",
      title: "t".repeat(300),
      raw_details: "d".repeat(100_000),
    });
    expect(fitted).toMatchObject({
      start_line: 1,
      end_line: 1,
      start_column: 1,
      end_column: 2,
      message: "(no message)",
    });
    expect(fitted.title).toBe(`${"t".repeat(252)}…`);
    expect(fitted.raw_details).toMatch(/\n\[… [\d,]+ more characters not shown\]$/);
    expect(
      violations("POST", { name: "n", head_sha: SHA, output: { title: "t", summary: "s", annotations: [fitted] } }),
    ).toEqual([]);
    // Columns only on one line.
    const multi = fitAnnotation({ message: "m", start_line: 3, end_line: 5, start_column: 1, end_column: 9 });
    expect(multi).toEqual({ message: "m", start_line: 3, end_line: 5 });
  });
});

describe("any input gives bodies within every limit", () => {
  test("fitCheckRun: any name, external_id, title, summary, text, annotations and actions", () => {
    const annotation = fc.record({
      path: fc.string({ minLength: 1, maxLength: 50 }),
      start_line: fc.integer({ min: -5, max: 1e6 }),
      end_line: fc.integer({ min: -5, max: 1e6 }),
      start_column: fc.integer({ min: -5, max: 500 }),
      end_column: fc.integer({ min: -5, max: 500 }),
      annotation_level: fc.constantFrom("failure" as const, "warning" as const, "notice" as const),
      message: anyText,
      title: anyLine,
      raw_details: anyText,
    });
    fc.assert(
      fc.property(
        fc.record({
          name: anyLine,
          external_id: anyLine,
          title: anyText,
          summary: anyText,
          text: anyText,
          annotations: fc.array(annotation, { maxLength: 70 }),
          label: anyLine,
        }),
        (input) => {
          const body = fitCheckRun({
            name: input.name,
            head_sha: SHA,
            external_id: input.external_id,
            output: { title: input.title, summary: input.summary, text: input.text, annotations: input.annotations },
            actions: [{ label: input.label, description: input.label, identifier: input.label }],
          });
          expect(violations("POST", body)).toEqual([]);
          expect(body.output.annotations).toHaveLength(Math.min(50, input.annotations.length));
          // What was cut says so.
          if (utf8Bytes(input.summary.toWellFormed()) > 65_535) expect(body.output.summary).toMatch(CUT_NOTE);
          else expect(body.output.summary).toBe(input.summary.toWellFormed());
          if (utf8Bytes(input.text.toWellFormed()) > 65_535)
            expect(body.output.text).toMatch(/\(text cut at 65,535 bytes/);
          for (const [i, a] of input.annotations.slice(0, 50).entries()) {
            if (utf8Bytes(a.message.toWellFormed()) > 65_535) {
              expect(body.output.annotations?.[i]?.message).toMatch(/more characters not shown\]$/);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  test("checkRunBody: any worker title and summary, any skip reason, any state", () => {
    fc.assert(
      fc.property(
        fc.record({
          name: anyLine,
          state: fc.constantFrom(
            "waiting_approval" as const,
            "queued" as const,
            "in_progress" as const,
            "completed" as const,
          ),
          conclusion: fc.constantFrom(null, "success", "failure", "skipped", "timed_out", "cancelled"),
          title: fc.option(anyText),
          summary: fc.option(anyText),
          skipReason: fc.option(anyText),
          number: fc.integer({ min: 1, max: 1000 }),
        }),
        (input) => {
          const view: AttemptView = {
            attemptId: "41",
            headSha: SHA,
            platform: "linux",
            startedAt: new Date("2026-01-01T00:00:00Z"),
            completedAt: new Date("2026-01-01T00:01:00Z"),
            detailsUrl: "https://heimdall.example.com/builds/1",
            ...input,
          };
          const body = checkRunBody(view);
          expect(violations("POST", { ...body })).toEqual([]);
          const { head_sha: _, ...update } = body;
          expect(violations("PATCH", { ...update })).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("configurationCheck: any problems, any keys and messages", () => {
    const problem = fc.record({
      severity: fc.constantFrom("error" as const, "warning" as const),
      path: fc.array(fc.oneof(anyLine, fc.nat()), { maxLength: 4 }),
      message: anyText,
      file: fc.constant(".heimdall-build.yml"),
      line: fc.integer({ min: 1, max: 10_000 }),
      column: fc.integer({ min: 1, max: 10_000 }),
      endLine: fc.integer({ min: 1, max: 10_000 }),
      endColumn: fc.integer({ min: 1, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(problem, { minLength: 1, maxLength: 120 }), (problems: PositionedProblem[]) => {
        const body = configurationCheck(SHA, problems);
        expect(violations("POST", body)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
