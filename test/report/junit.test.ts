/**
 * parseJunit on what ctest really writes (fixtures/junit, made by
 * fixtures/regenerate-junit.sh from fixtures/junit-project with cmake/ctest
 * 3.25.1), on other JUnit shapes, and on hostile reports: the file comes out of
 * the build container.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import {
  isJunitError,
  type JunitError,
  MAX_FAILURES_KEPT,
  MAX_JUNIT_BYTES,
  MAX_NAME_CHARS,
  MAX_OUTPUT_CHARS,
  outputCutMarker,
  parseJunit,
  type TestResults,
} from "../../src/report/junit.ts";

const fixture = (name: string) => readFileSync(new URL(`fixtures/junit/${name}`, import.meta.url), "utf8");

function results(xml: string): TestResults {
  const parsed = parseJunit(xml);
  if (isJunitError(parsed)) throw new Error(`expected results, got: ${parsed.error}`);
  return parsed;
}

function failure(xml: string): string {
  const parsed = parseJunit(xml);
  if (!isJunitError(parsed)) throw new Error(`expected an error, got ${JSON.stringify(parsed).slice(0, 200)}`);
  return parsed.error;
}

const suite = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="s">${body}</testsuite>`;

/** A lone half of a surrogate pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe("ctest --output-junit (ctest 3.25.1)", () => {
  test("every way a test ends: counts as ctest counts them", () => {
    const r = results(fixture("ctest-all.xml"));
    // ctest: 2 passed; failed: 4 failures, 1 timeout, 1 escape, noisy, control chars, and the
    // test whose executable is missing ("Not Run", which ctest counts as failed); skipped: SKIP_RETURN_CODE,
    // SKIP_REGULAR_EXPRESSION and the disabled test.
    expect({ passed: r.passed, failed: r.failed, skipped: r.skipped }).toEqual({ passed: 2, failed: 7, skipped: 3 });
    expect(r.failures.map((f) => f.name)).toEqual([
      "fails_with_output",
      "fails_quietly",
      "times_out",
      "escape<&>\"'name",
      "noisy",
      "control_characters",
      "not_run",
    ]);
  });

  test("each failure's output, stdout and stderr as ctest merged them", () => {
    const byName = new Map(results(fixture("ctest-all.xml")).failures.map((f) => [f.name, f]));
    expect(byName.get("fails_with_output")).toEqual({
      name: "fails_with_output",
      classname: "fails_with_output",
      message: null,
      output: "expected 4, got 5\nchecking 2 + 2\nat probe.cpp:17",
    });
    expect(byName.get("fails_quietly")?.output).toBe("");
    expect(byName.get("times_out")?.output).toBe("waiting forever");
    // Entities decoded: the name and output are the test's own characters.
    expect(byName.get("escape<&>\"'name")).toEqual({
      name: "escape<&>\"'name",
      classname: "escape<&>\"'name",
      message: null,
      output: "<script>alert(1)</script> & ]]> \"quoted\" 'single' [link](http://evil.example) café",
    });
    // ctest replaces what XML 1.0 cannot carry with markers of its own.
    expect(byName.get("control_characters")?.output).toBe(
      "[NON-XML-CHAR-0x1B][31mred[NON-XML-CHAR-0x1B][0m bell[NON-XML-CHAR-0x7] bad[NON-UTF-8-BYTE-0xFF] byte",
    );
    expect(byName.get("not_run")).toEqual({
      name: "not_run",
      classname: "not_run",
      message: "Unable to find executable",
      output: "Unable to find executable: /nonexistent/heimdall-missing-test",
    });
  });

  test("a long output keeps its head and tail with the number of characters cut", () => {
    const noisy = results(fixture("ctest-all.xml")).failures.find((f) => f.name === "noisy");
    const whole = Array.from(
      { length: 400 },
      (_, i) => `line ${String(i + 1).padStart(3, "0")} of a long failure log ..............................\n`,
    ).join("");
    expect(whole.length).toBe(24_800);
    const head = whole.slice(0, MAX_OUTPUT_CHARS - 2048);
    const tail = whole.slice(-2048);
    expect(noisy?.output).toBe(`${head}${outputCutMarker(whole.length - head.length - tail.length)}${tail}`.trimEnd());
    expect(noisy?.output).toContain("\n[... 16608 characters cut by heimdall-build ...]\n");
    expect(noisy?.output.startsWith("line 001 of a long failure log")).toBe(true);
    expect(noisy?.output.endsWith("line 400 of a long failure log ..............................")).toBe(true);
  });

  test("only passing tests", () => {
    expect(results(fixture("ctest-passing.xml"))).toEqual({ passed: 2, failed: 0, skipped: 0, failures: [] });
  });
});

describe("other JUnit shapes", () => {
  test("<testsuites> with nested suites, CDATA failure bodies, <error>, <skipped/>, <system-err>", () => {
    const r = results(`<?xml version="1.0"?>
<testsuites tests="5">
  <testsuite name="outer">
    <testsuite name="inner">
      <testcase classname="MathTest" name="Adds" time="0.001"/>
      <testcase classname="MathTest" name="Divides">
        <failure message="Expected equality" type="assert"><![CDATA[math_test.cpp:12
Expected: 4
  Actual: 5]]></failure>
        <system-out></system-out>
        <system-err>stderr line</system-err>
      </testcase>
      <testcase classname="MathTest" name="Throws"><error type="std::runtime_error"/></testcase>
      <testcase classname="MathTest" name="Later"><skipped/></testcase>
    </testsuite>
  </testsuite>
  <testsuite name="second"><testcase name="alone"/></testsuite>
</testsuites>`);
    expect(r).toEqual({
      passed: 2,
      failed: 2,
      skipped: 1,
      failures: [
        {
          name: "Divides",
          classname: "MathTest",
          message: "Expected equality",
          output: "math_test.cpp:12\nExpected: 4\n  Actual: 5\nstderr line",
        },
        { name: "Throws", classname: "MathTest", message: "std::runtime_error", output: "" },
      ],
    });
  });

  test("an empty report, a <failure> and a <skipped> together (failed), numeric references", () => {
    expect(results("<testsuites/>")).toEqual({ passed: 0, failed: 0, skipped: 0, failures: [] });
    const r = results(
      suite(
        `<testcase name="&#x1F600;&#65;"><skipped/><failure message="a&#10;b">x &lt;&gt;&amp;&quot;&apos;</failure></testcase>`,
      ),
    );
    expect(r).toEqual({
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [{ name: "😀A", classname: null, message: "a\nb", output: "x <>&\"'" }],
    });
  });

  test("ctest's status=notrun counts as skipped only for a skip the test asked for", () => {
    const r = results(
      suite(`
      <testcase name="a" status="notrun"><skipped message="SKIP_RETURN_CODE=4"/></testcase>
      <testcase name="b" status="notrun"><skipped message="Fixture dependency failed"/></testcase>
      <testcase name="c" status="disabled"/>
      <testcase name="d"><skipped message="not on this platform"/></testcase>`),
    );
    expect({ passed: r.passed, failed: r.failed, skipped: r.skipped }).toEqual({ passed: 0, failed: 1, skipped: 3 });
    expect(r.failures).toEqual([{ name: "b", classname: null, message: "Fixture dependency failed", output: "" }]);
  });

  test("a DOCTYPE written as text inside CDATA is output, not a declaration", () => {
    const r = results(
      suite(`<testcase name="html"><failure><![CDATA[<!DOCTYPE html><!ENTITY x "y">]]></failure></testcase>`),
    );
    expect(r.failures[0]?.output).toBe('<!DOCTYPE html><!ENTITY x "y">');
  });
});

describe("hostile reports", () => {
  test("a document type declaration is refused: billion laughs, external entities", () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuite><testcase name="t"><failure>&lol9;</failure></testcase></testsuite>`;
    expect(failure(bomb)).toBe("a document type declaration (<!DOCTYPE ...>) is not accepted in a JUnit report");
    expect(
      failure(
        `<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&xxe;"/></testsuite>`,
      ),
    ).toBe("a document type declaration (<!DOCTYPE ...>) is not accepted in a JUnit report");
    expect(failure(`<!DOCTYPE testsuite SYSTEM "http://example.com/x.dtd"><testsuite/>`)).toContain("<!DOCTYPE");
  });

  test("no entity but the five predefined ones and character references", () => {
    expect(failure(suite(`<testcase name="&xxe;"/>`))).toMatch(/not well-formed XML: .*undefined entity/);
    expect(failure(suite(`<testcase name="a&nbsp;b"/>`))).toMatch(/undefined entity/);
    // A reference to a character XML 1.0 cannot carry, even when the file says it is XML 1.1.
    expect(failure(suite(`<testcase name="&#x1B;[31m"/>`))).toMatch(/not well-formed XML/);
    expect(failure(`<?xml version="1.1"?><testsuite><testcase name="&#x1B;"/></testsuite>`)).toMatch(
      /not well-formed XML/,
    );
  });

  test("a huge output is cut to its head and tail", () => {
    const big = `${"h".repeat(3_000_000)}${"t".repeat(3_000_000)}END`;
    const r = results(suite(`<testcase name="big"><failure/><system-out>${big}</system-out></testcase>`));
    const output = r.failures[0]?.output ?? "";
    const marker = outputCutMarker(big.length - (MAX_OUTPUT_CHARS - 2048) - 2048);
    // Not toBe: a failing diff of 8 KiB strings is unreadable.
    expect(output === `${"h".repeat(MAX_OUTPUT_CHARS - 2048)}${marker}${"t".repeat(2045)}END`).toBe(true);
    expect(output.length).toBe(MAX_OUTPUT_CHARS + marker.length);
  });

  test("cut output never splits a character made of a surrogate pair", () => {
    for (const prefix of ["", "x"]) {
      const r = results(suite(`<testcase name="e"><failure>${prefix}${"😀".repeat(20_000)}</failure></testcase>`));
      const output = r.failures[0]?.output ?? "";
      expect(output).toContain("characters cut by heimdall-build");
      expect(LONE_SURROGATE.test(output)).toBe(false);
    }
  });

  test("10,000 failures: all counted, 100 kept", () => {
    const cases = Array.from(
      { length: 10_000 },
      (_, i) => `<testcase name="t${i}"><failure message="m${i}"/><system-out>out ${i}</system-out></testcase>`,
    ).join("");
    const r = results(suite(`<testcase name="ok"/>${cases}`));
    expect({ passed: r.passed, failed: r.failed, skipped: r.skipped }).toEqual({
      passed: 1,
      failed: 10_000,
      skipped: 0,
    });
    expect(r.failures).toHaveLength(MAX_FAILURES_KEPT);
    expect(r.failures[0]).toEqual({ name: "t0", classname: null, message: "m0", output: "out 0" });
    expect(r.failures[99]?.name).toBe("t99");
  });

  test("long names and messages are cut", () => {
    const long = "n".repeat(100_000);
    const r = results(suite(`<testcase name="${long}" classname="${long}"><failure message="${long}"/></testcase>`));
    const f = r.failures[0];
    expect(f?.name).toBe(`${"n".repeat(MAX_NAME_CHARS - 3)}...`);
    expect(f?.classname?.length).toBe(MAX_NAME_CHARS);
    expect(f?.message?.length).toBe(MAX_NAME_CHARS);
  });

  test("a report over 8 MiB is refused unread, counted in UTF-8 bytes", () => {
    const message = "the JUnit report is larger than 8 MiB; it was not read";
    expect(failure(suite(`<testcase name="${"a".repeat(MAX_JUNIT_BYTES)}"/>`))).toBe(message);
    // 3 million characters, 9 million bytes.
    expect(failure(suite(`<testcase name="${"€".repeat(3_000_000)}"/>`))).toBe(message);
  });

  test("a report just under the limit is read in reasonable time", () => {
    const one = `<testcase name="a-test-with-a-name" classname="Suite"><failure message="m"/><system-out>${"o".repeat(200)}</system-out></testcase>\n`;
    const xml = suite(one.repeat(Math.floor((MAX_JUNIT_BYTES - 200) / one.length)));
    expect(xml.length).toBeLessThanOrEqual(MAX_JUNIT_BYTES);
    const started = performance.now();
    const r = results(xml);
    expect(r.failed).toBeGreaterThan(25_000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  test("malformed XML is an error with the parser's position", () => {
    expect(failure(suite(`<testcase name="a">`))).toBe(
      "the JUnit report is not well-formed XML: 2:51: unexpected close tag.",
    );
    expect(failure("<testsuite><testcase name='a'>")).toMatch(
      /^the JUnit report is not well-formed XML: .*unclosed tag/,
    );
    expect(failure("")).toBe("the JUnit report is not well-formed XML: 1:0: document must contain a root element.");
    expect(failure("ctest: command not found")).toMatch(/not well-formed XML/);
    expect(failure("<testsuite/><testsuite/>")).toMatch(/only one root/);
    expect(failure(`<testsuite><testcase name="a" name="b"/></testsuite>`)).toMatch(/duplicate attribute/);
  });

  test("a root that is not JUnit's, and nesting past the limit, are refused", () => {
    expect(failure("<html><body/></html>")).toBe("the root element is <html>, not <testsuites> or <testsuite>");
    const deep = `<testsuite>${"<x>".repeat(1000)}${"</x>".repeat(1000)}</testsuite>`;
    expect(failure(deep)).toBe("elements are nested more than 256 deep");
  });

  test("errors are values, never thrown", () => {
    const inputs = ["<", "<testsuite", "<testsuite><![CDATA[", "<?xml?>", "\u0000", "<testsuite>&#;</testsuite>"];
    for (const input of inputs) {
      const parsed: TestResults | JunitError = parseJunit(input);
      expect(isJunitError(parsed)).toBe(true);
    }
  });
});
