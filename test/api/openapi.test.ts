/**
 * The OpenAPI document the server serves: a valid OpenAPI 3.1 document whose
 * schemas are valid JSON Schema 2020-12, describing every route that takes a
 * token, each with its security and its refusals.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";

let h: ApiHarness;
let document: {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

beforeAll(async () => {
  h = await startApiHarness();
  const response = await fetch(`${h.server.url}/api/v1/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  document = (await response.json()) as typeof document;
});
afterAll(async () => {
  await h?.close();
});

describe("GET /api/v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document, and its schemas valid JSON Schema", async () => {
    const verdict = await new Validator().validate(structuredClone(document) as Parameters<Validator["validate"]>[0]);
    expect(verdict.errors ?? [], JSON.stringify(verdict.errors)).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
    // Each component compiles as JSON Schema 2020-12 (a broken one would throw here).
    const schemas = new Ajv2020({ strict: false });
    schemas.addSchema({ $id: "doc", components: document.components } as object);
    for (const name of Object.keys(document.components.schemas)) {
      expect(() => schemas.compile({ $ref: `doc#/components/schemas/${name}` }), name).not.toThrow();
    }
  });

  it("describes every route that takes a token, with its security and the refusals any of them can answer", () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        expect(operation.security, `${method} ${path}`).toEqual([{ token: [] }]);
        for (const status of ["400", "401", "403", "429", "500"])
          expect(operation.responses[status], `${method} ${path} ${status}`).toBeDefined();
      }
    }
    const served = h.server.apiRoutes.map(
      ({ method, url }) => `${method} ${url.replace(/:(\w+)/g, "{$1}").replace(/\*$/, "{path}")}`,
    );
    expect(served.length).toBeGreaterThan(5);
    expect([...documented].sort()).toEqual([...new Set(served)].sort());
  });
});
