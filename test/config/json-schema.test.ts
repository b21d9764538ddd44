/** The committed JSON Schema (for editors) is the one the zod schema generates today. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText, JSON_SCHEMA_PATH } from "../../src/config/json-schema.ts";

const committedPath = new URL(`../../${JSON_SCHEMA_PATH}`, import.meta.url);

describe("schema/heimdall-build.schema.json", () => {
  it("is up to date with src/config/schema.ts", () => {
    const committed = readFileSync(committedPath, "utf8");
    expect(committed, `${JSON_SCHEMA_PATH} is out of date: run \`npm run schema\` and commit the result`).toBe(
      configJsonSchemaText(),
    );
  });

  it("describes a closed top-level mapping that requires version and matrix", () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      type?: unknown;
      required?: unknown;
      additionalProperties?: unknown;
      properties?: Record<string, unknown>;
    };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["version", "matrix"]));
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(["version", "matrix", "sanitizers"]));
  });
});
