/**
 * Everything the server answers, behind one Fastify: GitHub's webhooks (the
 * bounded intake, which reads its own body), the signed links to stored
 * objects and live logs, and the token-checked API under /api/v1 with its
 * OpenAPI 3.1 document, generated from the routes' zod schemas.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { hasBody } from "../http/bounded-body.ts";
import { refuse } from "../http/refuse.ts";
import type { WebhookIntake } from "../http/webhook-intake.ts";
import { registerAudit } from "./audit.ts";
import { registerAuth } from "./auth.ts";
import { defaultDashboardDir, registerDashboard } from "./dashboard.ts";
import type { DashboardAuth } from "./dashboard-auth.ts";
import { ApiError, apiErrorHandler, ErrorBody, errorBody } from "./errors.ts";
import { registerBuildPage } from "./routes/build-page.ts";
import type { ApiHandler } from "./routes.ts";
import { type V1Deps, v1Routes } from "./v1.ts";

export interface HttpAppOptions extends V1Deps {
  readonly log: Logger;
  readonly webhookPath: string;
  readonly webhooks: WebhookIntake;
  /** The signed links' handler (objects, live logs). */
  readonly signedLinks: ApiHandler;
  readonly redis: Redis;
  readonly prefix: string;
  /** The dashboard's sign-in (its /auth routes; sessions as principals); null: tokens only. */
  readonly dashboardAuth?: DashboardAuth | null;
  /** The dashboard's built files (index.html, assets/); null: none. Default: dist/web, when built. */
  readonly dashboardDir?: string | null;
  /** Calls a token may make in a window (default 600 a minute). */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
}

const COMMON_REFUSALS = {
  400: ErrorBody.describe("The request is not valid: `details.issues` says where"),
  401: ErrorBody.describe("No token, or one not known, expired or revoked"),
  403: ErrorBody.describe("The token lacks the scope, or the repository"),
  429: ErrorBody.describe("The token made too many calls; `retry-after` says when to try again"),
  500: ErrorBody.describe("The server failed; it is logged"),
  503: ErrorBody.describe(
    "PostgreSQL does not answer (tokens cannot be checked), or a part the route needs is away; `retry-after` says when to try again",
  ),
};

/** The largest JSON body the API reads (a configuration document is far smaller). */
const API_BODY_LIMIT = 1024 * 1024;

export interface HttpApp {
  readonly app: FastifyInstance;
  /** Every API route with a token (method and path as Fastify writes it): what the OpenAPI document must describe. */
  readonly apiRoutes: readonly { readonly method: string; readonly url: string }[];
  readonly server: ReturnType<typeof createServer>;
}

export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  let server: ReturnType<typeof createServer> | undefined;
  const app = Fastify({
    // Pino as Fastify types it (its own pino types differ from ours only in generics).
    loggerInstance: options.log.child({ name: "http" }) as FastifyBaseLogger,
    // No line per request: the API logs what went wrong, not every call.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_BODY_LIMIT,
    // The node server is ours: close() decides how its connections end (server.ts).
    serverFactory: (handler) => {
      server = createServer(handler);
      return server;
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    // A body sent to a route that does not exist is refused unread, whatever its size.
    if (hasBody(request.raw) && !request.raw.complete)
      return hijacked(reply, () => refuse(request.raw, reply.raw, 404, "not found"));
    return reply.code(404).send(errorBody("not_found", `no route ${request.method} ${request.url.split("?")[0]}`));
  });

  // GET and HEAD take no body: one is refused unread (and its connection closed), whatever its size.
  app.addHook("onRequest", async (request, reply) => {
    if ((request.method === "GET" || request.method === "HEAD") && hasBody(request.raw)) {
      hijacked(reply, () => refuse(request.raw, reply.raw, 413, "this route takes no request body"));
    }
  });

  // The webhook intake reads its own body (bounded, verified before parsing): Fastify never reads it.
  app.all(options.webhookPath, { onRequest: rawRoute(options.webhooks) }, async () => undefined);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "heimdall-build API",
        version: "1",
        description:
          "Builds of C and C++ compiler matrices: their cells, logs, artifacts and SBOMs; stored configurations; the farm's status, queue and metrics. Tokens: `heimdall-build tokens create`.",
      },
      components: { securitySchemes: { token: { type: "http", scheme: "bearer" } } },
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => namedWildcards(jsonSchemaTransformObject(input)),
    hideUntagged: false,
  });
  // Every route with a token documents the refusals any such route can answer, in the one error shape.
  const apiRoutes: { method: string; url: string }[] = [];
  app.addHook("onRoute", (route) => {
    if (!route.config?.scope) return;
    for (const method of [route.method].flat()) if (method !== "HEAD") apiRoutes.push({ method, url: route.url });
    if (!route.schema) return;
    route.schema = {
      security: [{ token: [] }],
      ...route.schema,
      response: { ...COMMON_REFUSALS, ...(route.schema.response as object | undefined) },
    };
  });
  await options.dashboardAuth?.register(app);
  registerAuth(app, { db: options.db, now: options.now, tokens: options.tokens, dashboard: options.dashboardAuth });
  registerAudit(app, options.db, options.now);
  const rate = options.rateLimit ?? { max: 600, windowMs: 60_000 };
  // The limit's own connection fails at once while Redis is away (no queue of commands waiting for it),
  // and a failed count lets the call through: Redis down slows nobody, and /status can say it is down.
  const rateRedis = options.redis.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  rateRedis.on("error", (error: Error) => app.log.debug({ err: error }, "rate limit's redis connection error"));
  app.addHook("onClose", async () => {
    rateRedis.disconnect();
  });
  await app.register(fastifyRateLimit, {
    global: true,
    // After the token is known: a limit per token, and 401/403 never count against anyone.
    hook: "preHandler",
    max: rate.max,
    timeWindow: rate.windowMs,
    redis: rateRedis,
    skipOnError: true,
    nameSpace: `${options.prefix}:api-rate:`,
    allowList: (request: FastifyRequest) => !request.principal,
    keyGenerator: (request: FastifyRequest) => request.principal?.rateKey ?? "none",
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        "rate_limited",
        `this token made more than ${context.max} calls in ${Math.round(rate.windowMs / 1000)} s; try again in ${context.after}`,
      ),
  });

  await app.register(v1Routes(options), { prefix: "/api/v1" });
  // The signed links (objects, live logs) answer for themselves: their own streaming and checks.
  app.get(
    "/api/v1/objects/*",
    { onRequest: rawRoute(options.signedLinks), schema: { hide: true } },
    async () => undefined,
  );
  app.get(
    "/api/v1/attempts/:attemptId/log",
    { onRequest: rawRoute(options.signedLinks), schema: { hide: true } },
    async () => undefined,
  );
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  const dashboard = await registerDashboard(
    app,
    options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir,
  );
  registerBuildPage(app, options, dashboard);
  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true }));

  await app.ready();
  if (!server) throw new Error("Fastify did not make its server");
  return { app, server, apiRoutes };
}

/** A route answered by a raw handler on Node's request and response; Fastify steps aside. */
function rawRoute(handler: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const answered = await handler(request.raw, reply.raw).catch((error: unknown) => {
      request.log.error({ err: error }, "request failed");
      if (!reply.raw.headersSent) reply.raw.writeHead(500).end();
      else reply.raw.destroy();
      return true;
    });
    if (!answered && !reply.raw.headersSent)
      reply.raw
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify(errorBody("not_found", "not found")));
  };
}

function hijacked(reply: FastifyReply, answer: () => void) {
  reply.hijack();
  answer();
  return reply;
}

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * Fastify's wildcard (`/artifacts/*`) as a named parameter, `{path}`, that
 * holds slashes: the document says so with `x-multi-segment` (as GitHub's
 * own description does), since OpenAPI's path parameters do not.
 */
function namedWildcards(document: OpenApiDocument): OpenApiDocument {
  const paths = (
    document as { paths?: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }
  ).paths;
  if (!paths) return document;
  for (const template of Object.keys(paths)) {
    if (!template.endsWith("/{*}")) continue;
    const item = paths[template] ?? {};
    for (const operation of Object.values(item)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === "path" && parameter.name === "*") {
          Object.assign(parameter, {
            name: "path",
            description: "The file's path in the build's outputs; it holds slashes",
            "x-multi-segment": true,
          });
        }
      }
    }
    delete paths[template];
    paths[`${template.slice(0, -"{*}".length)}{path}`] = item;
  }
  return document;
}
