/**
 * A PostgreSQL cluster and a Redis of a fault test's own, on free ports, that
 * the test stops and starts for real (the shared ones on the standard ports
 * are never touched). PostgreSQL runs as the `postgres` user when the test
 * runs as root (initdb refuses root); Redis keeps nothing on disk, so a
 * restart is a Redis that lost its data.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function pgBin(name: string): Promise<string> {
  const { stdout } = await run("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"]);
  const dir = stdout.trim();
  if (!dir) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (bash .ci/run installs them)");
  return path.join(dir, name);
}

/** Runs a PostgreSQL binary as `postgres` when we are root. */
async function asPostgres(bin: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  await run(root ? "runuser" : bin, root ? ["-u", "postgres", "--", bin, ...args] : args, { timeout: 60_000 });
}

export interface OwnPostgres {
  readonly port: number;
  /** A database made in it, for the test. */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), "heimdall-pg-"));
  const data = path.join(dir, "data");
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  const port = await freePort();
  await asPostgres(await pgBin("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const pgCtl = await pgBin("pg_ctl");
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    asPostgres(pgCtl, ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
  const stop = () => asPostgres(pgCtl, ["-D", data, "-m", "fast", "-w", "stop"]);
  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query("CREATE DATABASE heimdall");
  await admin.end();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/heimdall`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Stops it (its data goes with it). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child?.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("Ready to accept connections")) resolve();
      });
      child?.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
    });
  };
  const stop = async () => {
    const exiting = child;
    if (!exiting || exiting.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      exiting.once("exit", () => resolve());
      exiting.kill("SIGKILL");
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop };
}
