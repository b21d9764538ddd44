/**
 * cellSummary: the title and summary of a finished cell's check run. Exact
 * titles and key lines for each conclusion, the real ctest report of
 * fixtures/junit, bounds on huge inputs, and escaping of whatever the build
 * wrote.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Annotation, AnnotationLevel } from "../../src/report/annotations.ts";
import {
  type CellSummaryInput,
  cellSummary,
  codeSpan,
  escapeMarkdown,
  formatDuration,
  formatSize,
  MAX_SUMMARY_BYTES,
} from "../../src/report/cell-summary.ts";
import { isJunitError, MAX_FAILURES_KEPT, parseJunit, type TestResults } from "../../src/report/junit.ts";

function annotation(level: AnnotationLevel, code: string | null, path = "src/a.cpp", line = 7): Annotation {
  return {
    path,
    start_line: line,
    end_line: line,
    start_column: null,
    end_column: null,
    annotation_level: level,
    title: `gcc-12: ${code ?? "error"}`,
    message: "message",
    raw_details: "",
    code,
    tool: "gcc",
    fingerprint: "0".repeat(20),
  };
}

function input(overrides: Partial<CellSummaryInput> = {}): CellSummaryInput {
  return {
    cell: {
      name: "linux / gcc-12 / c++17 / Release",
      compiler: "gcc-12",
      stdFlag: "-std=c++17",
      buildType: "Release",
      sanitizers: [],
      image: "heimdall-build/gcc-12:bookworm",
      compilerSeen: "g++-12 (Debian 12.2.0-14) 12.2.0",
    },
    conclusion: "success",
    durations: { configure: 4_200, build: 72_500, test: 3_100 },
    cacheHitRate: 0.873,
    annotations: [],
    dropped: { failure: 0, warning: 0, notice: 0 },
    tests: null,
    links: {},
    ...overrides,
  };
}

const passing = (passed: number, skipped = 0): TestResults => ({ passed, failed: 0, skipped, failures: [] });

const warnings = [
  annotation("warning", "-Wunused-variable", "src/a.cpp", 7),
  annotation("warning", "-Wsign-compare", "src/b.cpp", 12),
  annotation("warning", "-Wunused-variable", "src/c.cpp", 3),
];

function ctestResults(): TestResults {
  const parsed = parseJunit(readFileSync(new URL("fixtures/junit/ctest-all.xml", import.meta.url), "utf8"));
  if (isJunitError(parsed)) throw new Error(parsed.error);
  return parsed;
}

const TABLE = [
  "| compiler | image | std | configure | build | test | ccache hits |",
  "|---|---|---|---|---|---|---|",
  "| `g++-12 (Debian 12.2.0-14) 12.2.0` | `heimdall-build/gcc-12:bookworm` | `-std=c++17` | 4.2 s | 1 min 12 s | 3.1 s | 87% |",
].join("\n");

describe("success", () => {
  test("the whole summary: status, table, warnings by code, links", () => {
    const { title, summary } = cellSummary(
      input({
        tests: passing(12),
        annotations: warnings,
        links: { log: "https://heimdall.example/builds/7/cells/3/log" },
      }),
    );
    expect(title).toBe("Passed: 12 tests, 3 warnings");
    expect(summary).toBe(
      [
        "✅ Passed in 1 min 19 s.",
        "",
        TABLE,
        "",
        "### Warnings (3)",
        "",
        "- 2 × `-Wunused-variable` — first at `src/a.cpp:7`",
        "- 1 × `-Wsign-compare` — first at `src/b.cpp:12`",
        "",
        "### Links",
        "",
        "- [Build log](https://heimdall.example/builds/7/cells/3/log)",
      ].join("\n"),
    );
  });

  test("titles: skipped tests, one test, no tests, nothing to say", () => {
    expect(cellSummary(input({ tests: passing(10, 2) })).title).toBe("Passed: 12 tests (2 skipped)");
    expect(cellSummary(input({ tests: passing(1), annotations: warnings.slice(0, 1) })).title).toBe(
      "Passed: 1 test, 1 warning",
    );
    expect(cellSummary(input({ annotations: warnings })).title).toBe("Passed: 3 warnings");
    expect(cellSummary(input()).title).toBe("Passed");
  });

  test("phases not reached, unknown cache rate, no image", () => {
    const { summary } = cellSummary(
      input({
        durations: { configure: 800, build: 3_725_000 },
        cacheHitRate: null,
        cell: { ...input().cell, image: null, stdFlag: null },
      }),
    );
    expect(summary).toContain("| — | — | 0.8 s | 1 h 02 min | — | — |");
  });
});

describe("failure", () => {
  const failedOne: TestResults = {
    passed: 11,
    failed: 1,
    skipped: 0,
    failures: [{ name: "parses_dates", classname: null, message: null, output: "expected 2024\n  got 1970" }],
  };
  const diagnostics = [annotation("failure", null), annotation("failure", "-Werror=return-type"), ...warnings];

  test("the title counts errors, warnings (dropped ones too) and failed tests", () => {
    const { title } = cellSummary(
      input({
        conclusion: "failure",
        annotations: diagnostics,
        dropped: { failure: 0, warning: 2, notice: 0 },
        tests: failedOne,
      }),
    );
    expect(title).toBe("Failed: 2 errors, 5 warnings, 1 of 12 tests failed");
  });

  test("errors and warnings by code, most frequent first, with what was dropped", () => {
    const { summary } = cellSummary(
      input({ conclusion: "failure", annotations: diagnostics, dropped: { failure: 0, warning: 2, notice: 0 } }),
    );
    expect(summary).toContain(
      [
        "### Errors (2)",
        "",
        "- 1 × `-Werror=return-type` — first at `src/a.cpp:7`",
        "- 1 × (gcc, no code) — first at `src/a.cpp:7`",
        "",
        "### Warnings (5)",
        "",
        "- 2 × `-Wunused-variable` — first at `src/a.cpp:7`",
        "- 1 × `-Wsign-compare` — first at `src/b.cpp:12`",
        "- ... and 2 more past the annotation limit, not broken down",
      ].join("\n"),
    );
  });

  test("top 10 codes, the rest counted", () => {
    const many = Array.from({ length: 15 }, (_, i) =>
      Array.from({ length: 20 - i }, () => annotation("warning", `-Wflag-${String(i).padStart(2, "0")}`)),
    ).flat();
    const { summary } = cellSummary(input({ annotations: many }));
    const lines = summary.split("\n").filter((l) => l.startsWith("- "));
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe("- 20 × `-Wflag-00` — first at `src/a.cpp:7`");
    expect(lines[9]).toBe("- 11 × `-Wflag-09` — first at `src/a.cpp:7`");
    expect(lines[10]).toBe("- ... and 5 more codes (40 warnings)");
  });

  test("the real ctest report: each failed test with the first lines of its output", () => {
    const tests = ctestResults();
    const { title, summary } = cellSummary(input({ conclusion: "failure", tests }));
    expect(title).toBe("Failed: 7 of 12 tests failed");
    expect(summary.startsWith("❌ Failed in the test step after 1 min 19 s.\n")).toBe(true);
    expect(summary).toContain(
      [
        "### Failed tests (7 of 12)",
        "",
        "<details><summary><code>fails_with_output</code></summary>",
        "",
        "```text",
        "expected 4, got 5",
        "checking 2 + 2",
        "at probe.cpp:17",
        "```",
        "",
        "</details>",
        "",
        "<details><summary><code>fails_quietly</code></summary>",
        "",
        "(no output)",
        "",
        "</details>",
      ].join("\n"),
    );
    expect(summary).toContain(
      "<details><summary><code>not_run</code> — <code>Unable to find executable</code></summary>",
    );
    // 20 lines of the noisy test, then how many more there are.
    expect(summary).toContain(
      "line 020 of a long failure log ..............................\n```\n\n(115 more lines not shown)\n\n</details>",
    );
    expect(summary).not.toContain("line 021 of");
  });

  test("a failure with nothing counted says which step failed, or heimdall-build's reason", () => {
    const build = cellSummary(input({ conclusion: "failure", durations: { configure: 1_000, build: 15_000 } }));
    expect(build.title).toBe("Failed: the build step failed");
    expect(build.summary.split("\n")[0]).toBe("❌ Failed in the build step after 16 s.");

    const cut = cellSummary(
      input({
        conclusion: "failure",
        durations: { configure: 1_000, build: 15_000 },
        reason: "the build printed more than 512 MiB; the log is cut",
        annotations: warnings,
      }),
    );
    expect(cut.title).toBe("Failed: the build printed more than 512 MiB; the log is cut, 3 warnings");
    expect(cut.summary.split("\n")[0]).toBe(
      "❌ Failed in the build step after 16 s: the build printed more than 512 MiB; the log is cut.",
    );

    const none = cellSummary(input({ conclusion: "failure", durations: {}, reason: "The image could not be made." }));
    expect(none.title).toBe("Failed: The image could not be made.");
    expect(none.summary.split("\n")[0]).toBe("❌ Failed before the configure step: The image could not be made.");
    expect(none.summary).toContain("| 87% |");
    expect(cellSummary(input({ conclusion: "failure", durations: {} })).title).toBe("Failed");
  });
});

describe("killed for memory", () => {
  test("the title and the status line say so and name the limit; the build's own errors come after", () => {
    const oom = { outOfMemory: { limitBytes: 4 * 1024 ** 3 } };
    const { title, summary } = cellSummary(
      input({ conclusion: "failure", durations: { configure: 4_200, build: 61_000 }, ...oom }),
    );
    expect(title).toBe("Killed: out of memory (limit 4 GiB)");
    expect(summary.split("\n")[0]).toBe(
      "❌ Killed: out of memory in the build step after 1 min 05 s: a process of the build went past the memory limit (4 GiB) and the kernel killed it.",
    );
    const errors = [annotation("failure", null), ...warnings];
    expect(cellSummary(input({ conclusion: "failure", annotations: errors, ...oom })).title).toBe(
      "Killed: out of memory (limit 4 GiB); 1 error, 3 warnings",
    );
    expect(cellSummary(input({ conclusion: "failure", outOfMemory: { limitBytes: 256 * 1024 ** 2 } })).title).toBe(
      "Killed: out of memory (limit 256 MiB)",
    );
  });

  test("a cell that passed although a process was killed for memory still tells", () => {
    const { title, summary } = cellSummary(input({ outOfMemory: { limitBytes: 4 * 1024 ** 3 } }));
    expect(title).toBe("Passed");
    expect(summary.split("\n").slice(0, 3)).toEqual([
      "✅ Passed in 1 min 19 s.",
      "",
      "⚠️ The kernel killed a process of the build at the memory limit (4 GiB).",
    ]);
  });
});

describe("artifacts not kept", () => {
  test("each with its reason, after the links; 20 at most, then a count", () => {
    const refused = [
      { path: "build/evil", reason: "a symbolic link: not followed" },
      { path: "build/pipe", reason: "not a regular file (a fifo)" },
      ...Array.from({ length: 30 }, (_, i) => ({
        path: `build/out-${String(i).padStart(2, "0")}.bin`,
        reason: "over the limit of 100 artifact files",
      })),
    ];
    const { summary } = cellSummary(input({ links: { log: "https://heimdall.example/log", refused } }));
    const section = summary.slice(summary.indexOf("### Artifacts not kept"));
    expect(section.split("\n")).toEqual([
      "### Artifacts not kept (32)",
      "",
      "- `build/evil` — a symbolic link\\: not followed",
      "- `build/pipe` — not a regular file \\(a fifo\\)",
      ...Array.from(
        { length: 18 },
        (_, i) => `- \`build/out-${String(i).padStart(2, "0")}.bin\` — over the limit of 100 artifact files`,
      ),
      "- ... and 12 more",
    ]);
    expect(summary.indexOf("### Links")).toBeLessThan(summary.indexOf("### Artifacts not kept"));
  });

  test("names from the build are code, and a huge list stays within the summary", () => {
    const refused = Array.from({ length: 100_000 }, (_, i) => ({
      path: `[x](https://evil.example)/${"p".repeat(5_000)}${i}`,
      reason: "r".repeat(5_000),
    }));
    const { summary } = cellSummary(input({ links: { refused } }));
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(summary).toContain("- `[x](https://evil.example)/ppp");
    expect(summary).toContain("- ... and 99980 more");
    // Only in code spans: every listed line starts one.
    const listed = summary.split("\n").filter((l) => l.includes("evil.example"));
    expect(listed.every((l) => l.startsWith("- `[x](https://evil.example)/"))).toBe(true);
  });
});

describe("timed out and cancelled", () => {
  test("timed out: the reason is the title", () => {
    const { title, summary } = cellSummary(
      input({
        conclusion: "timed_out",
        durations: { configure: 2_000, build: 3_598_000 },
        annotations: warnings,
        reason: "timed out after 60 min",
      }),
    );
    expect(title).toBe("Timed out after 60 min");
    expect(summary.split("\n")[0]).toBe("⏱️ Timed out after 60 min — in the build step.");
    expect(summary).toContain("| 2.0 s | 59 min 58 s | — |");
    expect(summary).toContain("### Warnings (3)");
    expect(cellSummary(input({ conclusion: "timed_out" })).title).toBe("Timed out");
  });

  test("cancelled: superseded by a newer commit", () => {
    const { title, summary } = cellSummary(
      input({ conclusion: "cancelled", durations: { configure: 2_000 }, reason: "cancelled: superseded by abc1234" }),
    );
    expect(title).toBe("Cancelled: superseded by abc1234");
    expect(summary.split("\n")[0]).toBe("🚫 Cancelled\\: superseded by abc1234 — in the configure step.");
    expect(cellSummary(input({ conclusion: "cancelled", durations: {}, reason: "the worker shut down" })).title).toBe(
      "Cancelled: the worker shut down",
    );
  });
});

describe("bounds", () => {
  test("huge inputs: the summary stays within GitHub's 65,535 characters, lists cut with '... and N more'", () => {
    const longLine = "x".repeat(5_000);
    const tests: TestResults = {
      passed: 5,
      failed: 10_000,
      skipped: 0,
      failures: Array.from({ length: MAX_FAILURES_KEPT }, (_, i) => ({
        name: `test_${i}_${"n".repeat(1_000)}`,
        classname: `Suite${i}`,
        message: "m".repeat(1_024),
        output: Array.from({ length: 100 }, () => longLine).join("\n"),
      })),
    };
    const annotations = Array.from({ length: 1_000 }, (_, i) =>
      annotation(i % 2 ? "warning" : "failure", `-W${"c".repeat(500)}${i}`, `src/${"d/".repeat(300)}f.cpp`, i + 1),
    );
    const artifacts = Array.from({ length: 10_000 }, (_, i) => ({
      name: `build/${"a".repeat(1_000)}${i}.so`,
      size: 1_000_000 + i,
      url: `https://heimdall.example/${"u".repeat(2_000)}/${i}`,
    }));
    const { title, summary } = cellSummary(
      input({
        conclusion: "failure",
        tests,
        annotations,
        dropped: { failure: 123_456, warning: 654_321, notice: 0 },
        links: { log: "https://heimdall.example/log", sbom: "https://heimdall.example/sbom.json", artifacts },
        reason: "r".repeat(100_000),
      }),
    );
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(summary.length).toBeGreaterThan(MAX_SUMMARY_BYTES - 2_000);
    expect(title.length).toBeLessThanOrEqual(255);
    expect(title).toBe("Failed: 123956 errors, 654821 warnings, 10000 of 10005 tests failed");
    expect(summary).toMatch(/\n\.\.\. and \d+ more failed tests$|\n\.\.\. and \d+ more failed tests\n/);
    expect(summary).toContain("- ... and 490 more codes (490 errors)");
    expect(summary).toContain("  - ... and 9980 more");
    // Every fenced block that was opened is closed: cutting happened between blocks.
    expect((summary.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect((summary.match(/<details>/g) ?? []).length).toBe((summary.match(/<\/details>/g) ?? []).length);
  });

  test("any failures: the summary is bounded and well-formed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string({ maxLength: 2_000 }),
            classname: fc.option(fc.string({ maxLength: 50 })),
            message: fc.option(fc.string({ maxLength: 2_000 })),
            output: fc.string({ maxLength: 9_000 }),
          }),
          { maxLength: 100 },
        ),
        fc.nat({ max: 1_000_000 }),
        (failures, extra) => {
          const tests: TestResults = { passed: 0, failed: failures.length + extra, skipped: 0, failures };
          const { summary } = cellSummary(input({ conclusion: "failure", tests }));
          expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
          for (const line of summary.split("\n").filter((l) => l.startsWith("<details>"))) {
            expect(line).toMatch(/^<details><summary><code>[^<>]*<\/code>( — <code>[^<>]*<\/code>)?<\/summary>$/);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("escaping what the build wrote", () => {
  const hostile = "[click](https://evil.example) <img src=x onerror=alert(1)> @octocat #1 **bold** `tick` | pipe";

  test("a hostile test name and message are shown as text in <code>, with HTML escaped", () => {
    const tests: TestResults = {
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [{ name: hostile, classname: null, message: "</summary></details><script>x</script>", output: "" }],
    };
    const { summary } = cellSummary(input({ conclusion: "failure", tests }));
    expect(summary).toContain(
      "<details><summary><code>[click](https://evil.example) &lt;img src=x onerror=alert(1)&gt; @octocat #1 **bold** `tick` | pipe</code>" +
        " — <code>&lt;/summary&gt;&lt;/details&gt;&lt;script&gt;x&lt;/script&gt;</code></summary>",
    );
    expect(summary).not.toContain("<img");
    expect(summary).not.toContain("<script");
  });

  test("output that tries to close its fence gets a longer fence", () => {
    const tests: TestResults = {
      passed: 0,
      failed: 1,
      skipped: 0,
      failures: [{ name: "t", classname: null, message: null, output: "a\n```\n<b>bold</b>\n````\n# heading" }],
    };
    const { summary } = cellSummary(input({ conclusion: "failure", tests }));
    expect(summary).toContain("`````text\na\n```\n<b>bold</b>\n````\n# heading\n`````");
  });

  test("diagnostic codes, paths, image and artifact names as code spans; unsafe URLs not linked", () => {
    const { summary } = cellSummary(
      input({
        cell: { ...input().cell, image: "evil|image`x`" },
        annotations: [annotation("warning", "`-Wx` [a](b)", "src/[x](y).cpp", 1)],
        links: {
          log: "javascript:alert(1)",
          sbom: "https://heimdall.example/sbom (1).json",
          artifacts: [
            { name: "[evil](https://evil.example)", size: 2_048, url: "https://heimdall.example/a" },
            { name: "<b>x</b>", size: 10, url: "data:text/html,<script>alert(1)</script>" },
          ],
        },
      }),
    );
    expect(summary).toContain("| `` evil\\|image`x` `` |");
    expect(summary).toContain("- 1 × `` `-Wx` [a](b) `` — first at `src/[x](y).cpp:1`");
    expect(summary).not.toContain("javascript:");
    expect(summary).toContain("- [SBOM](https://heimdall.example/sbom%20%281%29.json) (CycloneDX)");
    expect(summary).toContain("  - [`[evil](https://evil.example)`](https://heimdall.example/a) — 2.0 KiB");
    expect(summary).toContain("  - `<b>x</b>` — 10 B");
  });

  test("the reason is escaped too", () => {
    const { summary } = cellSummary(input({ conclusion: "failure", durations: {}, reason: "<b>[x](y)</b>" }));
    expect(summary.split("\n")[0]).toBe("❌ Failed before the configure step: &lt;b&gt;\\[x\\]\\(y\\)&lt;/b&gt;.");
  });

  test("escapeMarkdown and codeSpan", () => {
    expect(escapeMarkdown("a_b *c* <d> & [e](f)\nwww.x.com @me")).toBe(
      "a\\_b \\*c\\* &lt;d&gt; &amp; \\[e\\]\\(f\\) www\\.x\\.com \\@me",
    );
    expect(codeSpan("plain")).toBe("`plain`");
    expect(codeSpan("a `b` c")).toBe("``a `b` c``");
    expect(codeSpan("`start")).toBe("`` `start ``");
    expect(codeSpan("a|b", true)).toBe("`a\\|b`");
    expect(codeSpan("")).toBe("(empty)");
    expect(codeSpan("line\nbreak\u001b[0m")).toBe("`line break[0m`");
  });
});

describe("formatting", () => {
  test("durations and sizes", () => {
    expect([0, 950, 9_949, 10_000, 59_999, 60_000, 754_000, 3_600_000, 7_265_000].map(formatDuration)).toEqual([
      "0.0 s",
      "0.9 s",
      "9.9 s",
      "10 s",
      "59 s",
      "1 min 00 s",
      "12 min 34 s",
      "1 h 00 min",
      "2 h 01 min",
    ]);
    expect([0, 1_023, 1_024, 1_572_864, 5 * 1024 ** 3].map(formatSize)).toEqual([
      "0 B",
      "1023 B",
      "1.0 KiB",
      "1.5 MiB",
      "5.0 GiB",
    ]);
  });
});

describe("the compiler column", () => {
  test("names the compiler as it identified itself, else the cell's own name for it", () => {
    expect(cellSummary(input()).summary).toContain("| `g++-12 (Debian 12.2.0-14) 12.2.0` |");
    const unasked = input();
    const { compilerSeen: _seen, ...cell } = unasked.cell;
    expect(cellSummary({ ...unasked, cell }).summary).toContain("| `gcc-12` | `heimdall-build/gcc-12:bookworm` |");
  });
});
