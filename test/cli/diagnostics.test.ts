/** `heimdall-build diagnostics` through the command line, on a log made by real cmake, ninja and g++ 12. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../../src/cli/program.ts";

const root = path.resolve(import.meta.dirname, "../..");
const log = "test/diagnostics/fixtures/ninja/build.txt";

async function cli(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["node", "heimdall-build", ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: root,
  });
  return { code, stdout, stderr };
}

describe("heimdall-build diagnostics", () => {
  test("--json prints the annotations with repository-relative paths", async () => {
    const { code, stdout } = await cli("diagnostics", log, "--root", "/src/app", "--label", "gcc-12", "--json");
    expect(code).toBe(0);
    const annotations = JSON.parse(stdout) as Record<string, unknown>[];
    const error = annotations.find((a) => a.path === "main.cpp" && a.start_line === 4 && a.start_column === 27);
    expect(error).toMatchObject({
      end_line: 4,
      annotation_level: "failure",
      title: "gcc-12: error",
      message: "'undeclared' was not declared in this scope",
      code: null,
      tool: "gcc",
    });
    expect(error?.raw_details).toContain("/src/app/main.cpp: In function 'int main()':");
    expect(Object.keys(error ?? {}).sort()).toEqual(
      [
        "annotation_level",
        "code",
        "end_column",
        "end_line",
        "fingerprint",
        "message",
        "path",
        "raw_details",
        "start_column",
        "start_line",
        "title",
        "tool",
      ].sort(),
    );
  });

  test("prints compiler-style lines, then what has no place in the repository, and counts on stderr", async () => {
    const { code, stdout, stderr } = await cli("diagnostics", log, "--root", "/src/app");
    expect(code).toBe(0);
    expect(stdout).toContain("main.cpp:4:27: error: 'undeclared' was not declared in this scope\n");
    // ninja's own failures name no source file: listed, not annotated.
    expect(stdout).toMatch(/^error: FAILED: CMakeFiles\/app\.dir\/main\.cpp\.o .*\(ninja, not in the repository\)$/m);
    expect(stderr).toMatch(/^\d+ errors, \d+ warnings, \d+ notes in the repository; \d+ elsewhere\n$/);
  });

  test("a missing log is a usage error", async () => {
    const { code, stderr } = await cli("diagnostics", "no/such.log");
    expect(code).toBe(2);
    expect(stderr).toContain("cannot read no/such.log: ENOENT");
  });

  test("--compiler takes only gcc or clang", async () => {
    const { code, stderr } = await cli("diagnostics", log, "--compiler", "msvc");
    expect(code).toBe(2);
    expect(stderr).toContain("--compiler is gcc or clang");
  });
});
