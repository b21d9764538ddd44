/**
 * GitHub for tests: a fake REST API (nock) that checks every request against
 * GitHub's OpenAPI description, signed webhooks, GitHub's own example payloads,
 * and an RSA key for the App's authentication.
 */
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import nock from "nock";
import type { Context } from "probot";
import type { DeliveryOutcome } from "../../src/github/webhook-inbox.ts";
import { findOperation, validateGitHubRequest } from "./openapi.ts";

// ---------------------------------------------------------------------------
// App key

let privateKey: { privateKey: string; publicKey: string } | undefined;

/** A fresh RSA private key (PKCS#1 PEM, as GitHub hands them out) for Probot's App authentication; one per test process. */
export function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey.privateKey;
}

/** The public half of {@link testPrivateKey}, to check the App's JWTs. */
export function testPublicKey(): string {
  testPrivateKey();
  return (privateKey as { publicKey: string }).publicKey;
}

// ---------------------------------------------------------------------------
// Webhooks

export type WebhookEventName = Context["name"];
/** The payload type of an event name: `"push"`, `"check_run"` or `"check_run.rerequested"`. */
export type WebhookPayload<E extends WebhookEventName> = Context<E>["payload"];

export interface SignedWebhook {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A webhook delivery as GitHub sends it: the JSON body and its headers, signed with `secret` (HMAC-SHA256). */
export function signedWebhook(
  secret: string,
  event: string,
  payload: unknown,
  options: { deliveryId?: string } = {},
): SignedWebhook {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/heimdall-build-test",
      "x-github-event": event,
      "x-github-delivery": options.deliveryId ?? randomUUID(),
      "x-hub-signature-256": signature,
    },
  };
}

/** POSTs a signed delivery to `url` (the app's webhook endpoint) and returns the response's status. */
/** Where a test server's inbox is, by its webhook URL's origin (app-harness registers each server). */
const inboxes = new Map<string, { nextOutcome(delivery: string): Promise<DeliveryOutcome> }>();

export function registerInbox(serverUrl: string, inbox: { nextOutcome(delivery: string): Promise<DeliveryOutcome> }) {
  inboxes.set(new URL(serverUrl).origin, inbox);
}

export function unregisterInbox(serverUrl: string): void {
  inboxes.delete(new URL(serverUrl).origin);
}

/**
 * Delivers a signed event as GitHub does and, when the server is a test
 * server (its inbox registered) and kept the delivery (202), waits until its
 * first try is done: what the delivery makes is made by then. The outcome
 * says how that try went.
 */
export async function deliverWebhook(
  url: string,
  secret: string,
  event: string,
  payload: unknown,
  options: { deliveryId?: string } = {},
): Promise<{ status: number; outcome: DeliveryOutcome | null }> {
  const deliveryId = options.deliveryId ?? randomUUID();
  const { headers, body } = signedWebhook(secret, event, payload, { deliveryId });
  const inbox = inboxes.get(new URL(url).origin);
  const outcome = inbox?.nextOutcome(deliveryId);
  const response = await fetch(url, { method: "POST", headers, body });
  await response.arrayBuffer();
  return { status: response.status, outcome: response.status === 202 && outcome ? await outcome : null };
}

/**
 * The status a delivery was answered with, after its first try (deliverWebhook);
 * a try that failed makes it 500, as when the server answered after handling.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  event: string,
  payload: unknown,
  options: { deliveryId?: string } = {},
): Promise<number> {
  const { status, outcome } = await deliverWebhook(url, secret, event, payload, options);
  return outcome && !outcome.handled ? 500 : status;
}

interface WebhookDefinition {
  readonly name: string;
  readonly examples: readonly Record<string, unknown>[];
}

let examples: readonly WebhookDefinition[] | undefined;

/**
 * A deep copy of the first of GitHub's example payloads (`@octokit/webhooks-examples`)
 * for `event` that satisfies `predicate`. `event` is a name (`pull_request`) or a
 * name and action (`pull_request.opened`). Adjust the copy freely.
 */
export function examplePayload<E extends WebhookEventName>(
  event: E,
  predicate: (payload: WebhookPayload<E>) => boolean = () => true,
): WebhookPayload<E> {
  if (!examples) {
    const require = createRequire(import.meta.url);
    examples = JSON.parse(readFileSync(require.resolve("@octokit/webhooks-examples"), "utf8")) as WebhookDefinition[];
  }
  const [name, action] = event.split(".");
  const definition = examples.find((d) => d.name === name);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no '${name}' event`);
  const found = definition.examples.find(
    (example) =>
      (action === undefined || example.action === action) && predicate(structuredClone(example) as WebhookPayload<E>),
  );
  if (!found) {
    const actions = [...new Set(definition.examples.map((e) => e.action).filter((a) => a !== undefined))];
    throw new Error(
      `no '${event}' example matches${actions.length > 0 ? ` (actions with examples: ${actions.join(", ")})` : ""}`,
    );
  }
  return structuredClone(found) as WebhookPayload<E>;
}

// ---------------------------------------------------------------------------
// Fake REST API

/** A request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** Decoded path below the base URL, without the query: `/repos/o/r/contents/dir/file.yml`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly url: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON; the text when it is not JSON; undefined without a body. */
  readonly body: unknown;
  /** When it arrived, by the fake's clock (`Date.now()` unless the test gave one). */
  readonly time: number;
  /** GitHub's operationId (`checks/create`), when the path is one of GitHub's. */
  readonly operation: string | undefined;
  /** The installation whose token (issued by this fake) authenticated the request. */
  readonly installationId: number | null;
  /** Why GitHub would refuse it (empty when valid). */
  readonly errors: readonly string[];
  /** The status the fake answered. */
  readonly status: number;
}

export interface FakeRequest extends RecordedRequest {
  /** `{name}` parameters of a string route, or the named groups of a RegExp route. */
  readonly params: Readonly<Record<string, string>>;
}

export interface FakeReply {
  /** Default 200. */
  readonly status?: number;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export type RequestFilter =
  | ((request: RecordedRequest) => boolean)
  | {
      readonly method?: string;
      /** Exact path, or a RegExp tested against it. */
      readonly path?: string | RegExp;
      readonly operation?: string;
      readonly installationId?: number;
    };

/** A check run as the fake keeps it: created, updated, annotations appended. */
export interface FakeCheckRun {
  readonly id: number;
  readonly owner: string;
  readonly repo: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  details_url: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Record<string, unknown>[];
  actions: Record<string, unknown>[];
  /** The bodies of the create and update requests, in order. */
  readonly writes: Record<string, unknown>[];
}

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface FakeGitHub {
  readonly baseUrl: string;
  /** Answers `method` requests whose path matches: a string with `{param}` placeholders, or a RegExp (named groups become params). The latest matching route answers; with `times`, a route answers that often and then gives way. */
  reply(method: string, path: string | RegExp, handler: FakeHandler, options?: { times?: number }): FakeGitHub;
  /** `POST /repos/{owner}/{repo}/check-runs`: the handler's return value is the 201 body (default: the stored check run). */
  onCreateCheckRun(handler?: (body: Record<string, unknown>, request: FakeRequest) => unknown): FakeGitHub;
  /** `PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}`: the handler's return value is the 200 body (default: the stored check run, 404 when unknown). */
  onUpdateCheckRun(handler?: (body: Record<string, unknown>, request: FakeRequest) => unknown): FakeGitHub;
  /** `GET /repos/{owner}/{repo}/contents/{path}` at `ref` (null: any ref, or none): the file (JSON or raw media type), or 404. */
  onGetContent(owner: string, repo: string, path: string, ref: string | null, content: string | 404): FakeGitHub;
  /** `GET /repos/{owner}/{repo}/collaborators/{user}/permission`, for any repository unless one is given. */
  onGetCollaboratorPermission(
    user: string,
    permission: Permission,
    repository?: { owner: string; repo: string },
  ): FakeGitHub;
  /** Every request so far (token requests included), oldest first. */
  requests(filter?: RequestFilter): RecordedRequest[];
  /** Check runs created through {@link onCreateCheckRun}'s default handler or seen by it, by id. */
  checkRuns(): ReadonlyMap<number, FakeCheckRun>;
  /** Throws when any request was one GitHub would refuse (the fake answered it 422 or 404). */
  assertAllValid(): void;
  /** Throws when any request was invalid or had no route. */
  done(): void;
  /** Removes the fake's interceptors; the last fake to go lets the network through again. */
  cleanup(): void;
}

let activeFakes = 0;

const LOCAL_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\]|::1)(?::\d+)?$/;

/**
 * Intercepts GitHub's REST API at `baseUrl` for a test. Every request is checked
 * with {@link validateGitHubRequest}: an invalid one is answered 422 (404 for an
 * unknown path) as GitHub would and makes {@link FakeGitHub.assertAllValid} throw.
 * Installation tokens are issued for any installation. Other hosts than
 * localhost are refused while a fake is active. `now` stamps the requests'
 * `time` (a test's clock, to compare with the GitHub writer's decisions).
 */
export function fakeGitHub(baseUrl = "https://api.github.com", options: { now?: () => number } = {}): FakeGitHub {
  return new Fake(baseUrl, options.now ?? Date.now);
}

interface Route {
  readonly method: string;
  readonly match: (path: string) => Record<string, string> | null;
  readonly handler: FakeHandler;
  remaining: number;
}

type MutableRequest = { -readonly [K in keyof FakeRequest]: FakeRequest[K] };

class Fake implements FakeGitHub {
  readonly baseUrl: string;
  readonly #basePath: string;
  readonly #routes: Route[] = [];
  readonly #recorded: MutableRequest[] = [];
  readonly #unhandled: string[] = [];
  readonly #tokens = new Map<string, number>();
  readonly #checkRuns = new Map<number, FakeCheckRun>();
  readonly #interceptors: nock.Interceptor[] = [];
  #nextTokenId = 1;
  #nextCheckRunId = 1;
  #active = true;
  readonly #now: () => number;

  constructor(baseUrl: string, now: () => number) {
    this.#now = now;
    const url = new URL(baseUrl);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#basePath = url.pathname.replace(/\/+$/, "");
    const scope = nock(url.origin).persist();
    const escaped = this.#basePath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pathPattern = new RegExp(`^${escaped}(?:/|\\?|$)`);
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"]) {
      const interceptor = scope.intercept(pathPattern, method);
      // nock 15 calls a one-argument reply function with the fetch Request.
      interceptor.reply((request: Request) => this.#answer(request));
      this.#interceptors.push(interceptor);
    }
    if (activeFakes++ === 0) {
      nock.disableNetConnect();
      nock.enableNetConnect((host: string) => LOCAL_HOST.test(host));
    }
    this.reply("POST", "/app/installations/{installation_id}/access_tokens", (request) => {
      const installationId = Number(request.params.installation_id);
      const token = `ghs_fake${installationId}x${this.#nextTokenId++}`;
      this.#tokens.set(token, installationId);
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
          permissions: {
            checks: "write",
            contents: "read",
            metadata: "read",
            pull_requests: "read",
            statuses: "write",
          },
          repository_selection: "all",
        },
      };
    });
  }

  reply(method: string, path: string | RegExp, handler: FakeHandler, options: { times?: number } = {}): this {
    this.#routes.push({
      method: method.toUpperCase(),
      match: typeof path === "string" ? templateMatcher(path) : regExpMatcher(path),
      handler,
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
    return this;
  }

  onCreateCheckRun(handler?: (body: Record<string, unknown>, request: FakeRequest) => unknown): this {
    return this.reply("POST", "/repos/{owner}/{repo}/check-runs", async (request) => {
      const body = asRecord(request.body);
      const reply = handler ? await handler(body, request) : undefined;
      const replied = asRecord(reply);
      const id = typeof replied.id === "number" ? replied.id : this.#nextCheckRunId++;
      const run = this.#storeCreated(id, request.params.owner ?? "", request.params.repo ?? "", body);
      return { status: 201, body: handler ? reply : this.#view(run) };
    });
  }

  onUpdateCheckRun(handler?: (body: Record<string, unknown>, request: FakeRequest) => unknown): this {
    return this.reply("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", async (request) => {
      const body = asRecord(request.body);
      const id = Number(request.params.check_run_id);
      const run = this.#checkRuns.get(id);
      if (run) applyCheckRunWrite(run, body);
      if (handler) return { status: 200, body: await handler(body, request) };
      if (!run) return errorReply(404, "Not Found");
      return { status: 200, body: this.#view(run) };
    });
  }

  onGetContent(owner: string, repo: string, path: string, ref: string | null, content: string | 404): this {
    const wanted = `/repos/${owner}/${repo}/contents/${path.replace(/^\/+/, "")}`;
    return this.reply("GET", /^\/repos\/[^/]+\/[^/]+\/contents\/.+$/, (request) => {
      if (request.path !== wanted || (ref !== null && request.query.ref !== ref)) return PASS;
      if (content === 404) return errorReply(404, "Not Found");
      if ((request.headers.accept ?? "").includes("raw")) {
        return { status: 200, body: content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
      }
      const name = path.split("/").at(-1) ?? path;
      const sha = createHmac("sha1", "blob").update(content).digest("hex");
      const url = `${this.baseUrl}${wanted}${ref === null ? "" : `?ref=${encodeURIComponent(ref)}`}`;
      return {
        status: 200,
        body: {
          type: "file",
          encoding: "base64",
          size: Buffer.byteLength(content),
          name,
          path,
          // GitHub wraps the base64 at 60 characters.
          content: `${(
            Buffer.from(content)
              .toString("base64")
              .match(/.{1,60}/g) ?? [""]
          ).join("\n")}\n`,
          sha,
          url,
          git_url: `${this.baseUrl}/repos/${owner}/${repo}/git/blobs/${sha}`,
          html_url: `https://github.com/${owner}/${repo}/blob/${ref ?? "main"}/${path}`,
          download_url: `https://raw.githubusercontent.com/${owner}/${repo}/${ref ?? "main"}/${path}`,
          _links: { self: url, git: `${this.baseUrl}/repos/${owner}/${repo}/git/blobs/${sha}`, html: null },
        },
      };
    });
  }

  onGetCollaboratorPermission(
    user: string,
    permission: Permission,
    repository?: { owner: string; repo: string },
  ): this {
    return this.reply("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", (request) => {
      const { owner, repo, username } = request.params;
      if (username?.toLowerCase() !== user.toLowerCase()) return PASS;
      if (repository && (repository.owner !== owner || repository.repo !== repo)) return PASS;
      const legacy = permission === "maintain" ? "write" : permission === "triage" ? "read" : permission;
      return {
        status: 200,
        body: {
          permission: legacy,
          role_name: permission,
          user: { login: user, id: 1000, type: "User", site_admin: false, permissions: permissionFlags(permission) },
        },
      };
    });
  }

  requests(filter?: RequestFilter): RecordedRequest[] {
    const all = this.#recorded.map((r) => ({ ...r }) as RecordedRequest);
    if (!filter) return all;
    if (typeof filter === "function") return all.filter(filter);
    return all.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.path === undefined ||
          (typeof filter.path === "string" ? r.path === filter.path : filter.path.test(r.path))) &&
        (filter.operation === undefined || r.operation === filter.operation) &&
        (filter.installationId === undefined || r.installationId === filter.installationId),
    );
  }

  checkRuns(): ReadonlyMap<number, FakeCheckRun> {
    return this.#checkRuns;
  }

  assertAllValid(): void {
    const invalid = this.#recorded.filter((r) => r.errors.length > 0);
    if (invalid.length === 0) return;
    throw new Error(
      `GitHub would refuse ${invalid.length} request(s):\n${invalid
        .map((r) => `${r.method} ${r.path}:\n${r.errors.map((e) => `  ${e}`).join("\n")}`)
        .join("\n")}`,
    );
  }

  done(): void {
    this.assertAllValid();
    if (this.#unhandled.length > 0) {
      throw new Error(`requests nothing was registered to answer:\n  ${this.#unhandled.join("\n  ")}`);
    }
  }

  cleanup(): void {
    if (!this.#active) return;
    this.#active = false;
    for (const interceptor of this.#interceptors) nock.removeInterceptor(interceptor);
    if (--activeFakes === 0) nock.enableNetConnect();
  }

  async #answer(request: Request): Promise<[number, string, Record<string, string>]> {
    const url = new URL(request.url);
    const rawPath = url.pathname.slice(this.#basePath.length) || "/";
    const text = await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    let body: unknown;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const method = request.method.toUpperCase();
    const validation = validateGitHubRequest(method, `${rawPath}${url.search}`, body);
    const token = (headers.authorization ?? "").split(/\s+/).at(-1) ?? "";
    const recorded: MutableRequest = {
      method,
      path: safeDecode(rawPath),
      query: Object.fromEntries(url.searchParams),
      url: request.url,
      headers,
      body,
      time: this.#now(),
      operation: findOperation(method, rawPath)?.operationId,
      installationId: this.#tokens.get(token) ?? null,
      errors: validation.ok ? [] : validation.errors,
      status: 0,
      params: {},
    };
    this.#recorded.push(recorded);
    const reply = validation.ok ? await this.#route(recorded) : invalidReply(recorded.operation, validation.errors);
    recorded.status = reply.status ?? 200;
    const replyHeaders: Record<string, string> = {
      "x-github-request-id": randomUUID(),
      "x-github-media-type": "github.v3; format=json",
      ...(typeof reply.body === "string" ? {} : { "content-type": "application/json; charset=utf-8" }),
      ...reply.headers,
    };
    const replyBody =
      reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    return [recorded.status, replyBody, replyHeaders];
  }

  async #route(request: MutableRequest): Promise<FakeReply> {
    for (let i = this.#routes.length - 1; i >= 0; i--) {
      const route = this.#routes[i];
      if (!route || route.method !== request.method || route.remaining <= 0) continue;
      const params = route.match(request.path);
      if (!params) continue;
      request.params = params;
      const reply = await route.handler({ ...request });
      if (reply === PASS) continue;
      route.remaining--;
      return reply;
    }
    this.#unhandled.push(`${request.method} ${request.url}`);
    return errorReply(404, `Not Found (fakeGitHub: nothing registered for ${request.method} ${request.path})`);
  }

  #storeCreated(id: number, owner: string, repo: string, body: Record<string, unknown>): FakeCheckRun {
    const run: FakeCheckRun = {
      id,
      owner,
      repo,
      name: "",
      head_sha: "",
      status: "queued",
      conclusion: null,
      external_id: null,
      details_url: null,
      started_at: null,
      completed_at: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      actions: [],
      writes: [],
    };
    applyCheckRunWrite(run, body);
    this.#checkRuns.set(id, run);
    return run;
  }

  /** A check run the way GitHub's API shows it (trimmed to what callers read). */
  #view(run: FakeCheckRun): Record<string, unknown> {
    return {
      id: run.id,
      node_id: `CR_fake${run.id}`,
      head_sha: run.head_sha,
      external_id: run.external_id,
      url: `${this.baseUrl}/repos/${run.owner}/${run.repo}/check-runs/${run.id}`,
      html_url: `https://github.com/${run.owner}/${run.repo}/runs/${run.id}`,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: { ...run.output, annotations_count: run.annotations.length, annotations_url: "" },
      name: run.name,
      check_suite: { id: 1 },
      app: { id: 1, slug: "heimdall-build", name: "heimdall-build" },
      pull_requests: [],
    };
  }
}

/** A handler's answer meaning "not mine": the next matching route answers. */
/** A route handler's answer that lets the next matching route answer instead. */
export const PASS: FakeReply = Object.freeze({ status: -1 });

/** A GitHub-style error answer: `{message, documentation_url, status}` with the given headers (e.g. `retry-after`). */
export function errorReply(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return {
    status,
    body: { message, documentation_url: "https://docs.github.com/rest", status: String(status) },
    headers,
  };
}

/** GitHub's secondary-rate-limit 403, with `retry-after` when `retryAfterSeconds` is given. */
export function secondaryRateLimitReply(retryAfterSeconds?: number): FakeReply {
  return errorReply(
    403,
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  );
}

function invalidReply(operation: string | undefined, errors: readonly string[]): FakeReply {
  if (operation === undefined) return errorReply(404, "Not Found");
  return {
    status: 422,
    body: {
      message: `Invalid request.\n\n${errors.join("\n")}`,
      errors: [...errors],
      documentation_url: "https://docs.github.com/rest",
      status: "422",
    },
  };
}

function applyCheckRunWrite(run: FakeCheckRun, body: Record<string, unknown>): void {
  run.writes.push(structuredClone(body));
  for (const key of ["name", "head_sha", "status"] as const) {
    if (typeof body[key] === "string") run[key] = body[key];
  }
  for (const key of ["conclusion", "external_id", "details_url", "started_at", "completed_at"] as const) {
    if (typeof body[key] === "string") run[key] = body[key];
  }
  if (typeof body.conclusion === "string") run.status = "completed";
  if (run.status === "in_progress" && run.started_at === null) run.started_at = new Date().toISOString();
  if (run.status === "completed" && run.completed_at === null) run.completed_at = new Date().toISOString();
  const output = asRecord(body.output);
  for (const key of ["title", "summary", "text"] as const) {
    if (typeof output[key] === "string") run.output[key] = output[key];
  }
  if (Array.isArray(output.annotations)) run.annotations.push(...output.annotations.map(asRecord));
  if (Array.isArray(body.actions)) run.actions = body.actions.map(asRecord);
}

function templateMatcher(template: string): (path: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(name);
      return "([^/]+)";
    })
    .join("");
  const pattern = new RegExp(`^${source}$`);
  return (path) => {
    const match = pattern.exec(path);
    if (!match) return null;
    return Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? ""]));
  };
}

function regExpMatcher(pattern: RegExp): (path: string) => Record<string, string> | null {
  return (path) => {
    pattern.lastIndex = 0;
    const match = pattern.exec(path);
    return match ? { ...match.groups } : null;
  };
}

function permissionFlags(permission: Permission): Record<string, boolean> {
  const order: Permission[] = ["read", "triage", "write", "maintain", "admin"];
  const level = order.indexOf(permission);
  return { pull: level >= 0, triage: level >= 1, push: level >= 2, maintain: level >= 3, admin: level >= 4 };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
