import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import pino from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import {
  errorReply,
  examplePayload,
  type FakeGitHub,
  fakeGitHub,
  sendWebhook,
  signedWebhook,
  testPrivateKey,
} from "./github.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const silent = pino({ level: "silent" });
/**
 * Probot's Octokit without its own throttling and retries. A function, not an
 * object: Probot puts its throttle options over an object's defaults, which
 * would space the writes a second apart again.
 */
const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));

function probot(secret = "s3cret"): Probot {
  return new Probot({ appId: 123, privateKey: testPrivateKey(), secret, log: silent, Octokit: TestOctokit });
}

function tokenOctokit() {
  return new TestOctokit({ auth: { token: "ghs_plain" }, log: silent });
}

let fake: FakeGitHub | undefined;
afterEach(() => {
  fake?.cleanup();
  fake = undefined;
});

describe("signedWebhook", () => {
  it("signs the body so that Probot's webhooks verify it, and only with the right secret", async () => {
    const payload = examplePayload("push");
    const { headers, body } = signedWebhook("s3cret", "push", payload, { deliveryId: "d-1" });
    expect(headers["x-github-event"]).toBe("push");
    expect(headers["x-github-delivery"]).toBe("d-1");
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(body)).toEqual(payload);
    const signature = headers["x-hub-signature-256"] ?? "";
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const [right, wrong] = await Promise.all([probot("s3cret").ready(), probot("other").ready()]);
    expect(await right.webhooks.verify(body, signature)).toBe(true);
    expect(await wrong.webhooks.verify(body, signature)).toBe(false);
    expect(signedWebhook("s3cret", "push", payload).headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("examplePayload", () => {
  it.each([
    ["push", undefined],
    ["pull_request", "opened"],
    ["check_run", "rerequested"],
    ["check_suite", "rerequested"],
    ["check_run", "requested_action"],
  ] as const)("loads GitHub's %s %s example", (name, action) => {
    const payload = examplePayload(name, (p) => action === undefined || ("action" in p && p.action === action));
    expect(payload.repository?.full_name).toMatch(/^[^/]+\/[^/]+$/);
    if (action) expect("action" in payload && payload.action).toBe(action);
    const dotted = action ? examplePayload(`${name}.${action}` as "check_run.rerequested") : undefined;
    if (dotted) expect(dotted).toEqual(payload);
  });

  it("gives a deep copy each time", () => {
    const first = examplePayload("check_run.requested_action");
    first.requested_action = { identifier: "changed" };
    first.check_run.head_sha = SHA;
    const second = examplePayload("check_run.requested_action");
    expect(second.requested_action?.identifier).not.toBe("changed");
    expect(second.check_run.head_sha).not.toBe(SHA);
  });

  it("applies the predicate and names the actions it has when nothing matches", () => {
    const withInstallation = examplePayload("push", (p) => p.installation !== undefined);
    expect(withInstallation.installation?.id).toEqual(expect.any(Number));
    expect(() => examplePayload("check_run", () => false)).toThrow(/actions with examples: .*rerequested/);
    expect(() => examplePayload("check_suite.no_such_action" as "check_suite")).toThrow(
      /no 'check_suite.no_such_action'/,
    );
  });
});

describe("fakeGitHub", () => {
  it("answers GitHub requests from a real Octokit and records them", async () => {
    fake = fakeGitHub().onCreateCheckRun();
    const before = Date.now();
    const { data, status } = await tokenOctokit().rest.checks.create({
      owner: "octo",
      repo: "hello",
      name: "linux / gcc-12 / c++17 / Release",
      head_sha: SHA,
      status: "queued",
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({ id: 1, head_sha: SHA, status: "queued", name: "linux / gcc-12 / c++17 / Release" });
    const [request] = fake.requests({ operation: "checks/create" });
    expect(request).toMatchObject({
      method: "POST",
      path: "/repos/octo/hello/check-runs",
      body: { name: "linux / gcc-12 / c++17 / Release", head_sha: SHA, status: "queued" },
      status: 201,
      errors: [],
      installationId: null,
    });
    expect(request?.time).toBeGreaterThanOrEqual(before);
    expect(request?.headers.authorization).toBe("token ghs_plain");
    fake.done();
  });

  it("answers an invalid body 422 as GitHub would, and makes assertAllValid throw", async () => {
    fake = fakeGitHub().onCreateCheckRun();
    const octokit = tokenOctokit();
    const error = await octokit.rest.checks
      .create({ owner: "o", repo: "r", name: "x", head_sha: SHA, conclusion: "bogus" as "success" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 422 });
    expect(String((error as Error).message)).toMatch(/\/conclusion: must be equal to one of the allowed values/);
    expect(fake.checkRuns().size).toBe(0);
    expect(() => fake?.assertAllValid()).toThrow(
      /GitHub would refuse 1 request\(s\):\nPOST \/repos\/o\/r\/check-runs:\n {2}\/conclusion/,
    );
    expect(() => fake?.done()).toThrow(/would refuse/);
  });

  it("answers an unknown path 404 and counts it invalid", async () => {
    fake = fakeGitHub();
    const error = await tokenOctokit()
      .request("POST /repos/{owner}/{repo}/check-run", { owner: "o", repo: "r", name: "x" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404 });
    expect(() => fake?.assertAllValid()).toThrow(/no such operation/);
  });

  it("issues installation tokens to Probot's App auth, and ties later requests to the installation", async () => {
    fake = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
    const octokit = await probot().auth(42);
    const created = await octokit.rest.checks.create({ owner: "o", repo: "r", name: "cell", head_sha: SHA });
    await octokit.rest.checks.update({
      owner: "o",
      repo: "r",
      check_run_id: created.data.id,
      status: "in_progress",
      output: {
        title: "building",
        summary: "…",
        annotations: [{ path: "a.cpp", start_line: 3, end_line: 3, annotation_level: "warning", message: "w1" }],
      },
    });
    await octokit.rest.checks.update({
      owner: "o",
      repo: "r",
      check_run_id: created.data.id,
      conclusion: "failure",
      output: {
        title: "1 error",
        summary: "failed",
        annotations: [{ path: "a.cpp", start_line: 4, end_line: 4, annotation_level: "failure", message: "e1" }],
      },
    });
    const [token, ...rest] = fake.requests();
    expect(token).toMatchObject({
      method: "POST",
      path: "/app/installations/42/access_tokens",
      status: 201,
      installationId: null,
    });
    expect(token?.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(rest.map((r) => [r.operation, r.installationId, r.status])).toEqual([
      ["checks/create", 42, 201],
      ["checks/update", 42, 200],
      ["checks/update", 42, 200],
    ]);
    const run = fake.checkRuns().get(created.data.id);
    expect(run).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { title: "1 error", summary: "failed" },
    });
    expect(run?.annotations.map((a) => a.message)).toEqual(["w1", "e1"]);
    expect(run?.writes).toHaveLength(3);
    fake.done();
  });

  it("serves repository files as JSON or raw, and 404s", async () => {
    fake = fakeGitHub()
      .onGetContent("o", "r", ".heimdall-build.yml", SHA, "version: 1\nmatrix: {}\n")
      .onGetContent("o", "r", "dir/other.yml", null, "x: 1\n")
      .onGetContent("o", "r", ".heimdall-build.yml", "missing", 404);
    const octokit = tokenOctokit();
    const json = await octokit.rest.repos.getContent({ owner: "o", repo: "r", path: ".heimdall-build.yml", ref: SHA });
    expect(json.data).toMatchObject({ type: "file", encoding: "base64", path: ".heimdall-build.yml" });
    const content = (json.data as { content: string }).content;
    expect(Buffer.from(content, "base64").toString()).toBe("version: 1\nmatrix: {}\n");
    const raw = await octokit.rest.repos.getContent({
      owner: "o",
      repo: "r",
      path: ".heimdall-build.yml",
      ref: SHA,
      mediaType: { format: "raw" },
    });
    expect(raw.data).toBe("version: 1\nmatrix: {}\n");
    const nested = await octokit.rest.repos.getContent({ owner: "o", repo: "r", path: "dir/other.yml" });
    expect(nested.status).toBe(200);
    await expect(
      octokit.rest.repos.getContent({ owner: "o", repo: "r", path: ".heimdall-build.yml", ref: "missing" }),
    ).rejects.toMatchObject({ status: 404 });
    // A ref nothing was registered for is an unanswered request.
    await expect(
      octokit.rest.repos.getContent({ owner: "o", repo: "r", path: ".heimdall-build.yml", ref: "other" }),
    ).rejects.toMatchObject({ status: 404 });
    expect(() => fake?.done()).toThrow(/nothing was registered to answer:\n {2}GET .*ref=other/);
  });

  it("answers collaborator permissions", async () => {
    fake = fakeGitHub()
      .onGetCollaboratorPermission("maintainer", "write")
      .onGetCollaboratorPermission("outsider", "read", { owner: "o", repo: "r" });
    const octokit = tokenOctokit();
    const write = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: "x",
      repo: "y",
      username: "Maintainer",
    });
    expect(write.data).toMatchObject({ permission: "write", role_name: "write", user: { login: "maintainer" } });
    const read = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: "o",
      repo: "r",
      username: "outsider",
    });
    expect(read.data.permission).toBe("read");
    fake.done();
  });

  it("lets a test register its own replies, once or always, latest first", async () => {
    fake = fakeGitHub()
      .reply("GET", /^\/repos\/(?<owner>[^/]+)\/(?<repo>[^/]+)$/, (r) => ({
        body: { full_name: `${r.params.owner}/${r.params.repo}` },
      }))
      .reply(
        "GET",
        "/repos/{owner}/{repo}",
        () => errorReply(403, "You have exceeded a secondary rate limit", { "retry-after": "1" }),
        {
          times: 1,
        },
      );
    const octokit = tokenOctokit();
    const error = await octokit.rest.repos.get({ owner: "o", repo: "r" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, response: { headers: { "retry-after": "1" } } });
    const { data } = await octokit.rest.repos.get({ owner: "o", repo: "r" });
    expect(data.full_name).toBe("o/r");
    expect(fake.requests({ method: "GET", path: "/repos/o/r" }).map((r) => r.status)).toEqual([403, 200]);
    fake.done();
  });

  it("refuses the network beyond localhost while active, and removes its interceptors on cleanup", async () => {
    fake = fakeGitHub();
    await expect(fetch("https://example.com/")).rejects.toThrow();
    expect(nock.activeMocks().length).toBeGreaterThan(0);
    fake.cleanup();
    expect(nock.activeMocks()).toEqual([]);
  });

  it("works under a GitHub Enterprise base URL", async () => {
    fake = fakeGitHub("https://ghe.example.com/api/v3").onCreateCheckRun();
    const octokit = new TestOctokit({ auth: { token: "t" }, baseUrl: "https://ghe.example.com/api/v3", log: silent });
    await octokit.rest.checks.create({ owner: "o", repo: "r", name: "x", head_sha: SHA });
    expect(fake.requests()[0]?.path).toBe("/repos/o/r/check-runs");
    fake.done();
  });
});

describe("sendWebhook", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("delivers a signed event through localhost to a Probot app that writes to the fake GitHub", async () => {
    fake = fakeGitHub().onCreateCheckRun();
    const app = probot("hook-secret");
    const seen: string[] = [];
    const middleware = await createNodeMiddleware(
      (p) => {
        p.on("check_suite.rerequested", async (context) => {
          seen.push(context.id);
          await context.octokit.rest.checks.create(
            context.repo({ name: "heimdall-build / matrix", head_sha: context.payload.check_suite.head_sha }),
          );
        });
      },
      { probot: app },
    );
    server = createServer((req, res) => {
      void middleware(req, res, () => {
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;

    const payload = examplePayload("check_suite.rerequested");
    payload.installation = { id: 77, node_id: "x" };
    payload.check_suite.head_sha = SHA;
    expect(await sendWebhook(url, "hook-secret", "check_suite", payload, { deliveryId: "delivery-1" })).toBe(200);
    expect(seen).toEqual(["delivery-1"]);
    expect(fake.requests({ operation: "checks/create" })).toMatchObject([
      { installationId: 77, body: { head_sha: SHA } },
    ]);
    expect(await sendWebhook(url, "wrong-secret", "check_suite", payload)).toBeGreaterThanOrEqual(400);
    expect(seen).toHaveLength(1);
    fake.done();
  });
});
