/** GET /api/v1/builds/{id}/cells/{cell}/report: an attempt's summary and annotations, each linked to its lines. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveAnnotations } from "../../src/db/annotations.ts";
import { latestAttempts } from "../../src/db/store.ts";
import type { Annotation } from "../../src/report/annotations.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { seedBuild, seedRepositories } from "../support/api-seed.ts";

let h: ApiHarness;
let build: { id: string; sha: string };
let cellKey: string;

const annotation = (
  path: string,
  line: number,
  level: Annotation["annotation_level"],
  message: string,
): Annotation => ({
  path,
  start_line: line,
  end_line: line,
  start_column: 5,
  end_column: 5,
  annotation_level: level,
  title: `gcc-12: ${level}`,
  message,
  raw_details: "",
  code: level === "warning" ? "-Wunused-variable" : null,
  tool: "gcc",
  fingerprint: `${path}:${line}:${message}`,
});

beforeAll(async () => {
  h = await startApiHarness({ githubUrl: "https://github.example" });
  await seedRepositories(h.database.db);
  build = await seedBuild(h.database.db, { outcomes: ["failure"] });
  const [first] = await latestAttempts(h.database.db, build.id);
  if (!first) throw new Error("no cell");
  cellKey = first.cell.key;
  await h.database.db
    .updateTable("attempts")
    .set({ summary: "## Failed tests\n\n- `parser.rejects_tabs`\n\n```\nexpected 1, got 2\n```" })
    .where("id", "=", first.attempt.id)
    .execute();
  await saveAnnotations(h.database.db, first.attempt.id, [
    annotation("src/a b.cpp", 12, "warning", "unused variable 'x'"),
    annotation("include/lib.hpp", 3, "failure", "expected ';'"),
  ]);
});
afterAll(async () => {
  await h?.close();
});

describe("GET /api/v1/builds/{id}/cells/{cell}/report", () => {
  it("the latest attempt's summary and its annotations, failures first, each linked to its lines at the commit", async () => {
    const token = await h.token(["builds:read"]);
    const answer = await h.api("GET", `/api/v1/builds/${build.id}/cells/${cellKey}/report`, { token });
    expect(answer.status, answer.text).toBe(200);
    const body = answer.body as {
      attempt: number;
      summary: string;
      annotations: { path: string; level: string; url: string; code: string | null }[];
    };
    expect(body.attempt).toBe(1);
    expect(body.summary).toContain("expected 1, got 2");
    expect(body.annotations.map((a) => [a.path, a.level, a.code])).toEqual([
      ["include/lib.hpp", "failure", null],
      ["src/a b.cpp", "warning", "-Wunused-variable"],
    ]);
    expect(body.annotations[1]?.url).toBe(`https://github.example/octo/lib/blob/${build.sha}/src/a%20b.cpp#L12`);
    expect((await h.api("GET", `/api/v1/builds/${build.id}/cells/nope/report`, { token })).status).toBe(404);
    expect((await h.api("GET", `/api/v1/builds/${build.id}/cells/${cellKey}/report?attempt=2`, { token })).status).toBe(
      404,
    );
    const other = await h.token(["builds:read"], { repositories: ["octo/other"] });
    expect((await h.api("GET", `/api/v1/builds/${build.id}/cells/${cellKey}/report`, { token: other })).status).toBe(
      403,
    );
  });
});
