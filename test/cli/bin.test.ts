/** The installed command as a user runs it: the built `dist/cli/main.js` in a child process. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "dist/cli/main.js");

async function heimdall(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("heimdall-build (built bin; npm test builds it first)", () => {
  test("--help lists the commands", async () => {
    const { code, stdout } = await heimdall("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+validate \[options\] \[dir\]/m);
    expect(stdout).toMatch(/^\s+catalog \[options\]/m);
    expect(stdout).toMatch(/^\s+server\s/m);
    expect(stdout).toMatch(/^\s+diagnostics \[options\] <log>/m);
  });

  test("validate prints the example's matrix with the skipped cell's reason", async () => {
    const { code, stdout } = await heimdall("validate", "examples/hello-cpp");
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /linux \/ gcc-12 \/ c\+\+20 \/ Debug\s+-std=c\+\+20\s+heimdall-build\/gcc-12:bookworm\s+runs/,
    );
    expect(stdout).toMatch(/linux \/ gcc-9 \/ c\+\+23 \/ Debug .*skipped: gcc 9 does not support C\+\+23/);
    expect(stdout).toContain("examples/hello-cpp/.heimdall-build.yml: 5 cells, 4 to run, 1 skipped");
  });

  test("server without its settings says which are missing (exit 2)", async () => {
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const result = await run(process.execPath, [bin, "server"], { cwd: root, env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "set APP_ID, WEBHOOK_SECRET, DATABASE_URL, REDIS_URL, PRIVATE_KEY or PRIVATE_KEY_PATH (see .env.example)",
    );
  });

  test("an unknown option is a usage error (exit 2)", async () => {
    const { code, stderr } = await heimdall("validate", "--frobnicate");
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
  });

  test("catalog --json agrees with the table's spelling for clang 16's C++23 and C23", async () => {
    const { code, stdout } = await heimdall("catalog", "--json");
    expect(code).toBe(0);
    const { compilers } = JSON.parse(stdout) as {
      compilers: {
        family: string;
        version: number;
        standardFlags: Record<string, string>;
        cStandardFlags: Record<string, string>;
      }[];
    };
    const clang16 = compilers.find((c) => c.family === "clang" && c.version === 16);
    expect(clang16?.standardFlags["23"]).toBe("-std=c++2b");
    expect(clang16?.standardFlags["26"]).toBeUndefined();
    expect(clang16?.cStandardFlags["23"]).toBe("-std=c2x");
    const table = await heimdall("catalog");
    expect(table.stdout).toMatch(/^COMPILER .* C\+\+26 +C90 +C99 +C11 +C17 +C23 /m);
    expect(table.stdout).toMatch(
      /^clang@16 +c\+\+11 +c\+\+14 +c\+\+17 +c\+\+20 +c\+\+2b +- +c90 +c99 +c11 +c17 +c2x /m,
    );
  });
});
