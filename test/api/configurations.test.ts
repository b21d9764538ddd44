/**
 * The stored configurations' routes against the real server (PostgreSQL,
 * Redis), every answer checked against the OpenAPI document it serves.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ONE_LEVEL } from "../../src/config/extends.ts";
import { LIMITS } from "../../src/config/limits.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";

const DOCUMENT = "version: 1\nmatrix:\n  compiler: [gcc@12]\n";
const SECOND = "version: 1\nmatrix:\n  compiler: [gcc@13]\n";

let harness: ApiHarness;
let writer: string;
let reader: string;

/** The token's name, as `created_by` says it (the harness names a token after its prefix). */
const nameOf = (token: string) => `test-${token.slice(0, 10)}`;

beforeAll(async () => {
  harness = await startApiHarness();
  writer = await harness.token(["configurations:write"]);
  reader = await harness.token(["builds:read"]);
});

afterAll(async () => {
  await harness?.close();
});

const api = (method: string, path: string, token: string | null, body?: unknown) =>
  harness.api(method, path, { token, ...(body === undefined ? {} : { body }) });

describe("POST /configurations", () => {
  test("stores version 1, written by the token's name; the same name again is a conflict", async () => {
    const made = await api("POST", "/api/v1/configurations", writer, { name: "org-defaults", document: DOCUMENT });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: "org-defaults",
      version: 1,
      latest_version: 1,
      document: DOCUMENT,
      created_by: nameOf(writer),
      deleted_at: null,
      versions: [{ version: 1, created_by: nameOf(writer) }],
    });
    const again = await api("POST", "/api/v1/configurations", writer, { name: "org-defaults", document: SECOND });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "conflict" } });
    const kept = await api("GET", "/api/v1/configurations/org-defaults", reader);
    expect(kept.body).toMatchObject({ version: 1, document: DOCUMENT });
  });

  test("a broken document is 422 with each problem where it is, and nothing is stored", async () => {
    const broken = "version: 1\nmatrix:\n  compiler: [gcc@12]\n  cxx_standrd: [17]\ntimeout_minutes: 0\n";
    const refused = await api("POST", "/api/v1/configurations", writer, { name: "broken", document: broken });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      error: {
        code: "invalid_configuration",
        message: expect.stringMatching(
          /^the document is not a valid \.heimdall-build\.yml: configurations\/broken:4:3: /,
        ),
        details: {
          problems: [
            {
              file: "configurations/broken",
              line: 4,
              column: 3,
              path: "matrix.cxx_standrd",
              severity: "error",
              message: "unknown key 'cxx_standrd'; did you mean 'cxx_standard'?",
            },
            {
              file: "configurations/broken",
              line: 5,
              column: 18,
              path: "timeout_minutes",
              severity: "error",
              message: "must be at least 1; got 0",
            },
          ],
        },
      },
    });
    expect((await api("GET", "/api/v1/configurations/broken", reader)).status).toBe(404);
  });

  test("a document that itself extends is 422 at its extends: one level", async () => {
    const refused = await api("POST", "/api/v1/configurations", writer, {
      name: "chained",
      document: `${DOCUMENT}extends: org-defaults\n`,
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      error: {
        details: {
          problems: [{ file: "configurations/chained", line: 4, column: 10, path: "extends", message: ONE_LEVEL }],
        },
      },
    });
  });

  test("a document larger than a .heimdall-build.yml may be is 413", async () => {
    const large = `${DOCUMENT}# ${"x".repeat(LIMITS.fileBytes)}\n`;
    const refused = await api("POST", "/api/v1/configurations", writer, { name: "large", document: large });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: { code: "payload_too_large" } });
  });

  test("a name no configuration can have is 400, in the body or the path", async () => {
    for (const name of ["Org", "../etc", "-x", "a".repeat(64), ""]) {
      const refused = await api("POST", "/api/v1/configurations", writer, { name, document: DOCUMENT });
      expect(refused.status, name).toBe(400);
      expect(refused.body).toMatchObject({
        error: { code: "invalid_request", details: { issues: [{ in: "body", path: "name" }] } },
      });
    }
    const path = await api("GET", "/api/v1/configurations/Org_Defaults", reader);
    expect(path.status).toBe(400);
    expect((await api("PUT", "/api/v1/configurations/a..%20b", writer, { document: DOCUMENT })).status).toBe(400);
  });
});

describe("scopes", () => {
  test("no token is 401; reading needs builds:read, writing configurations:write (403); a token limited to repositories may not write", async () => {
    expect((await api("GET", "/api/v1/configurations", null)).status).toBe(401);
    expect((await api("POST", "/api/v1/configurations", null, { name: "x", document: DOCUMENT })).status).toBe(401);
    const builds = await harness.token(["builds:write"]);
    const post = await api("POST", "/api/v1/configurations", builds, { name: "x", document: DOCUMENT });
    expect(post.status).toBe(403);
    expect(post.body).toMatchObject({ error: { code: "forbidden", details: { required: "configurations:write" } } });
    expect((await api("PUT", "/api/v1/configurations/x", reader, { document: DOCUMENT })).status).toBe(403);
    expect((await api("DELETE", "/api/v1/configurations/x", reader)).status).toBe(403);
    expect((await api("GET", "/api/v1/configurations", writer)).status).toBe(403);
    const limited = await harness.token(["configurations:write"], { repositories: ["octo/lib"] });
    const refused = await api("PUT", "/api/v1/configurations/x", limited, { document: DOCUMENT });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { message: expect.stringContaining("limited to some repositories") } });
    expect((await api("GET", "/api/v1/configurations/x", reader)).status).toBe(404);
  });
});

describe("versions", () => {
  test("PUT makes the name (201), then adds versions (200); every version is kept and read by ?version=N", async () => {
    const first = await api("PUT", "/api/v1/configurations/team.c-libs", writer, { document: DOCUMENT });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ version: 1 });
    const second = await api("PUT", "/api/v1/configurations/team.c-libs", writer, { document: SECOND });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ version: 2, latest_version: 2, document: SECOND });

    const latest = await api("GET", "/api/v1/configurations/team.c-libs", reader);
    expect(latest.body).toMatchObject({ version: 2, document: SECOND, versions: [{ version: 2 }, { version: 1 }] });
    const old = await api("GET", "/api/v1/configurations/team.c-libs?version=1", reader);
    expect(old.body).toMatchObject({ version: 1, latest_version: 2, document: DOCUMENT });
    const none = await api("GET", "/api/v1/configurations/team.c-libs?version=3", reader);
    expect(none.status).toBe(404);
    expect((await api("GET", "/api/v1/configurations/team.c-libs?version=0", reader)).status).toBe(400);

    const list = await api("GET", "/api/v1/configurations", reader);
    expect((list.body as { configurations: unknown[] }).configurations).toContainEqual({
      name: "team.c-libs",
      version: 2,
      updated_at: expect.any(String),
      updated_by: nameOf(writer),
    });
  });

  test("DELETE hides the name and keeps its versions; the name written again goes on after its last version", async () => {
    await api("POST", "/api/v1/configurations", writer, { name: "gone", document: DOCUMENT });
    await api("PUT", "/api/v1/configurations/gone", writer, { document: SECOND });
    expect((await api("DELETE", "/api/v1/configurations/gone", writer)).status).toBe(204);

    const latest = await api("GET", "/api/v1/configurations/gone", reader);
    expect(latest.status).toBe(404);
    expect(latest.body).toMatchObject({
      error: { message: "configuration gone was deleted; its versions 1-2 are kept (?version=N)" },
    });
    const kept = await api("GET", "/api/v1/configurations/gone?version=1", reader);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ version: 1, document: DOCUMENT, deleted_at: expect.any(String) });
    const list = await api("GET", "/api/v1/configurations", reader);
    expect((list.body as { configurations: { name: string }[] }).configurations.map((c) => c.name)).not.toContain(
      "gone",
    );
    expect((await api("DELETE", "/api/v1/configurations/gone", writer)).status).toBe(404);
    expect((await api("DELETE", "/api/v1/configurations/never-was", writer)).status).toBe(404);

    const again = await api("POST", "/api/v1/configurations", writer, { name: "gone", document: DOCUMENT });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({
      version: 3,
      deleted_at: null,
      versions: [{ version: 3 }, { version: 2 }, { version: 1 }],
    });
  });
});
