/** The configs README.md shows are valid: a reader who copies one gets no error (fragments get `version: 1`). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type BaseConfig, extendsName } from "../../src/config/extends.ts";
import { parseConfig, parseConfigOrThrow } from "../../src/config/parse.ts";
import { formatProblem } from "../../src/config/problems.ts";

const README = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
const blocks = [...README.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);

/** Blocks that begin `# stored as NAME` are stored configurations, which the others' `extends` name. */
const stored = new Map<string, BaseConfig>(
  blocks.flatMap((text) => {
    const name = /^# stored as ([a-z0-9._-]+)\n/.exec(text)?.[1];
    return name ? [[name, { name, version: 1, text }] as const] : [];
  }),
);

function parsed(text: string) {
  const name = extendsName(text);
  const base = name === null ? undefined : (stored.get(name) ?? { unresolved: `the README stores no ${name}` });
  const config = /^(version|extends):/m.test(text) ? text : `version: 1\n${text}`;
  return parseConfig(config, { file: "README.md", ...(base ? { base } : {}) });
}

describe("README's YAML examples", () => {
  it("are there to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(stored.size).toBeGreaterThanOrEqual(1);
  });

  it.each(blocks.map((text, i) => [i + 1, text] as const))("example %i parses without errors", (_n, text) => {
    const result = parsed(text);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it("the extends example's file over its base is what the README says it builds as", () => {
    const file = blocks.findIndex((text) => text.startsWith("# the repository's .heimdall-build.yml\nextends:"));
    const over = parseConfigOrThrow(blocks[file] ?? "", { base: stored.get("org-defaults") ?? { unresolved: "" } });
    const asIf = parseConfigOrThrow(blocks[file + 1] ?? "");
    const { extends: _extends, ...config } = over.config;
    expect(config).toEqual(asIf.config);
    expect(over.cells).toEqual(asIf.cells);
  });
});
