/**
 * GET /builds/{id} on a server without the dashboard: the page check runs
 * link to; who may see it, and that untrusted names stay text. With the
 * dashboard, the same path is the dashboard's, unless the link is signed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPageLink } from "../../src/storage/links.ts";
import { UrlSigner } from "../../src/storage/url-signer.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";

const signer = new UrlSigner("a secret for the build page tests");
let h: ApiHarness;
let publicBuild: string;
let privateBuild: string;

beforeAll(async () => {
  h = await startApiHarness({ signer, publicUrl: "https://ci.example.com", dashboardDir: null });
  await seedRepositories(h.database.db);
  publicBuild = (await seedBuild(h.database.db, { repositoryId: 100, outcomes: ["success", "failure"] })).id;
  privateBuild = (await seedBuild(h.database.db, { repositoryId: 101, outcomes: ["success"] })).id;
});
afterAll(async () => {
  await h?.close();
});

const page = (path: string, headers: Record<string, string> = {}) => fetch(h.server.url + path, { headers });

describe("the build's page", () => {
  it("with the dashboard built, the path is the dashboard's (no-cache, a CSP without inline scripts); a signed link still gets this page", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(`${tmpdir()}/heimdall-web-`);
    await mkdir(`${dir}/assets`);
    await writeFile(`${dir}/index.html`, "<!doctype html><title>dashboard</title>");
    await writeFile(`${dir}/assets/app-1234.js`, "console.log(1)");
    const withDashboard = await startApiHarness({ signer, publicUrl: "https://ci.example.com", dashboardDir: dir });
    try {
      await seedRepositories(withDashboard.database.db);
      const id = (await seedBuild(withDashboard.database.db, { repositoryId: 101, outcomes: ["success"] })).id;
      for (const path of [`/builds/${id}`, "/builds", `/builds/${id}/cells/x/attempts/2`, "/queue", "/"]) {
        const app = await fetch(withDashboard.server.url + path);
        expect(app.status, path).toBe(200);
        expect(await app.text()).toBe("<!doctype html><title>dashboard</title>");
        expect(app.headers.get("cache-control")).toBe("no-cache");
        expect(app.headers.get("content-security-policy")).toContain("script-src 'self'");
      }
      const asset = await fetch(`${withDashboard.server.url}/assets/app-1234.js`);
      expect(asset.headers.get("cache-control")).toContain("immutable");
      const signed = await fetch(
        withDashboard.server.url +
          new URL(buildPageLink(signer, "https://ci.example.com", id)).pathname +
          new URL(buildPageLink(signer, "https://ci.example.com", id)).search,
      );
      expect(await signed.text()).toContain("linux / gcc-12 / c++17 / Release");
    } finally {
      await withDashboard.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("shows a public repository's build to anyone: each cell, its state, and no script", async () => {
    await h.database.db
      .updateTable("cells")
      .set({ name: "linux / <script>alert(1)</script> / c++17" })
      .where("build_id", "=", publicBuild)
      .where("key", "like", "%clang%")
      .execute();
    const response = await page(`/builds/${publicBuild}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain("❌ failed");
    expect(html).toContain("linux / gcc-12 / c++17 / Release");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    // Its log links are signed links to the stored logs.
    expect(html).toMatch(
      /href="https:\/\/ci\.example\.com\/api\/v1\/objects\/logs\/\d+\/linux-gcc-12-cxx17-release\/1\.log\?expires=\d+&amp;signature=/,
    );
  });

  it("shows a private repository's build only to the check run's signed link or a token", async () => {
    expect((await page(`/builds/${privateBuild}`)).status).toBe(403);
    const link = new URL(buildPageLink(signer, "https://ci.example.com", privateBuild));
    expect(link.pathname).toBe(`/builds/${privateBuild}`);
    expect((await page(link.pathname + link.search)).status).toBe(200);
    const tampered = `${link.pathname.replace(privateBuild, publicBuild)}${link.search}`;
    expect((await page(tampered)).status).toBe(200); // public anyway
    const other = `/builds/${privateBuild}${link.search.replace(/signature=[^&]+/, "signature=00")}`;
    expect((await page(other)).status).toBe(403);
    const reader = await h.token(["builds:read"]);
    expect((await page(`/builds/${privateBuild}`, { authorization: `Bearer ${reader}` })).status).toBe(200);
    const libOnly = await h.token(["builds:read"], { repositories: ["octo/lib"] });
    expect((await page(`/builds/${privateBuild}`, { authorization: `Bearer ${libOnly}` })).status).toBe(403);
  });

  it("says there is no such build", async () => {
    const response = await page("/builds/987654");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("There is no build 987654.");
  });
});
