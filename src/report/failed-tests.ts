/**
 * A cell summary's failed tests: the first ones with the first lines of their
 * output (in `<details>`, names as `<code>`, output fenced), then the rest by
 * name while room is left, then how many more. The longest part of a summary,
 * so it gets what room the others leave.
 */
import { utf8Bytes } from "./github-limits.ts";
import type { TestFailure, TestResults } from "./junit.ts";
import { clean, codeSpan, cut, fenced, htmlCode } from "./markdown.ts";

/** Failed tests shown with their output; more are listed by name while room is left. */
const DETAILED_FAILURES = 20;
const OUTPUT_LINES = 20;
const OUTPUT_LINE_CHARS = 300;
/** Longest name or message shown whole. */
const MAX_SHOWN_CHARS = 200;

function totalTests(tests: TestResults): number {
  return tests.passed + tests.failed + tests.skipped;
}

/** The failed tests within `room` bytes: the first with their output, then names, then a count. */
export function failedTestsSection(tests: TestResults | null, room: number): string {
  if (!tests || tests.failed === 0) return "";
  const heading = `### Failed tests (${tests.failed} of ${totalTests(tests)})`;
  // Room for the heading and the closing "... and N more" line.
  let left = room - utf8Bytes(heading) - 2 - 80;
  const blocks: string[] = [];
  const names: string[] = [];
  let shown = 0;
  for (const failure of tests.failures) {
    // With its output while there is room, then by name only.
    if (names.length === 0 && blocks.length < DETAILED_FAILURES) {
      const block = failureBlock(failure);
      const size = utf8Bytes(block);
      if (size + 2 <= left) {
        blocks.push(block);
        left -= size + 2;
        shown++;
        continue;
      }
    }
    const line = `- ${codeSpan(cut(testName(failure), MAX_SHOWN_CHARS))}`;
    const size = utf8Bytes(line);
    if (size + 1 > left) break;
    names.push(line);
    left -= size + 1;
    shown++;
  }
  const parts = [heading, ...blocks];
  if (names.length > 0) parts.push(`${blocks.length > 0 ? "Also failed:" : "Failed:"}\n\n${names.join("\n")}`);
  const more = tests.failed - shown;
  if (more > 0) parts.push(`... and ${more} more failed ${more === 1 ? "test" : "tests"}`);
  return parts.join("\n\n");
}

function testName(failure: TestFailure): string {
  const { name, classname } = failure;
  const shown = name || "(unnamed)";
  return classname && classname !== name ? `${classname}.${shown}` : shown;
}

function failureBlock(failure: TestFailure): string {
  const message = failure.message ? ` — ${htmlCode(cut(failure.message, MAX_SHOWN_CHARS))}` : "";
  const summary = `<details><summary>${htmlCode(cut(testName(failure), MAX_SHOWN_CHARS))}${message}</summary>`;
  const lines = failure.output.length > 0 ? failure.output.split("\n") : [];
  const first = lines.slice(0, OUTPUT_LINES).map((l) => cut(clean(l), OUTPUT_LINE_CHARS));
  const body =
    first.length === 0
      ? "(no output)"
      : [
          fenced(first.join("\n")),
          ...(lines.length > OUTPUT_LINES ? [`(${lines.length - OUTPUT_LINES} more lines not shown)`] : []),
        ].join("\n\n");
  return `${summary}\n\n${body}\n\n</details>`;
}
