/**
 * The webhook inbox: deliveries acknowledged (202) and handled after, tried
 * again after a growing wait when their handlers fail, given up after the
 * last try (a dead letter /status counts, a redelivery revives), taken over
 * from a server that died (its lease ran out) or stopped (it let go), and
 * refused 503 when PostgreSQL cannot keep them. The server's clock is a test
 * clock; real PostgreSQL and Redis, GitHub mocked.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import type { RunningServer } from "../../src/server.ts";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
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
import { deliverWebhook, errorReply, type FakeGitHub, fakeGitHub, PASS, signedWebhook } from "../support/github.ts";
import { ownPostgres } from "../support/own-services.ts";
import { freshDatabase } from "../support/postgres.ts";

const CONFIG = "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n";
const CELLS = 2;
const T0 = Date.parse("2026-12-01T12:00:00Z");

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** A clock the test moves. */
function testClock() {
  let at = T0;
  return { now: () => new Date(at), set: (ms: number) => (at = T0 + ms) };
}

function github(): FakeGitHub {
  const fake = fakeGitHub().onCreateCheckRun().onUpdateCheckRun();
  cleanups.push(async () => fake.cleanup());
  return fake;
}

async function harness(options: Parameters<typeof startApiHarness>[0]): Promise<ApiHarness> {
  const started = await startApiHarness(options);
  cleanups.push(() => started.close());
  return started;
}

const push = (server: RunningServer, head: string, deliveryId: string) =>
  deliverWebhook(`${server.url}/api/github/webhooks`, SECRET, "push", pushPayload(head), { deliveryId });

const cellRuns = (fake: FakeGitHub, head: string) =>
  [...fake.checkRuns().values()].filter((r) => r.head_sha === head && !r.name.endsWith("/ matrix"));

/** Looks at the inbox now (as the poll would) and waits until this server has nothing in hand. */
async function look(server: RunningServer) {
  server.inbox.kick();
  await server.inbox.idle();
}

describe("a delivery whose handlers fail", () => {
  test("is tried again once its wait has passed, the wait doubling, and then done whole", async () => {
    const clock = testClock();
    const fake = github();
    const { server, database } = await harness({ now: clock.now, webhookInbox: { pollMs: 0 } });
    const head = sha(0x1);
    fake.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    fake.reply("GET", `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml`, () => errorReply(500, "down"), {
      times: 2,
    });
    const row = () => database.db.selectFrom("webhook_inbox").selectAll().executeTakeFirst();

    const first = await push(server, head, "retried");
    expect(first.status).toBe(202);
    expect(first.outcome).toMatchObject({ handled: false, attempt: 1, retryAt: new Date(T0 + 5_000) });

    // Not due a millisecond early.
    clock.set(4_999);
    await look(server);
    expect(await row()).toMatchObject({ attempts: 1, next_attempt_at: new Date(T0 + 5_000) });

    clock.set(5_000);
    const second = server.inbox.nextOutcome("retried");
    await look(server);
    expect(await second).toMatchObject({ handled: false, attempt: 2, retryAt: new Date(T0 + 15_000) });

    clock.set(15_000);
    const third = server.inbox.nextOutcome("retried");
    await look(server);
    expect(await third).toEqual({ delivery: "retried", attempt: 3, handled: true });
    expect(await row()).toBeUndefined();
    await until("the cells' check runs", () => cellRuns(fake, head).length === CELLS);
    expect(await database.db.selectFrom("deliveries").select("id").execute()).toEqual([{ id: "retried" }]);
    expect(await database.db.selectFrom("builds").selectAll().execute()).toHaveLength(1);
  });

  test("is given up after its last try: /status counts it, and GitHub's redelivery revives it", async () => {
    const clock = testClock();
    const fake = github();
    const { server, api, token } = await harness({
      now: clock.now,
      webhookInbox: { pollMs: 0, maxAttempts: 2, retryBaseMs: 1_000 },
    });
    const reader = await token(["builds:read"]);
    const head = sha(0x2);
    fake.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    fake.reply("GET", `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml`, () => errorReply(502, "Bad Gateway"), {
      times: 2,
    });

    expect((await push(server, head, "doomed")).outcome).toMatchObject({
      handled: false,
      retryAt: new Date(T0 + 1_000),
    });
    expect((await api("GET", "/api/v1/status", { token: reader })).body).toMatchObject({
      webhooks: { waiting: 1, failed: 0, oldest_waiting: new Date(T0).toISOString() },
    });
    clock.set(1_000);
    const last = server.inbox.nextOutcome("doomed");
    await look(server);
    expect(await last).toMatchObject({ handled: false, attempt: 2, retryAt: null });
    expect((await api("GET", "/api/v1/status", { token: reader })).body).toMatchObject({
      webhooks: { waiting: 0, failed: 1, oldest_waiting: null },
    });
    // Never tried again on its own.
    clock.set(3_600_000);
    await look(server);
    expect(cellRuns(fake, head)).toEqual([]);

    // Someone clicks "Redeliver" on GitHub: tried at once, its tries counted afresh.
    expect((await push(server, head, "doomed")).outcome).toEqual({ delivery: "doomed", attempt: 1, handled: true });
    await until("the cells' check runs", () => cellRuns(fake, head).length === CELLS);
    expect((await api("GET", "/api/v1/status", { token: reader })).body).toMatchObject({
      webhooks: { waiting: 0, failed: 0 },
    });
  });
});

describe("servers sharing the inbox", () => {
  async function pair(options: { now: () => Date }) {
    const database = await freshDatabase(false);
    const prefix = `heimdall-inbox-${randomBytes(4).toString("hex")}`;
    cleanups.push(async () => {
      await database.drop();
      await clearRedisPrefix(prefix);
    });
    const start = async () => {
      const server = await startTestServer({
        databaseUrl: database.url,
        prefix,
        now: options.now,
        webhookInbox: { pollMs: 0 },
      });
      cleanups.push(() => server.close());
      return server;
    };
    return { database, a: await start(), b: await start() };
  }

  test("a delivery claimed by a server that died is taken by another when the claim's lease runs out", async () => {
    const clock = testClock();
    const fake = github();
    const { database, b } = await pair(clock);
    const head = sha(0x3);
    fake.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    // As a server leaves it that claimed it and died: leased for a minute, one try begun.
    const { body } = signedWebhook(SECRET, "push", pushPayload(head), { deliveryId: "orphan" });
    await database.db
      .insertInto("webhook_inbox")
      .values({
        delivery: "orphan",
        event: "push",
        payload: body,
        received_at: new Date(T0),
        next_attempt_at: new Date(T0),
        leased_until: new Date(T0 + 60_000),
        attempts: 1,
      })
      .execute();
    clock.set(59_999);
    await look(b);
    expect(cellRuns(fake, head)).toEqual([]);

    clock.set(60_000);
    const outcome = b.inbox.nextOutcome("orphan");
    await look(b);
    expect(await outcome).toEqual({ delivery: "orphan", attempt: 2, handled: true });
    await until("the cells' check runs", () => cellRuns(fake, head).length === CELLS);
  });

  test("a server that stops lets go of what it handles: another takes it at once, and its work is done once", async () => {
    const clock = testClock();
    const fake = github();
    const { database, a, b } = await pair(clock);
    const head = sha(0x4);
    fake.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first read of the config hangs until the test lets it go: server A is mid-way.
    let reads = 0;
    fake.reply("GET", `/repos/${OWNER}/${REPO}/contents/.heimdall-build.yml`, async () => {
      if (++reads === 1) await gate;
      return PASS;
    });
    const { headers, body } = signedWebhook(SECRET, "push", pushPayload(head), { deliveryId: "handed-over" });
    const answer = await fetch(`${a.url}/api/github/webhooks`, { method: "POST", headers, body });
    expect(answer.status).toBe(202);
    await until("A's read of the config", () => reads === 1);

    // A stops without waiting for it (as when its grace runs out): the claim is let go of at once.
    await a.inbox.close(0);
    expect(
      await database.db.selectFrom("webhook_inbox").select(["attempts", "leased_until"]).executeTakeFirst(),
    ).toEqual({ attempts: 1, leased_until: null });
    const taken = b.inbox.nextOutcome("handed-over");
    await look(b);
    expect(await taken).toEqual({ delivery: "handed-over", attempt: 2, handled: true });

    // A's handler then ends too: the delivery's work was recorded once, whichever finished it.
    release();
    await a.inbox.idle();
    expect(reads).toBe(2);
    expect(await database.db.selectFrom("builds").selectAll().execute()).toHaveLength(1);
    expect(await database.db.selectFrom("attempts").selectAll().execute()).toHaveLength(CELLS);
    expect(cellRuns(fake, head)).toHaveLength(CELLS);
  });
});

describe("PostgreSQL down at delivery", () => {
  test("the delivery is refused 503 with Retry-After (GitHub marks it failed); its redelivery is handled", async () => {
    const pg = await ownPostgres();
    cleanups.push(() => pg.destroy());
    const prefix = `heimdall-inbox-${randomBytes(4).toString("hex")}`;
    cleanups.push(() => clearRedisPrefix(prefix));
    const fake = github();
    const server = await startTestServer({ databaseUrl: pg.url, prefix });
    cleanups.push(() => server.close());
    const head = sha(0x5);
    fake.onGetContent(OWNER, REPO, ".heimdall-build.yml", head, CONFIG);

    await pg.stop();
    const { headers, body } = signedWebhook(SECRET, "push", pushPayload(head), { deliveryId: "pg-away" });
    const refused = await fetch(`${server.url}/api/github/webhooks`, { method: "POST", headers, body });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(await refused.json()).toMatchObject({ error: { message: expect.stringContaining("could not be kept") } });

    await pg.start();
    const again = await push(server, head, "pg-away");
    expect(again).toMatchObject({ status: 202, outcome: { handled: true } });
    await until("the cells' check runs", () => cellRuns(fake, head).length === CELLS);
  });
});
