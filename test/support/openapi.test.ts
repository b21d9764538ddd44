import { describe, expect, it } from "vitest";
import { findOperation, validateGitHubRequest } from "./openapi.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

function annotation(i: number) {
  return {
    path: "src/a.cpp",
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: "warning",
    message: `warning ${i}`,
  };
}

function validCreate() {
  return {
    name: "linux / gcc-12 / c++17 / Release",
    head_sha: SHA,
    external_id: "linux-gcc-12-cxx17-release#1",
    status: "completed",
    conclusion: "failure",
    started_at: "2026-01-02T03:04:05Z",
    completed_at: new Date().toISOString(),
    details_url: "https://ci.example.com/builds/1",
    output: {
      title: "2 errors, 1 warning",
      summary: "Build failed",
      text: "details",
      annotations: [annotation(0), { ...annotation(1), start_column: 3, end_column: 9, title: "-Wsign-compare" }],
    },
    actions: [{ label: "Re-run", description: "Run this cell again", identifier: "rerun" }],
  };
}

function errorsOf(result: ReturnType<typeof validateGitHubRequest>): string[] {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe("findOperation", () => {
  it("matches paths against GitHub's templates, the most literal one first", () => {
    expect(findOperation("PATCH", "/repos/o/r/check-runs/42")?.template).toBe(
      "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    );
    expect(findOperation("POST", "/repos/o/r/check-runs?x=1")?.operationId).toBe("checks/create");
    expect(findOperation("GET", "/repos/o/r")?.operationId).toBe("repos/get");
    expect(findOperation("POST", "/app/installations/7/access_tokens")?.operationId).toBe(
      "apps/create-installation-access-token",
    );
  });

  it("lets a multi-segment parameter take slashes, encoded or not", () => {
    expect(findOperation("GET", "/repos/o/r/contents/dir/sub/.heimdall-build.yml?ref=abc")?.operationId).toBe(
      "repos/get-content",
    );
    expect(findOperation("GET", "/repos/o/r/contents/dir%2F.heimdall-build.yml")?.operationId).toBe(
      "repos/get-content",
    );
    expect(findOperation("GET", "/repos/o/r/check-runs/1/annotations")?.operationId).toBe("checks/list-annotations");
  });

  it("finds nothing for a path GitHub does not have", () => {
    expect(findOperation("GET", "/repos/o/r/no-such-thing/1/2/3")).toBeUndefined();
    expect(findOperation("PATCH", "/repos/o/r/check-runs")).toBeUndefined();
  });
});

describe("validateGitHubRequest", () => {
  it("accepts a valid create-check-run body", () => {
    expect(validateGitHubRequest("POST", "/repos/octo/hello/check-runs", validCreate())).toEqual({
      ok: true,
      operation: "checks/create (POST /repos/{owner}/{repo}/check-runs)",
    });
  });

  it("accepts a minimal queued check run and an update with 50 annotations", () => {
    expect(validateGitHubRequest("POST", "/repos/o/r/check-runs", { name: "x", head_sha: SHA }).ok).toBe(true);
    const update = {
      output: { title: "t", summary: "s", annotations: Array.from({ length: 50 }, (_, i) => annotation(i)) },
    };
    expect(validateGitHubRequest("PATCH", "/repos/o/r/check-runs/9", update).ok).toBe(true);
  });

  it("refuses a conclusion GitHub does not know, naming the allowed ones", () => {
    const errors = errorsOf(
      validateGitHubRequest("POST", "/repos/o/r/check-runs", { ...validCreate(), conclusion: "bogus" }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/conclusion: must be equal to one of the allowed values: .*"success"/);
  });

  it("refuses a missing head_sha", () => {
    const { head_sha: _, ...body } = validCreate();
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", body))).toEqual([
      "(body): must have required property 'head_sha'",
    ]);
  });

  it("refuses 51 annotations in one request", () => {
    const body = validCreate();
    body.output.annotations = Array.from({ length: 51 }, (_, i) => annotation(i));
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", body))).toEqual([
      "/output/annotations: must NOT have more than 50 items",
    ]);
  });

  it("refuses status completed without a conclusion: the update schema says so, the create rule is GitHub's prose", () => {
    const update = errorsOf(validateGitHubRequest("PATCH", "/repos/o/r/check-runs/3", { status: "completed" }));
    expect(update).toContain("(body): must have required property 'conclusion'");
    const { conclusion: _, ...create } = validCreate();
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", create))).toEqual([
      "(body): conclusion is required when status is 'completed' or completed_at is given",
    ]);
  });

  it("checks the documented limits the schema leaves out", () => {
    const body = validCreate();
    body.output.title = "t".repeat(65536);
    body.output.annotations = [
      { ...annotation(0), message: "" },
      { ...annotation(1), title: "x".repeat(256) },
      { ...annotation(2), end_line: 9, start_column: 1 },
      { ...annotation(3), message: "m".repeat(64 * 1024 + 1) },
    ];
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", body))).toEqual([
      "/output/title: longer than 65535 characters (65536)",
      "/output/annotations/0/message: must not be empty",
      "/output/annotations/1/title: longer than 255 characters",
      "/output/annotations/2: start_column and end_column only when start_line equals end_line",
      "/output/annotations/3/message: larger than 64 KB",
    ]);
  });

  it("refuses a summary or text over 65535 characters (the schema's maxLength) or 65535 bytes (GitHub's 422)", () => {
    const long = { ...validCreate(), output: { title: "t", summary: "s".repeat(65536) } };
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", long))).toEqual([
      "/output/summary: must NOT have more than 65535 characters",
      "/output/summary: summary exceeds a maximum bytesize of 65535 (65536)",
    ]);
    // 30,000 emoji: 30,000 characters for the schema, 120,000 bytes for GitHub.
    const wide = { output: { title: "t", summary: "ok", text: "🔥".repeat(30_000) } };
    expect(errorsOf(validateGitHubRequest("PATCH", "/repos/o/r/check-runs/3", wide))).toEqual([
      "/output/text: text exceeds a maximum bytesize of 65535 (120000)",
    ]);
    expect(
      validateGitHubRequest("PATCH", "/repos/o/r/check-runs/3", { output: { title: "t", summary: "é".repeat(32_767) } })
        .ok,
    ).toBe(true);
  });

  it("refuses an annotation without a message and an unknown level, with their places", () => {
    const body = validCreate();
    body.output.annotations = [{ path: "a", start_line: 1, end_line: 1, annotation_level: "error" } as never];
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-runs", body))).toEqual([
      "/output/annotations/0: must have required property 'message'",
      '/output/annotations/0/annotation_level: must be equal to one of the allowed values: "notice", "warning", "failure"',
    ]);
  });

  it("refuses a wrong type and a bad date", () => {
    const errors = errorsOf(
      validateGitHubRequest("POST", "/repos/o/r/check-runs", {
        ...validCreate(),
        head_sha: 5,
        started_at: "yesterday",
      }),
    );
    expect(errors).toEqual(["/head_sha: must be string", '/started_at: must match format "date-time"']);
  });

  it("refuses a path GitHub does not have", () => {
    expect(errorsOf(validateGitHubRequest("POST", "/repos/o/r/check-run", { name: "x", head_sha: SHA }))).toEqual([
      "POST /repos/o/r/check-run: no such operation in GitHub's REST API (api.github.com)",
    ]);
  });

  it("accepts nullable fields GitHub documents as nullable, and bodyless reads", () => {
    expect(validateGitHubRequest("POST", "/repos/o/r/statuses/abc", { state: "success", description: null }).ok).toBe(
      true,
    );
    expect(validateGitHubRequest("GET", "/repos/o/r/contents/a.yml?ref=main", undefined).ok).toBe(true);
    expect(validateGitHubRequest("POST", "/app/installations/3/access_tokens", undefined).ok).toBe(true);
  });

  it("refuses a body for an operation that takes none", () => {
    expect(errorsOf(validateGitHubRequest("GET", "/repos/o/r", { a: 1 }))).toEqual([
      '(body): repos/get takes no request body, got {"a":1}',
    ]);
  });
});
