/**
 * Checks a request to GitHub's REST API against GitHub's own published OpenAPI
 * description (`@octokit/openapi`), so a test fails on a body GitHub would
 * refuse with 422 instead of passing against a mock that accepts anything.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

export type ValidationResult = { ok: true; operation: string } | { ok: false; errors: string[]; operation?: string };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaNode = { [key: string]: Json };

interface Operation {
  readonly method: string;
  readonly template: string;
  /** The template's segments: literal text, or null for a parameter. */
  readonly segments: readonly (string | null)[];
  /** The last segment is a parameter that takes slashes (`x-multi-segment`: a file path, a ref, a branch). */
  readonly multiSegmentTail: boolean;
  readonly operationId: string;
  readonly bodyRequired: boolean;
  /** The JSON body's schema; undefined when the operation takes no body, null when the body is not JSON. */
  readonly schema: SchemaNode | null | undefined;
  validate?: ValidateFunction;
}

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"] as const;

let operations: Map<string, Operation[]> | undefined;

/** The operations of api.github.com by method, without the responses (the file is 70 MB; it is read once). */
function loadOperations(): Map<string, Operation[]> {
  if (operations) return operations;
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/openapi/generated/api.github.com.deref.json");
  const spec = JSON.parse(readFileSync(file, "utf8")) as {
    paths: Record<string, Record<string, OpenApiOperation | undefined>>;
  };
  const byMethod = new Map<string, Operation[]>();
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const segments = template
        .split("/")
        .slice(1)
        .map((segment) => (/^\{[^}]+\}$/.test(segment) ? null : segment));
      const lastName = /^\{([^}]+)\}$/.exec(template.split("/").at(-1) ?? "")?.[1];
      const multiSegmentTail = (op.parameters ?? []).some(
        (p) => p.in === "path" && p.name === lastName && p["x-multi-segment"] === true,
      );
      const content = op.requestBody?.content;
      const upper = method.toUpperCase();
      const list = byMethod.get(upper) ?? [];
      list.push({
        method: upper,
        template,
        segments,
        multiSegmentTail,
        operationId: op.operationId ?? `${upper} ${template}`,
        bodyRequired: op.requestBody?.required === true,
        schema: content ? (content["application/json"]?.schema ?? null) : undefined,
      });
      byMethod.set(upper, list);
    }
  }
  operations = byMethod;
  return byMethod;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: { name: string; in: string; "x-multi-segment"?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: SchemaNode } | undefined> };
}

/**
 * The operation a request path belongs to: `/repos/o/r/check-runs/5?x=1` →
 * `/repos/{owner}/{repo}/check-runs/{check_run_id}`. Segments are compared
 * decoded; the template with the most literal segments wins, and a trailing
 * multi-segment parameter (`contents/{path}`) may take several segments.
 */
export function findOperation(method: string, path: string): { operationId: string; template: string } | undefined {
  const op = matchOperation(method, path);
  return op ? { operationId: op.operationId, template: op.template } : undefined;
}

function matchOperation(method: string, path: string): Operation | undefined {
  const pathname = path.split("?")[0]?.split("#")[0] ?? "";
  const parts = pathname.replace(/\/+$/, "").split("/").slice(1).map(safeDecode);
  let best: Operation | undefined;
  let bestLiterals = -1;
  for (const op of loadOperations().get(method.toUpperCase()) ?? []) {
    const n = op.segments.length;
    if (parts.length !== n && !(op.multiSegmentTail && parts.length > n)) continue;
    let literals = 0;
    let matches = true;
    for (let i = 0; i < n; i++) {
      const want = op.segments[i];
      const got = i === n - 1 && op.multiSegmentTail ? parts.slice(i).join("/") : parts[i];
      if (got === undefined || got === "") {
        matches = false;
        break;
      }
      if (want === null) continue;
      if (want !== got) {
        matches = false;
        break;
      }
      literals++;
    }
    // Among equals, an exact segment count beats a multi-segment tail.
    const score = literals * 2 + (parts.length === n ? 1 : 0);
    if (matches && score > bestLiterals) {
      best = op;
      bestLiterals = score;
    }
  }
  return best;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

let ajv: Ajv | undefined;
function validator(): Ajv {
  ajv ??= new Ajv({
    // GitHub's schemas are OpenAPI 3.0 schema objects: draft-04-like JSON Schema
    // with `nullable`, `example`, `readOnly`, `x-*`. Unknown keywords are
    // annotations; `nullable` is rewritten before compiling (see `toJsonSchema`).
    strict: false,
    allErrors: true,
    logger: false,
    formats: {
      "date-time": /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/,
      date: /^\d{4}-\d{2}-\d{2}$/,
      uri: { validate: (value: string) => URL.canParse(value) },
      "repo.nwo": true,
      int64: true,
    },
  });
  return ajv;
}

/**
 * OpenAPI 3.0 → JSON Schema for what Ajv needs: `nullable: true` becomes `null`
 * in `type` (and in `enum`), or an `anyOf` with `{type: "null"}` when the schema
 * has no single `type` (GitHub writes `nullable` beside `oneOf`).
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key === "description") continue;
    if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else if (key === "enum" || key === "default" || key === "const" || key === "required") {
      out[key] = value;
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [{ type: "null" }, out] };
  }
  delete out.nullable;
  return out;
}

/**
 * Validates a request GitHub would receive: the path must be one of GitHub's
 * operations for that method, and the JSON body must match the operation's
 * request schema and GitHub's documented limits the schema leaves out.
 * `body` is the parsed JSON (or undefined for no body).
 */
export function validateGitHubRequest(method: string, path: string, body: unknown): ValidationResult {
  const op = matchOperation(method, path);
  if (!op) {
    return {
      ok: false,
      errors: [`${method.toUpperCase()} ${path}: no such operation in GitHub's REST API (api.github.com)`],
    };
  }
  const operation = `${op.operationId} (${op.method} ${op.template})`;
  const errors: string[] = [];
  const empty = body === undefined || body === null || body === "";
  if (op.schema === undefined) {
    if (!empty && !(isObject(body) && Object.keys(body).length === 0)) {
      errors.push(`(body): ${op.operationId} takes no request body, got ${preview(body)}`);
    }
  } else if (empty) {
    if (op.bodyRequired) errors.push(`(body): ${op.operationId} requires a request body`);
  } else if (op.schema !== null) {
    op.validate ??= validator().compile(toJsonSchema(op.schema) as SchemaNode);
    if (!op.validate(body)) errors.push(...formatErrors(op.validate.errors ?? []));
    errors.push(...documentedLimits(op.operationId, body));
  }
  if (errors.length === 0) return { ok: true, operation };
  const shown =
    errors.length > MAX_ERRORS
      ? [...errors.slice(0, MAX_ERRORS), `... and ${errors.length - MAX_ERRORS} more`]
      : errors;
  return { ok: false, errors: shown, operation };
}

function formatErrors(errors: readonly ErrorObject[]): string[] {
  return errors.map((error) => {
    const where = error.instancePath === "" ? "(body)" : error.instancePath;
    const params = error.params as Record<string, unknown>;
    let detail = "";
    if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
      detail = `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    } else if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
      detail = `: '${params.additionalProperty}'`;
    }
    return `${where}: ${error.message ?? error.keyword}${detail}`;
  });
}

const KB64 = 64 * 1024;
const MAX_ERRORS = 20;

/** GitHub's limits that its OpenAPI schemas state only in prose. */
function documentedLimits(operationId: string, body: unknown): string[] {
  if (!isObject(body)) return [];
  const errors: string[] = [];
  if (operationId === "checks/create" || operationId === "checks/update") {
    // The update schema encodes "completed needs a conclusion"; the create schema does not.
    const completed =
      body.completed_at !== undefined || (operationId === "checks/create" && body.status === "completed");
    if (completed && body.conclusion === undefined) {
      errors.push("(body): conclusion is required when status is 'completed' or completed_at is given");
    }
    const output = body.output;
    if (isObject(output)) {
      // The schema bounds summary and text (65535 characters) and annotations (50 a request).
      if (typeof output.title === "string" && output.title.length > 65535) {
        errors.push(`/output/title: longer than 65535 characters (${output.title.length})`);
      }
      // GitHub counts summary and text in UTF-8 bytes too: 30,000 emoji pass the schema and get a 422.
      for (const key of ["summary", "text"] as const) {
        const value = output[key];
        if (typeof value === "string" && Buffer.byteLength(value) > 65535) {
          errors.push(`/output/${key}: ${key} exceeds a maximum bytesize of 65535 (${Buffer.byteLength(value)})`);
        }
      }
      if (operationId === "checks/update" && output.title === undefined) {
        errors.push("/output: must have property 'title' (documented as required)");
      }
      if (Array.isArray(output.annotations)) {
        output.annotations.forEach((annotation, i) => {
          errors.push(...annotationLimits(annotation, `/output/annotations/${i}`));
        });
      }
    }
  }
  if (operationId === "repos/create-commit-status" && typeof body.description === "string") {
    if (body.description.length > 140) errors.push("/description: longer than 140 characters");
  }
  if (
    (operationId === "issues/create-comment" || operationId === "issues/update-comment") &&
    typeof body.body === "string" &&
    body.body.length > 65536
  ) {
    errors.push(`/body: longer than 65536 characters (${body.body.length})`);
  }
  return errors;
}

function annotationLimits(annotation: unknown, where: string): string[] {
  if (!isObject(annotation)) return [];
  const errors: string[] = [];
  // The schema requires message; GitHub also refuses an empty one.
  if (annotation.message === "") {
    errors.push(`${where}/message: must not be empty`);
  } else if (typeof annotation.message === "string" && Buffer.byteLength(annotation.message) > KB64) {
    errors.push(`${where}/message: larger than 64 KB`);
  }
  if (typeof annotation.raw_details === "string" && Buffer.byteLength(annotation.raw_details) > KB64) {
    errors.push(`${where}/raw_details: larger than 64 KB`);
  }
  if (typeof annotation.title === "string" && annotation.title.length > 255) {
    errors.push(`${where}/title: longer than 255 characters`);
  }
  const { start_line: start, end_line: end } = annotation;
  if (typeof start === "number" && start < 1) errors.push(`${where}/start_line: lines start at 1`);
  if (typeof start === "number" && typeof end === "number" && end < start) {
    errors.push(`${where}/end_line: before start_line`);
  }
  if ((annotation.start_column !== undefined || annotation.end_column !== undefined) && start !== end) {
    errors.push(`${where}: start_column and end_column only when start_line equals end_line`);
  }
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
