/**
 * The audit trail: every call to a route that changes something (POST, PUT,
 * PATCH, DELETE), refused or not, written before its answer leaves: who (the
 * token, or nobody), what (method and route), on what (the route's
 * parameters) and how it ended (the status).
 */
import type { FastifyInstance } from "fastify";
import type { Db } from "../db/connect.ts";
import { recordAudit } from "../db/tokens.ts";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function registerAudit(app: FastifyInstance, db: Db, now: () => Date): void {
  app.addHook("onSend", async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || !request.routeOptions.config?.scope) return payload;
    const params = request.params as Record<string, string> | undefined;
    const target = params && Object.keys(params).length > 0 ? JSON.stringify(params) : null;
    await recordAudit(db, {
      tokenId: request.principal?.tokenId ?? null,
      tokenName: request.principal?.name ?? "(no valid token)",
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      target,
      status: reply.statusCode,
      at: now(),
    });
    return payload;
  });
}
