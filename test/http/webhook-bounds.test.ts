/**
 * The webhook endpoint's bounds, in process, with raw requests: the real server
 * (real PostgreSQL and Redis) with a Probot whose log is captured. Where the
 * headers suffice the answer comes before any of the body is read (these tests
 * declare a body and send none), and every refusal is logged once, without the
 * body. The 25 MB default and the memory it keeps are test/cli/server.test.ts's.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.ts";
import { clearRedisPrefix, startTestServer, until } from "../support/app-harness.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";
import { rawRequest } from "../support/raw-http.ts";

const KB = 1024;
const MB = 1024 * KB;
const FAKE_SIGNATURE = `sha256=${"0".repeat(64)}`;

let database: TestDatabase;
let server: RunningServer;
let prefix: string;
let hook: string;
const logged: Record<string, unknown>[] = [];
const refusals = () => logged.filter((line) => line.msg === "webhook refused");

const sink = new Writable({
  write(line: Buffer, _encoding, done) {
    logged.push(JSON.parse(line.toString("utf8")) as Record<string, unknown>);
    done();
  },
});

beforeAll(async () => {
  // The harness loads nock, whose interceptor would hold these bodies until they end; nothing here calls GitHub.
  nock.restore();
  database = await freshDatabase(false);
  prefix = `heimdall-bounds-${randomBytes(4).toString("hex")}`;
  server = await startTestServer({
    databaseUrl: database.url,
    prefix,
    log: pino({ level: "info" }, sink),
    // A small cap and budget make the limits quick to reach.
    webhookBodies: { maxBytes: 1 * MB, maxPendingBytes: 2 * MB },
  });
  hook = `${server.url}/api/github/webhooks`;
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
  await clearRedisPrefix(prefix);
});

beforeEach(() => {
  logged.length = 0;
});

function headers(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": `delivery-${randomBytes(4).toString("hex")}`,
    "x-hub-signature-256": FAKE_SIGNATURE,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

describe("refused from the headers, before the body is read", () => {
  test.each([
    { what: "no signature", overrides: { "x-hub-signature-256": undefined }, status: 401, declared: 512 * KB },
    {
      what: "a malformed signature",
      overrides: { "x-hub-signature-256": "sha1=abc" },
      status: 401,
      declared: 512 * KB,
    },
    { what: "no event", overrides: { "x-github-event": undefined }, status: 400, declared: 512 * KB },
    { what: "no delivery id", overrides: { "x-github-delivery": undefined }, status: 400, declared: 512 * KB },
    { what: "not JSON", overrides: { "content-type": "text/plain" }, status: 415, declared: 512 * KB },
    { what: "a declared body over the cap", overrides: {}, status: 413, declared: 30 * MB },
  ])("$what: $status, logged once", async ({ overrides, status, declared }) => {
    // A body is declared and never sent: only an answer from the headers can come.
    const response = await rawRequest(hook, { headers: { ...headers(overrides), "content-length": String(declared) } });
    expect(response.status).toBe(status);
    expect(response.sent).toBe(0);
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]).toMatchObject({ status, bytes: declared });
  });
});

describe("refused while reading", () => {
  test("a chunked body past the cap: 413 once past it, the rest not read; one short log line", async () => {
    const delivery = "delivery-too-large";
    const response = await rawRequest(hook, { headers: headers({ "x-github-delivery": delivery }), bytes: 30 * MB });
    expect(response.status).toBe(413);
    expect(response.sent).toBeLessThan(30 * MB);
    expect(refusals()).toHaveLength(1);
    const [line] = refusals();
    expect(line).toMatchObject({ delivery, event: "push", status: 413, reason: `the body is over ${MB} bytes` });
    expect(line?.bytes).toBeGreaterThan(MB);
    // Brief, and never the body.
    expect(JSON.stringify(logged).length).toBeLessThan(1000);
  });

  test("a sender that declares a large body and sends nothing holds none of the budget", async () => {
    const idle = new AbortController();
    const held = [0, 1].map(() =>
      rawRequest(hook, { headers: { ...headers(), "content-length": String(900 * KB) }, signal: idle.signal }),
    );
    try {
      // Two declared 900 KB bodies that never come: a third is still read whole (and refused for its signature).
      const third = await rawRequest(hook, {
        headers: { ...headers(), "content-length": String(900 * KB) },
        bytes: 900 * KB,
      });
      expect(third.status).toBe(401);
    } finally {
      idle.abort();
      await Promise.allSettled(held);
    }
  });

  test("a body that does not fit the budget others' bytes hold: 503", async () => {
    // Two senders send 900 KB of a declared 1 MB and stall: 1.8 of the 2 MB are held.
    const holders = new AbortController();
    const held = [0, 1].map(() =>
      rawRequest(hook, {
        headers: { ...headers(), "content-length": String(MB) },
        bytes: 900 * KB,
        stall: true,
        signal: holders.signal,
      }),
    );
    try {
      // Until both are held, a third is read whole (and refused for its signature): then it is 503.
      const third = await until("the budget held", async () => {
        const response = await rawRequest(hook, {
          headers: { ...headers(), "content-length": String(900 * KB) },
          bytes: 900 * KB,
        });
        return response.status === 503 ? response : undefined;
      });
      expect(third.headers["retry-after"]).toBe("5");
      expect(refusals().at(-1)).toMatchObject({ status: 503 });
    } finally {
      holders.abort();
      await Promise.allSettled(held);
    }
    // Their budget is given back when they go: a body fits again.
    await until("the budget free", async () => {
      const response = await rawRequest(hook, {
        headers: { ...headers(), "content-length": String(900 * KB) },
        bytes: 900 * KB,
      });
      return response.status === 401;
    });
  });
});

describe("a body that does not arrive in time", () => {
  test("408, and what it held is given back", async () => {
    const slow = await startTestServer({
      databaseUrl: database.url,
      prefix: `${prefix}-slow`,
      log: pino({ level: "info" }, sink),
      webhookBodies: { maxBytes: 1 * MB, maxPendingBytes: 1 * MB, deadlineMs: 300 },
    });
    try {
      const url = `${slow.url}/api/github/webhooks`;
      const stalled = await rawRequest(url, {
        headers: { ...headers(), "content-length": String(MB) },
        bytes: 900 * KB,
        stall: true,
      });
      expect(stalled.status).toBe(408);
      expect(refusals().at(-1)).toMatchObject({ status: 408, reason: "the body did not arrive within 300 ms" });
      // The 900 KB it held are free again: another body of that size fits the 1 MB budget.
      const next = await rawRequest(url, {
        headers: { ...headers(), "content-length": String(900 * KB) },
        bytes: 900 * KB,
      });
      expect(next.status).toBe(401);
    } finally {
      await slow.close();
      await clearRedisPrefix(`${prefix}-slow`);
    }
  });
});

describe("the other routes take no body", () => {
  test.each(["/api/v1/attempts/1/log", "/healthz", "/elsewhere"])("%s: 413 before reading it", async (path) => {
    const response = await rawRequest(`${server.url}${path}`, {
      method: "GET",
      headers: { "content-length": String(30 * MB) },
    });
    expect(response.status).toBe(413);
    expect(response.sent).toBe(0);
  });

  test("without one they answer as before", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
  });
});
