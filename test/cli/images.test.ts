/** `heimdall-build images` against the real Docker engine. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { requireDocker } from "../support/docker.ts";

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
    cwd: path.resolve(import.meta.dirname, "../.."),
  });
  return { code, stdout, stderr };
}

describe("heimdall-build images", () => {
  test("build makes gcc 12's image when needed, then finds it up to date; list says current", async () => {
    await requireDocker();
    const first = await cli("images", "build", "--compiler", "gcc@12");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^heimdall-build\/gcc-12:bookworm: (up to date|built in \d+ s)$/m);
    const again = await cli("images", "build", "--compiler", "gcc@12");
    expect(again.stdout).toBe("heimdall-build/gcc-12:bookworm: up to date\n");
    const list = await cli("images", "list", "--compiler", "gcc@12");
    expect(list.stdout).toMatch(/^gcc@12\s+heimdall-build\/gcc-12:bookworm\s+current\s+debian:bookworm \(present\)$/m);
  }, 900_000);

  test("prune removes only derived images whose base was rebuilt, and says how many current ones it left", async () => {
    await requireDocker();
    const { code, stdout } = await cli("images", "prune");
    expect(code).toBe(0);
    // Whatever this machine holds: every line is a removal, a kept image, or the closing count.
    const lines = stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(
      /^\d+ derived images removed \(\d+ MB\), \d+ current left \(--all removes them too\)$/,
    );
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^(removed|kept) heimdall-build\/with-packages:/);
  }, 120_000);

  test("a compiler without a recipe is a usage error", async () => {
    const { code, stderr } = await cli("images", "build", "--compiler", "clang@12");
    expect(code).toBe(2);
    expect(stderr).toContain("'clang@12' has no image recipe");
  });
});
