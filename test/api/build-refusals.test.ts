/**
 * POST /api/v1/builds refused: who may not (401, 403), what is not there (404,
 * 422 for a missing or broken configuration with its problems' places, an
 * unknown commit) and what is not a request (400), each audited.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiBuilds, startApiBuilds } from "../support/api-builds.ts";
import { sha } from "../support/app-harness.ts";

let t: ApiBuilds;
let writer: { token: string; name: string };

interface Refusal {
  error: { code: string; message: string; details?: { problems?: unknown[]; issues?: unknown[] } };
}

beforeAll(async () => {
  t = await startApiBuilds();
  writer = await t.token(["builds:write"]);
});

afterAll(async () => {
  await t?.close();
});

const CELL = { platform: "linux", compiler: "gcc", version: 12, cxx_standard: 17, build_type: "Release" };

async function refused(body: unknown, token: string | null = writer.token) {
  const answer = await t.harness.api("POST", "/api/v1/builds", { token, body });
  return { status: answer.status, ...(answer.body as Refusal).error };
}

test("who may not: no token 401, a token without builds:write 403, one for another repository 403; each audited", async () => {
  const head = sha(201);
  t.commit(head, "version: 1\nmatrix:\n  compiler: [gcc@12]\n");
  const body = { repository: "octo/lib", commit: head };
  const before = (await t.audit()).length;
  expect(await refused(body, null)).toMatchObject({ status: 401, code: "unauthorized" });
  const reader = await t.token(["builds:read"]);
  expect(await refused(body, reader.token)).toMatchObject({ status: 403, code: "forbidden" });
  const other = await t.token(["builds:write"], ["octo/other"]);
  expect(await refused(body, other.token)).toMatchObject({
    status: 403,
    code: "forbidden",
    message: "this token is not allowed on octo/lib",
  });
  // Refused before GitHub is asked anything about the commit.
  expect(t.github.requests({ operation: "repos/get-commit" })).toHaveLength(0);
  const rows = (await t.audit()).slice(before);
  expect(rows).toEqual([
    { token_name: "(no valid token)", method: "POST", route: "/api/v1/builds", target: null, status: 401 },
    { token_name: reader.name, method: "POST", route: "/api/v1/builds", target: null, status: 403 },
    { token_name: other.name, method: "POST", route: "/api/v1/builds", target: null, status: 403 },
  ]);
});

test("a repository no installation gives: 404 saying it is not installed", async () => {
  const answer = await refused({ repository: "octo/elsewhere", commit: sha(202) });
  expect(answer).toMatchObject({ status: 404, code: "not_found" });
  expect(answer.message).toContain("octo/elsewhere is not installed");
});

test("a commit GitHub does not know: 422 saying so", async () => {
  const answer = await refused({ repository: "octo/lib", commit: sha(203) });
  expect(answer).toMatchObject({ status: 422, code: "unknown_commit" });
  expect(answer.message).toBe(`octo/lib has no commit ${sha(203)} that GitHub knows of`);
  expect(t.github.requests({ operation: "repos/get-commit" }).at(-1)?.status).toBe(422);
});

test("no .heimdall-build.yml at the commit and no configurations: 422 saying so", async () => {
  const head = sha(204);
  t.commit(head, 404);
  const answer = await refused({ repository: "octo/lib", commit: head });
  expect(answer).toMatchObject({ status: 422, code: "invalid_configuration" });
  expect(answer.message).toContain(`octo/lib has no .heimdall-build.yml at ${head.slice(0, 7)}`);
});

test("a broken .heimdall-build.yml: 422 with each problem's file, line, column and path; nothing built", async () => {
  const head = sha(205);
  t.commit(head, "version: 1\nmatrix:\n  compiler: [gcc@6]\n  cxx_standrd: [17]\n");
  const answer = await refused({ repository: "octo/lib", commit: head });
  expect(answer).toMatchObject({ status: 422, code: "invalid_configuration" });
  expect(answer.details?.problems).toEqual([
    expect.objectContaining({ file: ".heimdall-build.yml", line: 3, column: 14, path: "matrix.compiler[0]" }),
    expect.objectContaining({ file: ".heimdall-build.yml", line: 4, column: 3, path: "matrix.cxx_standrd" }),
  ]);
  expect(JSON.stringify(answer.details)).toContain("did you mean 'cxx_standard'");
  const builds = await t.harness.database.db.selectFrom("builds").select("id").where("head_sha", "=", head).execute();
  expect(builds).toEqual([]);
});

test("a cell the catalog does not have: 422 pointing at the request's cell, not at a line", async () => {
  const head = sha(206);
  t.commit(head, 404);
  const answer = await refused({
    repository: "octo/lib",
    commit: head,
    configurations: [CELL, { ...CELL, version: 99, llvm_version: 3 }],
  });
  expect(answer).toMatchObject({ status: 422, code: "invalid_configuration" });
  expect(answer.details?.problems).toContainEqual(
    expect.objectContaining({ file: "request body", line: null, column: null, path: "configurations[1].compiler" }),
  );
  // The same cell twice is one cell asked for twice.
  const twice = await refused({ repository: "octo/lib", commit: head, configurations: [CELL, CELL] });
  expect(twice.details?.problems).toEqual([
    expect.objectContaining({ path: "configurations[1]", message: expect.stringContaining("a second time") }),
  ]);
});

test("a stored configuration this server does not know: 404", async () => {
  const head = sha(207);
  t.commit(head, 404);
  const answer = await refused({ repository: "octo/lib", commit: head, configurations: "nightly" });
  expect(answer).toMatchObject({ status: 404, code: "not_found", message: "no stored configuration named 'nightly'" });
});

test("not a request: 400 with where", async () => {
  const bad = [
    { repository: "octo/lib", commit: "abc" },
    { repository: "lib", commit: sha(208) },
    { repository: "octo/lib", commit: sha(208), ref: "refs/tags/v1" },
    { repository: "octo/lib", commit: sha(208), configurations: [] },
    { repository: "octo/lib", commit: sha(208), configurations: [{ ...CELL, compiler: "icc" }] },
    { repository: "octo/lib", commit: sha(208), configurations: [{ ...CELL, sanitizer: true }] },
    { repository: "octo/lib", commit: sha(208), extra: 1 },
  ];
  for (const body of bad) {
    const answer = await refused(body);
    expect(answer, JSON.stringify(body)).toMatchObject({ status: 400, code: "invalid_request" });
    expect(answer.details?.issues?.length, JSON.stringify(body)).toBeGreaterThan(0);
  }
  expect(t.github.requests({ operation: "repos/get-commit", path: new RegExp(sha(208)) })).toHaveLength(0);
});
