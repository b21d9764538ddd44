// Regenerates schema/heimdall-build.schema.json from the zod schema: `npm run schema`.
import { writeFileSync } from "node:fs";
import { configJsonSchemaText, JSON_SCHEMA_PATH } from "../src/config/json-schema.ts";

writeFileSync(JSON_SCHEMA_PATH, configJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
