/**
 * The API's one error shape, `{error: {code, message, details?}}`, and the
 * typed error a route throws to answer with it. Codes are stable words a
 * client can branch on; messages are for people.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { z } from "zod";

export const ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "invalid_configuration",
  "unknown_commit",
  "rate_limited",
  "internal",
  "unavailable",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_configuration: 422,
  /** A commit GitHub does not know in the repository (POST /builds). */
  unknown_commit: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error", description: "Every error the API answers, whatever its status." });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A route's refusal: thrown, answered by the error handler in the one shape. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, details?: unknown, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = STATUS_OF[code];
    this.details = details;
    this.headers = headers;
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Fastify's own errors (a body too large, a bad content type, bad JSON), and raw refusals, mapped to codes. */
export function codeOfStatus(status: number): ErrorCode {
  const found = (Object.entries(STATUS_OF) as [ErrorCode, number][]).find(([, s]) => s === status);
  return found ? found[0] : status >= 500 ? "internal" : "invalid_request";
}

export function apiErrorHandler(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiError) {
    return reply
      .code(error.status)
      .headers(error.headers)
      .send(errorBody(error.code, error.message, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? "request";
    const issues = error.validation.map((issue) => ({
      in: where,
      path: issue.instancePath.replace(/^\//, "").split("/").filter(Boolean).join("."),
      message: issue.message ?? "is not valid",
    }));
    const first = issues[0];
    const message = first
      ? `${where}${first.path ? `.${first.path}` : ""}: ${first.message}`
      : `the ${where} is not valid`;
    return reply.code(400).send(errorBody("invalid_request", message, { issues }));
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error, issues: error.cause.issues }, "a response did not match its schema");
    return reply.code(500).send(errorBody("internal", "the server made an answer its own schema refuses"));
  }
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, "request failed");
  const message = status >= 500 ? "the server failed to answer; it is logged" : error.message;
  return reply.code(status).send(errorBody(codeOfStatus(status), message));
}
