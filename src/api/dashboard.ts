/**
 * The dashboard's files (web/, built by Vite into dist/web): hashed assets
 * cached for a year, and index.html (never cached) for every page's path, so
 * that each page deep-links. Without a built bundle the server answers
 * without a dashboard and says so at `/`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";

/** The pages' paths (react-router's routes in web/src/App.tsx); `/builds/:id` is the build page's (build-page.ts). */
export const DASHBOARD_PATHS = [
  "/",
  "/builds",
  "/builds/:id/cells/:cell",
  "/builds/:id/cells/:cell/attempts/:attempt",
  "/queue",
  "/status",
  "/configurations",
  "/configurations/:name",
  "/settings/tokens",
] as const;

/** dist/web next to the compiled server (dist/api/…), or the checkout's dist/web when running from src. */
export function defaultDashboardDir(): string | null {
  for (const relative of ["../web/", "../../dist/web/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path.join(dir, "index.html"))) return dir;
  }
  return null;
}

export const DASHBOARD_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  // MUI's styles are injected at run time (emotion): inline styles, no inline scripts.
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export interface Dashboard {
  /** Answers a page's path with the app (index.html). */
  sendPage(reply: FastifyReply): FastifyReply;
}

export async function registerDashboard(app: FastifyInstance, dir: string | null): Promise<Dashboard | null> {
  if (!dir) {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(200)
        .type("text/plain; charset=utf-8")
        .send(
          "heimdall-build: this server has no dashboard built (npm run build makes dist/web). The API is at /api/v1.\n",
        ),
    );
    return null;
  }
  const index = readFileSync(path.join(dir, "index.html"));
  const dashboard: Dashboard = { sendPage: (reply) => reply.code(200).headers(DASHBOARD_HEADERS).send(index) };
  await app.register(fastifyStatic, {
    root: path.join(dir, "assets"),
    prefix: "/assets/",
    // Names carry their content's hash.
    immutable: true,
    maxAge: "365d",
    index: false,
    wildcard: true,
  });
  for (const path of DASHBOARD_PATHS)
    app.get(path, { schema: { hide: true } }, async (_request, reply) => dashboard.sendPage(reply));
  return dashboard;
}
