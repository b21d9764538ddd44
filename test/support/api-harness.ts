/**
 * The API's tests: a real server (real PostgreSQL, Redis) on a random port,
 * tokens minted into its database, and a client whose every answer is checked
 * against the OpenAPI document the server itself serves.
 */
import { randomBytes } from "node:crypto";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import nock from "nock";
import { mintToken } from "../../src/api/tokens.ts";
import type { ApiScope } from "../../src/db/schema.ts";
import { insertToken } from "../../src/db/tokens.ts";
import type { RunningServer } from "../../src/server.ts";
import { clearRedisPrefix, startTestServer } from "./app-harness.ts";
import { freshDatabase, type TestDatabase } from "./postgres.ts";

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export type ApiClient = (
  method: string,
  path: string,
  options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
) => Promise<ApiAnswer>;

export interface ApiHarness {
  readonly server: RunningServer;
  readonly database: TestDatabase;
  readonly prefix: string;
  readonly api: ApiClient;
  /** A new token with these scopes (and repositories), as `tokens create` makes one. */
  token(scopes: readonly ApiScope[], options?: { repositories?: string[]; expiresAt?: Date }): Promise<string>;
  close(): Promise<void>;
}

type Options = Omit<Parameters<typeof startTestServer>[0], "databaseUrl" | "prefix">;

export async function startApiHarness(options: Options = {}): Promise<ApiHarness> {
  const database = await freshDatabase();
  const prefix = `heimdall-apitest-${randomBytes(4).toString("hex")}`;
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const server = await startTestServer({ ...options, databaseUrl: database.url, prefix });
  const validator = await openApiValidator(server.url);
  const api: ApiClient = async (method, path, { token, body, headers: extra } = {}) => {
    const headers: Record<string, string> = { ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(server.url + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    const parsed: unknown = type.includes("application/json") && text ? JSON.parse(text) : text;
    validator.check(method, path, response.status, type, parsed);
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  const harness: ApiHarness = {
    server,
    database,
    prefix,
    api,
    async token(scopes, more = {}) {
      const minted = mintToken();
      await insertToken(database.db, {
        name: `test-${minted.prefix}`,
        prefix: minted.prefix,
        hash: minted.hash,
        scopes,
        repositories: more.repositories?.map((r) => r.toLowerCase()) ?? null,
        expiresAt: more.expiresAt ?? null,
      });
      return minted.token;
    },
    async close() {
      await server.close();
      await database.drop();
      await clearRedisPrefix(prefix);
    },
  };
  return harness;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>>;
}

/** Every answer's status and body checked against the document: an undocumented status or shape fails the test. */
export async function openApiValidator(base: string) {
  const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document as object, "openapi.json");
  const compiled = new Map<string, ValidateFunction>();
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    // A parameter marked x-multi-segment (the last, a file's path) holds slashes; the others one segment.
    pattern: new RegExp(
      `^${template
        .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\{path\}$/, multiSegment(document, template) ? ".+" : "{path}")
        .replace(/\{[^}]+\}/g, "[^/]+")}$`,
    ),
  }));
  return {
    document,
    check(method: string, path: string, status: number, type: string, body: unknown) {
      const pathname = path.split("?")[0] ?? path;
      if (!pathname.startsWith("/api/v1/")) return;
      const found = templates.find((t) => t.pattern.test(pathname.slice("/api/v1".length)) || t.pattern.test(pathname));
      if (!found) throw new Error(`${method} ${pathname}: no such path in the OpenAPI document`);
      const operation = document.paths[found.template]?.[method.toLowerCase()];
      if (!operation) throw new Error(`${method} ${found.template}: no such operation in the OpenAPI document`);
      const response = operation.responses?.[String(status)] ?? operation.responses?.default;
      if (!response) throw new Error(`${method} ${found.template}: status ${status} is not documented`);
      if (!type.includes("application/json") || !response.content?.["application/json"]) return;
      const pointer = [
        "paths",
        found.template,
        method.toLowerCase(),
        "responses",
        String(status),
        "content",
        "application/json",
        "schema",
      ]
        .map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1"))
        .join("/");
      const key = `openapi.json#/${pointer}`;
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile({ $ref: key });
        compiled.set(key, validate);
      }
      if (!validate(body))
        throw new Error(
          `${method} ${pathname} ${status}: the body does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
        );
    },
  };
}

function multiSegment(document: OpenApiDocument, template: string): boolean {
  const item = document.paths[template] as Record<
    string,
    { parameters?: { name: string; "x-multi-segment"?: boolean }[] }
  >;
  return Object.values(item).some((op) =>
    op.parameters?.some((p) => p.name === "path" && p["x-multi-segment"] === true),
  );
}
