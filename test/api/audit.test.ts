/** The audit trail: every call that changes something, refused or not, is written before its answer leaves; reads are not. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";

let h: ApiHarness;
const now = new Date("2026-12-02T09:30:00Z");

beforeAll(async () => {
  h = await startApiHarness({ now: () => now });
});
afterAll(async () => {
  await h?.close();
});

const audit = () =>
  h.database.db
    .selectFrom("api_audit")
    .select(["token_name", "method", "route", "target", "status", "at"])
    .orderBy("id")
    .execute();

describe("api_audit", () => {
  it("holds who changed what and how it ended, for each mutating call; reads leave nothing", async () => {
    const writer = await h.token(["configurations:write", "builds:read"]);
    const reader = await h.token(["builds:read"]);
    const document = "version: 1\nmatrix:\n  compiler: [gcc@12]\n";
    expect(
      (await h.api("POST", "/api/v1/configurations", { token: writer, body: { name: "org", document } })).status,
    ).toBe(201);
    expect((await h.api("PUT", "/api/v1/configurations/org", { token: writer, body: { document } })).status).toBe(200);
    expect((await h.api("GET", "/api/v1/configurations/org", { token: reader })).status).toBe(200);
    expect((await h.api("DELETE", "/api/v1/configurations/org", { token: reader })).status).toBe(403);
    expect((await h.api("DELETE", "/api/v1/configurations/org", { token: null })).status).toBe(401);
    expect((await h.api("DELETE", "/api/v1/configurations/org", { token: writer })).status).toBe(204);
    const rows = await audit();
    const writerName = rows[0]?.token_name ?? "";
    expect(writerName).toMatch(/^test-hbt_/);
    expect(rows.map((r) => [r.method, r.route, r.target, r.status])).toEqual([
      ["POST", "/api/v1/configurations", null, 201],
      ["PUT", "/api/v1/configurations/:name", '{"name":"org"}', 200],
      ["DELETE", "/api/v1/configurations/:name", '{"name":"org"}', 403],
      ["DELETE", "/api/v1/configurations/:name", '{"name":"org"}', 401],
      ["DELETE", "/api/v1/configurations/:name", '{"name":"org"}', 204],
    ]);
    expect(rows.map((r) => r.token_name)).toEqual([
      writerName,
      writerName,
      expect.not.stringMatching(writerName),
      "(no valid token)",
      writerName,
    ]);
    expect(rows.every((r) => r.at.getTime() === now.getTime())).toBe(true);
  });
});
