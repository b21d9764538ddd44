/** The configs README.md shows are valid: a reader who copies one gets no error (fragments get `version: 1`). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse.ts";
import { formatProblem } from "../../src/config/problems.ts";

const README = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
const blocks = [...README.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);

describe("README's YAML examples", () => {
  it("are there to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(blocks.map((text, i) => [i + 1, text] as const))("example %i parses without errors", (_n, text) => {
    const config = /^version:/m.test(text) ? text : `version: 1\n${text}`;
    const result = parseConfig(config, { file: "README.md" });
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });
});
