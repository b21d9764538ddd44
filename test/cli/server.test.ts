/**
 * `heimdall-build server` as it is run: the built bin in a child process against
 * real PostgreSQL and Redis. Its memory under a 30 MB unsigned body (the peak,
 * VmHWM, from /proc), its log of refusals, and its stop on SIGTERM and SIGINT:
 * everything it opened closed, so it exits by itself with 0 (the hard exit at
 * 10 s is 1), and it holds only its own Redis connections while running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import nock from "nock";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { serverCommand } from "../../src/cli/server-command.ts";
import { tokensCommand } from "../../src/cli/tokens-command.ts";
import { LiveLogPublisher } from "../../src/queue/live-log.ts";
import { liveLogLink } from "../../src/storage/links.ts";
import { UrlSigner } from "../../src/storage/url-signer.ts";
import { clearRedisPrefix, REDIS_URL, until } from "../support/app-harness.ts";
import { testPrivateKey } from "../support/github.ts";
import { freshDatabase, type TestDatabase } from "../support/postgres.ts";
import { rawRequest } from "../support/raw-http.ts";
import { redisClientsOf } from "../support/redis-clients.ts";

const root = path.resolve(import.meta.dirname, "../..");
const MB = 1024 * 1024;
const URL_SECRET = "a-url-secret-of-some-length";
/** The server's own: BullMQ's shared connection, the publisher, a blocking one per BullMQ worker (3), and the API's rate limit's. */
const SERVER_REDIS_CONNECTIONS = 6;

interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Its stdout (Probot's JSON log lines) and stderr, so far. */
  output(): { stdout: string; stderr: string };
  /** Set once it has exited. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | null;
}

let database: TestDatabase;
let prefix: string;
let scratch: string;
let redis: Redis;
let running: ServerProcess | undefined;

beforeAll(async () => {
  // The harness loads nock, whose interceptor would hold request bodies and streamed answers; nothing here calls GitHub.
  nock.restore();
  database = await freshDatabase(false);
  prefix = `heimdall-server-bin-${randomBytes(4).toString("hex")}`;
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-server-bin-"));
  redis = new Redis(REDIS_URL);
});

afterEach(() => {
  running?.child.kill("SIGKILL");
  running = undefined;
});

afterAll(async () => {
  redis?.disconnect();
  await database?.drop();
  await clearRedisPrefix(prefix);
  await rm(scratch, { recursive: true, force: true });
});

async function startServerBin(extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    APP_ID: "1",
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: "webhook-secret",
    DATABASE_URL: database.url,
    REDIS_URL,
    HEIMDALL_REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: "https://heimdall.example.com",
    HEIMDALL_URL_SECRET: URL_SECRET,
    STORAGE_DIR: path.join(scratch, "objects"),
    LOG_FORMAT: "json" as const,
    LOG_LEVEL: "info" as const,
    ...extraEnv,
  };
  const child = spawn(process.execPath, [path.join(root, "dist/cli/main.js"), "server"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  child.on("exit", (code, signal) => {
    exit = { code, signal };
  });
  const url = await until(
    "the server listening",
    () => {
      if (exit) throw new Error(`the server exited (${JSON.stringify(exit)}):\n${stderr}\n${stdout}`);
      return /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    },
    30_000,
  );
  running = { child, url, output: () => ({ stdout, stderr }), exit: () => exit };
  return running;
}

/** The process's peak resident memory so far, in bytes. */
function peakMemory(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

function refusalsLogged(server: ServerProcess): Record<string, unknown>[] {
  return server
    .output()
    .stdout.split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === "webhook refused");
}

test("a 30 MB unsigned body, declared or chunked: 413, one short log line each, and the peak memory barely moves", async () => {
  const server = await startServerBin();
  const pid = server.child.pid ?? 0;
  const hook = `${server.url}/api/github/webhooks`;
  const headers = {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": "delivery-30mb",
    "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
  };
  const before = peakMemory(pid);
  const declared = await rawRequest(hook, {
    headers: { ...headers, "content-length": String(30 * MB) },
    bytes: 30 * MB,
  });
  const chunked = await rawRequest(hook, { headers, bytes: 30 * MB });
  const growth = peakMemory(pid) - before;

  expect(declared.status).toBe(413);
  expect(chunked.status).toBe(413);
  // The chunked body is read up to the 25 MB cap before it is refused; nothing beyond is kept.
  expect(growth).toBeLessThan(64 * MB);
  const lines = await until("two refusals logged", () => {
    const found = refusalsLogged(server);
    return found.length >= 2 ? found : undefined;
  });
  expect(lines).toHaveLength(2);
  expect(lines.map((line) => [line.delivery, line.status, line.bytes])).toEqual([
    ["delivery-30mb", 413, 30 * MB],
    ["delivery-30mb", 413, expect.any(Number)],
  ]);
  // Brief, and never the body (the filler is a run of "a").
  for (const line of server
    .output()
    .stdout.split("\n")
    .filter((l) => l.includes("webhook refused"))) {
    expect(line.length).toBeLessThan(400);
  }
  expect(server.output().stdout).not.toContain("aaaaaaaa");
}, 60_000);

test.each(["SIGTERM", "SIGINT"] as const)(
  "%s: it exits by itself with 0 within 10 s, its live-log follower and keep-alive ended, its Redis connections (only its own) closed",
  async (signal) => {
    const server = await startServerBin();
    const pid = server.child.pid ?? 0;
    const own = await until("its Redis connections", async () => {
      const clients = await redisClientsOf(redis, pid);
      return clients.length >= SERVER_REDIS_CONNECTIONS ? clients : undefined;
    });
    expect(own).toHaveLength(SERVER_REDIS_CONNECTIONS);

    // An idle keep-alive connection, and a follower of a running cell's live log.
    const agent = new http.Agent({ keepAlive: true });
    const health = await fetchWith(agent, `${server.url}/healthz`);
    expect(health.status).toBe(200);
    await new LiveLogPublisher(redis, prefix, "77").start();
    const link = new URL(liveLogLink(new UrlSigner(URL_SECRET), "https://x.invalid", "77") ?? "");
    const follower = await fetchWith(undefined, `${server.url}${link.pathname}${link.search}&follow=1`);
    expect(follower.status).toBe(200);
    // The follower reads with a connection of its own.
    await until("the follower's connection", async () =>
      (await redisClientsOf(redis, pid)).length === SERVER_REDIS_CONNECTIONS + 1 ? true : undefined,
    );
    const clients = await redisClientsOf(redis, pid);

    server.child.kill(signal);
    const exit = await until("the server's exit", () => server.exit(), 10_000);
    expect(exit, server.output().stderr).toEqual({ code: 0, signal: null });
    expect(server.output().stderr).toContain(`${signal}: stopping`);
    expect(server.output().stderr).not.toContain("still running");
    await follower.ended;
    agent.destroy();
    await until("its connections gone from Redis", async () => {
      const list = (await redis.client("LIST")) as string;
      return clients.every((addr) => !list.includes(`addr=${addr} `));
    });
  },
  60_000,
);

/** A GET whose answer is not read to its end: the status now, and a promise of the end. */
function fetchWith(agent: http.Agent | undefined, url: string): Promise<{ status: number; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, agent ? { agent } : {}, (response) => {
      response.resume();
      const ended = new Promise<void>((done) => response.once("close", () => done()));
      resolve({ status: response.statusCode ?? 0, ended });
    });
    request.on("error", reject);
  });
}

test("HEIMDALL_API_RATE_LIMIT: a token's calls a minute; past them 429 (and a value that is no count stops the server at start)", async () => {
  const server = await startServerBin({ HEIMDALL_API_RATE_LIMIT: "2" });
  let token = "";
  const io = { stdout: (t: string) => (token += t), stderr: () => {}, cwd: "/" };
  expect(
    await tokensCommand(
      { action: "create", options: { name: "ci", scopes: "builds:read", repo: [], expires: "1d" } },
      io,
      { DATABASE_URL: database.url },
    ),
  ).toBe(0);
  const call = async () =>
    (await fetch(`${server.url}/api/v1/builds`, { headers: { authorization: `Bearer ${token.trim()}` } })).status;
  expect([await call(), await call(), await call()]).toEqual([200, 200, 429]);
  server.child.kill("SIGTERM");
  await until("the server's exit", () => server.exit(), 10_000);

  let stderr = "";
  const refused = await serverCommand(
    { stdout: () => {}, stderr: (t) => (stderr += t), cwd: "/" },
    {
      APP_ID: "1",
      PRIVATE_KEY: "k",
      WEBHOOK_SECRET: "s",
      DATABASE_URL: database.url,
      REDIS_URL,
      HEIMDALL_API_RATE_LIMIT: "lots",
    },
  );
  expect(refused).toBe(2);
  expect(stderr).toContain("HEIMDALL_API_RATE_LIMIT is calls a minute per token (1 or more), not 'lots'");
});

test("HEIMDALL_DASHBOARD_AUTH, GITHUB_CLIENT_ID/SECRET: none serves the local user on loopback and is refused elsewhere; the OAuth client starts GitHub's sign-in", async () => {
  const local = await startServerBin({ HEIMDALL_DASHBOARD_AUTH: "none" });
  expect((await fetch(`${local.url}/api/v1/builds`)).status).toBe(200);
  local.child.kill("SIGTERM");
  await until("the server's exit", () => local.exit(), 10_000);

  const oauth = await startServerBin({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "shh" });
  expect((await fetch(`${oauth.url}/api/v1/builds`)).status).toBe(401);
  const login = await fetch(`${oauth.url}/auth/github/login`, { redirect: "manual" });
  expect(login.status).toBe(302);
  const location = new URL(login.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe("https://github.com/login/oauth/authorize");
  expect(location.searchParams.get("client_id")).toBe("Iv1.abc");
  expect(location.searchParams.get("redirect_uri")).toBe("https://heimdall.example.com/auth/github/callback");
  oauth.child.kill("SIGTERM");
  await until("the server's exit", () => oauth.exit(), 10_000);

  const refusedBy = async (env: Record<string, string>) => {
    let stderr = "";
    const code = await serverCommand(
      { stdout: () => {}, stderr: (t) => (stderr += t), cwd: "/" },
      {
        APP_ID: "1",
        PRIVATE_KEY: testPrivateKey(),
        WEBHOOK_SECRET: "s",
        DATABASE_URL: database.url,
        REDIS_URL,
        PORT: "0",
        ...env,
      },
    );
    return { code, stderr };
  };
  const everywhere = await refusedBy({ HEIMDALL_DASHBOARD_AUTH: "none", HOST: "0.0.0.0" });
  expect(everywhere.code).toBe(2);
  expect(everywhere.stderr).toContain("allowed only when HOST is a loopback address");
  expect((await refusedBy({ HEIMDALL_DASHBOARD_AUTH: "open" })).stderr).toContain(
    "HEIMDALL_DASHBOARD_AUTH is github or none, not 'open'",
  );
  expect((await refusedBy({ HEIMDALL_ADMINS: "mona, not a login" })).stderr).toContain(
    "HEIMDALL_ADMINS holds GitHub logins, and 'not a login' is not one",
  );
});
