/**
 * GET /builds/{id}: the build's page, where check runs' "Details" link goes.
 * A browser has no token: the page answers a link the server signed (the
 * check run's: whoever GitHub showed it to may see it), a public repository's
 * build to anyone, or a token with builds:read.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { logKey } from "../../storage/keys.ts";
import { objectPath } from "../../storage/links.ts";
import { MAX_LINK_SECONDS } from "../../storage/url-signer.ts";
import { principalFor } from "../auth.ts";
import { buildPageHtml, escapeHtml } from "../build-page-html.ts";
import type { Dashboard } from "../dashboard.ts";
import { grants } from "../tokens.ts";
import type { V1Deps } from "../v1.ts";
import { buildDetail } from "./builds-read.ts";

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  // No script, no frame, nothing from elsewhere: the page shows untrusted names.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
}

export function registerBuildPage(app: FastifyInstance, deps: V1Deps, dashboard: Dashboard | null): void {
  app.get(
    "/builds/:id",
    { schema: { hide: true, params: z.object({ id: z.string().regex(/^\d{1,18}$/) }) } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      // The dashboard's page, unless the link is one the server signed (check runs made before the dashboard, or
      // a server without one): that page is for whoever holds the link, signed in or not.
      if (dashboard && !new URL(request.url, "http://page.invalid").searchParams.has("signature"))
        return dashboard.sendPage(reply);
      const found = await buildDetail(deps, id);
      if (!found)
        return reply
          .code(404)
          .headers(PAGE_HEADERS)
          .send(page("No such build", `There is no build ${id}.`));
      const url = new URL(request.url, "http://page.invalid");
      const signed = deps.signer?.verify(url.pathname, url.searchParams) === "ok";
      const repository = await deps.db
        .selectFrom("repositories")
        .select("private")
        .where("id", "=", found.row.repository_id)
        .executeTakeFirst();
      const allowed =
        signed ||
        repository?.private === false ||
        (await tokenAllows(deps, request.headers.authorization, found.row.repository));
      if (!allowed)
        return reply
          .code(403)
          .headers(PAGE_HEADERS)
          .send(
            page(
              "Not shown",
              "This build is of a private repository: open it from its check run on GitHub, whose link is signed.",
            ),
          );
      const html = buildPageHtml(found.detail, {
        // Signed links to the stored logs, when the server can sign them.
        log: (cellKey, attempt) =>
          deps.signer && deps.publicUrl
            ? deps.publicUrl.replace(/\/$/, "") +
              deps.signer.sign(objectPath(logKey(id, cellKey, attempt)), MAX_LINK_SECONDS)
            : null,
      });
      return reply.code(200).headers(PAGE_HEADERS).send(html);
    },
  );
}

async function tokenAllows(deps: V1Deps, header: string | undefined, repository: string): Promise<boolean> {
  const principal = await principalFor(deps, header);
  if (typeof principal === "string") return false;
  if (principal.repositories && !principal.repositories.includes(repository.toLowerCase())) return false;
  return grants(principal.scopes, "builds:read");
}
