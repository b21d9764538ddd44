/**
 * Deliveries through the bounded intake to Probot's handlers: a signed one is
 * kept in the webhook inbox and answered 202 before its handlers run, a wrong
 * signature runs nothing, a handler's failure is kept with the delivery for
 * another try. Real server, PostgreSQL and Redis; GitHub mocked.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.ts";
import {
  clearRedisPrefix,
  OWNER,
  pushPayload,
  REPO,
  SECRET,
  sha,
  startTestServer,
  until,
} from "../support/app-harness.ts";
import { type FakeGitHub, fakeGitHub, PASS, signedWebhook } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12]\n";

let database: TestDatabase;
let server: RunningServer;
let github: FakeGitHub;
let prefix: string;
const logged: Record<string, unknown>[] = [];
const refusals = () => logged.filter((line) => line.msg === "webhook refused");

beforeAll(async () => {
  database = await freshDatabase(false);
  prefix = `heimdall-delivery-${randomBytes(4).toString("hex")}`;
  github = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  const sink = new Writable({
    write(line: Buffer, _encoding, done) {
      logged.push(JSON.parse(line.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  server = await startTestServer({ databaseUrl: database.url, prefix, log: pino({ level: "info" }, sink) });
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
  github?.assertAllValid();
  github?.cleanup();
  await clearRedisPrefix(prefix);
});

beforeEach(() => {
  logged.length = 0;
});

async function post(secret: string, payload: unknown) {
  const { headers, body } = signedWebhook(secret, "push", payload);
  const delivery = headers["x-github-delivery"] ?? "";
  const outcome = server.inbox.nextOutcome(delivery);
  const response = await fetch(`${server.url}/api/github/webhooks`, { method: "POST", headers, body });
  return { status: response.status, text: await response.text(), delivery, body, outcome };
}

const inboxRow = (delivery: string) =>
  database.db.selectFrom("webhook_inbox").selectAll().where("delivery", "=", delivery).executeTakeFirst();

test("a wrong signature: 401, logged once, nothing recorded or asked of GitHub", async () => {
  const sent = await post("not-the-secret", pushPayload(sha(1)));
  expect(sent.status).toBe(401);
  expect(refusals()).toHaveLength(1);
  expect(refusals()[0]).toMatchObject({ delivery: sent.delivery, status: 401, bytes: Buffer.byteLength(sent.body) });
  expect(await database.db.selectFrom("deliveries").selectAll().execute()).toEqual([]);
  expect(github.requests()).toEqual([]);
});

test("a signed delivery is kept and answered 202 before its handlers run; then handled, recorded, its check run created", async () => {
  const head = sha(2);
  // GitHub holds the config's answer until the delivery has been answered.
  let answered!: () => void;
  const gate = new Promise<void>((resolve) => {
    answered = resolve;
  });
  github.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
  github.reply(
    "GET",
    `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml`,
    async () => {
      await gate;
      return PASS;
    },
    { times: 1 },
  );
  const sent = await post(SECRET, pushPayload(head));
  try {
    expect(sent.status).toBe(202);
    expect(refusals()).toEqual([]);
    // Kept, then claimed (one try) while its handler waits for GitHub: nothing recorded yet.
    const claimed = await until("the delivery claimed", async () => {
      const row = await inboxRow(sent.delivery);
      return row?.attempts === 1 ? row : undefined;
    });
    expect(claimed).toMatchObject({ event: "push", payload: sent.body, gave_up_at: null });
    expect(await database.db.selectFrom("deliveries").selectAll().where("id", "=", sent.delivery).execute()).toEqual(
      [],
    );
  } finally {
    answered();
  }
  expect(await sent.outcome).toEqual({ delivery: sent.delivery, attempt: 1, handled: true });
  expect(await inboxRow(sent.delivery)).toBeUndefined();
  const recorded = await database.db.selectFrom("deliveries").selectAll().execute();
  expect(recorded).toContainEqual(expect.objectContaining({ id: sent.delivery }));
  await until("the cell's check run", () => [...github.checkRuns().values()].some((r) => r.head_sha === head));
});

test("a handler that fails: the delivery stays for another try, and Probot's log says why", async () => {
  github.reply("GET", "/repos/{owner}/{repo}/contents/{path}", () => ({ status: 500, body: { message: "down" } }), {
    times: 1,
  });
  const sent = await post(SECRET, pushPayload(sha(3)));
  expect(sent.status).toBe(202);
  const outcome = await sent.outcome;
  expect(outcome).toMatchObject({ handled: false, attempt: 1, error: expect.stringContaining("down") });
  expect(refusals()).toEqual([]);
  expect(await inboxRow(sent.delivery)).toMatchObject({
    attempts: 1,
    leased_until: null,
    gave_up_at: null,
    last_error: outcome.error,
    next_attempt_at: outcome.retryAt,
  });
  const errors = logged.filter((line) => line.level === 50);
  expect(errors).toHaveLength(1);
  // What failed and where, not the payload (the webhook library attaches it to the error).
  const line = JSON.stringify(errors[0]);
  expect(line).toContain(`push delivery ${sent.delivery} failed`);
  expect(line).not.toContain("head_commit");
  expect(line.length).toBeLessThan(8192);
  expect(logged.filter((l) => l.msg === "webhook delivery failed; it will be tried again")).toMatchObject([
    { delivery: sent.delivery, event: "push", attempt: 1 },
  ]);
});
