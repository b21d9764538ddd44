/**
 * /api/v1/tokens against the real server: an admin makes a token (shown once,
 * working at once), lists them (never the token), revokes one (refused from
 * then on, on this server as soon as the revocation is heard); others get 403.
 */
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";

let h: ApiHarness;
let admin: string;

beforeAll(async () => {
  h = await startApiHarness();
  admin = await h.token(["admin"]);
  if (!h.server.tokens.listening) await once(h.server.tokens, "listening");
});
afterAll(async () => {
  await h?.close();
});

describe("/api/v1/tokens", () => {
  it("an admin makes a token that works at once, lists it without the token, and revokes it", async () => {
    const made = await h.api("POST", "/api/v1/tokens", {
      token: admin,
      body: { name: "ci", scopes: ["builds:read"], repositories: ["Octo/Lib"], expires: "2w" },
    });
    expect(made.status, made.text).toBe(201);
    const token = made.body as {
      id: string;
      token: string;
      prefix: string;
      repositories: string[];
      expires_at: string;
    };
    expect(token.token).toMatch(/^hbt_[\w-]{43}$/);
    expect(token.token.startsWith(token.prefix)).toBe(true);
    expect(token.repositories).toEqual(["octo/lib"]);
    expect((await h.api("GET", "/api/v1/builds", { token: token.token })).status).toBe(200);
    expect((await h.api("GET", "/api/v1/tokens", { token: token.token })).status).toBe(403);

    const listed = await h.api("GET", "/api/v1/tokens", { token: admin });
    expect(listed.text).not.toContain(token.token);
    expect((listed.body as { tokens: { name: string }[] }).tokens.map((t) => t.name)).toContain("ci");

    const forgotten = once(h.server.tokens, "forgot");
    const revoked = await h.api("DELETE", `/api/v1/tokens/${token.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect((revoked.body as { revoked_at: string | null }).revoked_at).not.toBeNull();
    await forgotten;
    expect((await h.api("GET", "/api/v1/builds", { token: token.token })).body).toMatchObject({
      error: { code: "unauthorized", message: "this token was revoked" },
    });
    expect((await h.api("DELETE", "/api/v1/tokens/999999", { token: admin })).status).toBe(404);
    const audit = await h.database.db.selectFrom("api_audit").select(["route", "status"]).execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { route: "/api/v1/tokens", status: 201 },
        { route: "/api/v1/tokens/:id", status: 200 },
      ]),
    );
  });

  it("a bad request says where", async () => {
    const bad = await h.api("POST", "/api/v1/tokens", {
      token: admin,
      body: { name: "has space", scopes: ["builds:fly"] },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("name");
    expect(JSON.stringify(bad.body)).toContain("scopes");
  });
});
