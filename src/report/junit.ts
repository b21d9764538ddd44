/**
 * Test results from a JUnit XML report, as `ctest --output-junit` writes it
 * (CMake >= 3.21), or any other JUnit-style file (`<testsuites>` or a bare
 * `<testsuite>`, suites nested or not). Pure.
 *
 * The file is written inside the build container, so it is untrusted: its size
 * is capped, the XML is read by a strict, streaming parser (saxes) that knows
 * only the five predefined entities and numeric character references, a
 * document type declaration is refused (no DTD, no entity of its own, so no
 * "billion laughs"), and what is kept is bounded: each failure's output, its
 * message and names, and the number of failures kept.
 */
import { SaxesParser } from "saxes";

export interface TestFailure {
  readonly name: string;
  readonly classname: string | null;
  /** The `message` attribute of `<failure>` / `<error>` (or ctest's reason a test did not run); null when empty. */
  readonly message: string | null;
  /** Text of the test's `<failure>`, `<error>`, `<system-out>` and `<system-err>`, in document order, bounded. */
  readonly output: string;
}

export interface TestResults {
  readonly passed: number;
  /** Every failed test, also those past the failures kept: `failed - failures.length` were not kept. */
  readonly failed: number;
  readonly skipped: number;
  /** The first failed tests, in document order, at most {@link MAX_FAILURES_KEPT}. */
  readonly failures: readonly TestFailure[];
}

/** The report could not be read: too large, not XML, not JUnit, or refused. */
export interface JunitError {
  readonly error: string;
}

export function isJunitError(result: TestResults | JunitError): result is JunitError {
  return "error" in result;
}

/** Larger reports are refused, not read. */
export const MAX_JUNIT_BYTES = 8 * 1024 * 1024;
/** Characters of output kept per failure: the head and the tail, with a marker between. */
export const MAX_OUTPUT_CHARS = 8 * 1024;
const OUTPUT_TAIL_CHARS = 2 * 1024;
export const MAX_FAILURES_KEPT = 100;
/** Names and messages are cut to this many characters. */
export const MAX_NAME_CHARS = 1024;
const MAX_DEPTH = 256;

/** Where output was cut: `[... N characters cut by heimdall-build ...]`. */
export function outputCutMarker(omitted: number): string {
  return `\n[... ${omitted} characters cut by heimdall-build ...]\n`;
}

/** The elements whose text is a failed test's output. */
const OUTPUT_ELEMENTS = new Set(["failure", "error", "system-out", "system-err"]);

/**
 * ctest writes a test that did not run as `status="notrun"` with
 * `<skipped message="...">`, for a skip the test asked for
 * (`SKIP_RETURN_CODE=77`, `SKIP_REGULAR_EXPRESSION_MATCHED`) and for a test
 * that could not run (`Unable to find executable`, `Fixture dependency
 * failed`, ...). ctest counts the latter as failed, and so do we.
 */
function ctestCouldNotRun(status: string | undefined, skipMessage: string | null): boolean {
  return status === "notrun" && !(skipMessage ?? "").startsWith("SKIP_");
}

class Refused extends Error {}

interface OpenCase {
  readonly name: string;
  readonly classname: string | null;
  readonly status: string | undefined;
  /** Depth of the `<testcase>` element. */
  readonly depth: number;
  failed: boolean;
  skipped: boolean;
  skipMessage: string | null;
  message: string | null;
  output: BoundedText;
  /** Depth of the output element being read, or null. */
  capturing: number | null;
}

export function parseJunit(xml: string): TestResults | JunitError {
  // A string's UTF-8 size is at least its length: refuse the obvious without counting.
  if (xml.length > MAX_JUNIT_BYTES || Buffer.byteLength(xml, "utf8") > MAX_JUNIT_BYTES) {
    return { error: `the JUnit report is larger than ${MAX_JUNIT_BYTES / 1024 / 1024} MiB; it was not read` };
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: TestFailure[] = [];
  let depth = 0;
  let root: string | null = null;
  let current: OpenCase | null = null;

  const parser = new SaxesParser({ xmlns: false, position: true, forceXMLVersion: true, defaultXMLVersion: "1.0" });
  parser.on("error", (error) => {
    throw error;
  });
  parser.on("doctype", () => {
    throw new Refused("a document type declaration (<!DOCTYPE ...>) is not accepted in a JUnit report");
  });
  parser.on("opentag", (tag) => {
    depth++;
    if (depth > MAX_DEPTH) throw new Refused(`elements are nested more than ${MAX_DEPTH} deep`);
    const { name, attributes } = tag;
    if (root === null) {
      root = name;
      if (name !== "testsuites" && name !== "testsuite") {
        throw new Refused(`the root element is <${bounded(name, 64)}>, not <testsuites> or <testsuite>`);
      }
    }
    if (current === null) {
      if (name === "testcase") {
        current = {
          name: bounded(attributes.name ?? "", MAX_NAME_CHARS),
          classname: nonEmpty(attributes.classname),
          status: attributes.status,
          depth,
          failed: false,
          skipped: false,
          skipMessage: null,
          message: null,
          output: new BoundedText(),
          capturing: null,
        };
      }
      return;
    }
    if (depth === current.depth + 1) {
      if (name === "failure" || name === "error") {
        if (!current.failed) current.message = nonEmpty(attributes.message) ?? nonEmpty(attributes.type);
        current.failed = true;
      } else if (name === "skipped") {
        current.skipped = true;
        current.skipMessage ??= nonEmpty(attributes.message);
      }
      if (OUTPUT_ELEMENTS.has(name)) {
        current.capturing = depth;
        current.output.startPart();
      }
    }
  });
  const onText = (text: string) => {
    if (current?.capturing != null) current.output.append(text);
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", () => {
    const open = current;
    if (open !== null) {
      if (open.capturing === depth) open.capturing = null;
      if (open.depth === depth) {
        current = null;
        const couldNotRun = !open.failed && open.skipped && ctestCouldNotRun(open.status, open.skipMessage);
        if (open.failed || couldNotRun) {
          failed++;
          if (failures.length < MAX_FAILURES_KEPT) {
            failures.push({
              name: open.name,
              classname: open.classname,
              message: open.failed ? open.message : open.skipMessage,
              output: open.output.text(),
            });
          }
        } else if (open.skipped || open.status === "disabled") {
          skipped++;
        } else {
          passed++;
        }
      }
    }
    depth--;
  });

  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof Refused) return { error: error.message };
    return { error: `the JUnit report is not well-formed XML: ${(error as Error).message}` };
  }
  return { passed, failed, skipped, failures };
}

/** Several reports as one (one per test program, say): counts summed, failures in order, the first MAX_FAILURES_KEPT kept. */
export function mergeTestResults(reports: readonly TestResults[]): TestResults {
  return {
    passed: reports.reduce((n, r) => n + r.passed, 0),
    failed: reports.reduce((n, r) => n + r.failed, 0),
    skipped: reports.reduce((n, r) => n + r.skipped, 0),
    failures: reports.flatMap((r) => r.failures).slice(0, MAX_FAILURES_KEPT),
  };
}

function nonEmpty(value: string | undefined): string | null {
  return value ? bounded(value, MAX_NAME_CHARS) : null;
}

function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${withoutBrokenPair(text.slice(0, max - 3), "end")}...`;
}

/** A slice's end (or start) may fall inside a surrogate pair: drop the half. */
function withoutBrokenPair(text: string, side: "start" | "end"): string {
  if (side === "end") {
    const last = text.charCodeAt(text.length - 1);
    return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
  }
  const first = text.charCodeAt(0);
  return first >= 0xdc00 && first <= 0xdfff ? text.slice(1) : text;
}

/**
 * Text kept whole up to {@link MAX_OUTPUT_CHARS}; past that its head and its
 * tail (where a failed assertion or a sanitizer's SUMMARY line usually is),
 * with the number of characters cut between them.
 */
class BoundedText {
  private whole = "";
  private head: string | null = null;
  private tail = "";
  private total = 0;
  private last = "";

  /** A new element's text: on a line of its own. */
  startPart(): void {
    if (this.total > 0 && this.last !== "\n") this.append("\n");
  }

  append(chunk: string): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    this.last = chunk.charAt(chunk.length - 1);
    if (this.head === null) {
      this.whole += chunk;
      if (this.whole.length <= MAX_OUTPUT_CHARS) return;
      this.head = this.whole.slice(0, MAX_OUTPUT_CHARS - OUTPUT_TAIL_CHARS);
      this.tail = this.whole.slice(-OUTPUT_TAIL_CHARS);
      this.whole = "";
      return;
    }
    this.tail =
      chunk.length >= OUTPUT_TAIL_CHARS
        ? chunk.slice(-OUTPUT_TAIL_CHARS)
        : (this.tail + chunk).slice(-OUTPUT_TAIL_CHARS);
  }

  text(): string {
    if (this.head === null) return tidy(this.whole);
    const head = withoutBrokenPair(this.head, "end");
    const tail = withoutBrokenPair(this.tail, "start");
    return tidy(`${head}${outputCutMarker(this.total - head.length - tail.length)}${tail}`);
  }
}

/** Without the blank lines before and the whitespace after. */
function tidy(text: string): string {
  return text.replace(/^(?:[ \t\r]*\n)+/, "").trimEnd();
}
