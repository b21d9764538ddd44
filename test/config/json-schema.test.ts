/** The committed JSON Schema (for editors) is the one the zod schema generates today. */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
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

  it("describes a closed top-level mapping that requires version and matrix, or extends (whose base has them)", () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      type?: unknown;
      additionalProperties?: unknown;
      properties?: Record<string, unknown>;
    };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(["version", "matrix", "sanitizers"]));
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    expect(validate({ version: 1, matrix: { compiler: ["gcc@12"] } })).toBe(true);
    expect(validate({ extends: "org-defaults", packages: ["libfmt-dev"] })).toBe(true);
    expect(validate({ packages: ["libfmt-dev"] })).toBe(false);
    expect(validate({ version: 1 })).toBe(false);
  });
});
