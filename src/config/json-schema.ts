/** The JSON Schema for editors (yaml-language-server), generated from the zod schema that validates. */
import { z } from "zod";
import { configSchema } from "./schema.ts";

export const JSON_SCHEMA_PATH = "schema/heimdall-build.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  const { required, ...schema } = z.toJSONSchema(configSchema, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
  });
  return {
    ...schema,
    // A file that extends a stored configuration may leave `version` and `matrix` to it (the merged whole is checked).
    anyOf: [{ required }, { required: ["extends"] }],
    $id: "https://heimdall-build.dev/schema/heimdall-build.schema.json",
    title: ".heimdall-build.yml",
  };
}

/** The file's exact text, so the committed copy can be compared byte for byte. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
