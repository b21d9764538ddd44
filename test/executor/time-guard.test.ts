/**
 * The time limit's guard: its numbers, and for real (a container, a host
 * process group) that a build ends a little past its limit without its
 * worker's timer, concluding timed_out, while a build's own exit status 124
 * before its limit stays a failure. "Without its worker's timer" is a clock
 * whose timer never fires: a worker whose event loop is held up.
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runContainer } from "../../src/executor/docker/container.ts";
import { runCellOnHost } from "../../src/executor/host/run-cell-host.ts";
import {
  endedByGuard,
  GUARD_KILL_AFTER_S,
  guardArgs,
  guardedCommand,
  guardGraceMs,
  guardSeconds,
  type LimitClock,
} from "../../src/executor/time-guard.ts";
import { requireDocker } from "../support/docker.ts";
import { configured, gcc12Image } from "../support/executor.ts";

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A worker's clock whose timer never fires. */
const heldBack: LimitClock = { now: () => performance.now(), after: () => () => undefined };

describe("the guard's numbers", () => {
  test("a grace of a tenth of the limit, from 2 s to 30 s, rounded up to whole seconds", () => {
    expect(guardGraceMs(1_000)).toBe(2_000);
    expect(guardGraceMs(60_000)).toBe(6_000);
    expect(guardGraceMs(3_600_000)).toBe(30_000);
    expect(guardSeconds(1_000)).toBe(3);
    expect(guardSeconds(1_020)).toBe(4);
    expect(guardSeconds(60_000)).toBe(66);
    expect(guardSeconds(3_600_000)).toBe(3_630);
    expect(guardArgs(60_000)).toEqual(["-k", String(GUARD_KILL_AFTER_S), "66"]);
  });

  test("the command is run by sh under timeout, its arguments untouched", () => {
    const cmd = ["bash", "-c", `echo "it's $HOME"; exit 3`];
    const guarded = guardedCommand(cmd, 60_000);
    expect(guarded.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(guarded[2]).toContain('exec timeout -k 5 66 "$@"');
    expect(guarded.slice(4)).toEqual(cmd);
  });

  test("timeout's statuses past the limit are the guard's; before it, or any other status, the build's", () => {
    expect(endedByGuard(124, 63_000, 60_000)).toBe(true);
    expect(endedByGuard(137, 71_000, 60_000)).toBe(true);
    expect(endedByGuard(124, 59_999, 60_000)).toBe(false);
    expect(endedByGuard(1, 70_000, 60_000)).toBe(false);
    expect(endedByGuard(0, 70_000, 60_000)).toBe(false);
  });
});

describe("in a container", () => {
  let docker: Docker;
  let image: string;

  beforeAll(async () => {
    docker = await requireDocker();
    image = await gcc12Image(docker);
  }, 900_000);

  test("a build that outlives its worker's timer ends at the guard: timed_out, exit 124", async () => {
    const started = performance.now();
    const result = await runContainer(docker, {
      image,
      cmd: ["sleep", "infinity"],
      timeoutMs: 1_000,
      clock: heldBack,
    });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, cancelled: false });
    // No sooner than the guard's SIGTERM (the limit and its grace).
    expect(elapsed).toBeGreaterThanOrEqual(guardSeconds(1_000) * 1000);
  }, 60_000);

  test("a build deaf to SIGTERM is killed after it: timed_out, exit 137", async () => {
    const result = await runContainer(docker, {
      image,
      cmd: ["bash", "-c", "trap '' TERM; sleep infinity"],
      timeoutMs: 1_000,
      clock: heldBack,
    });
    expect(result).toMatchObject({ exitCode: 137, timedOut: true });
  }, 60_000);

  test("a build's own status 124 before its limit is a failure, not a timeout", async () => {
    const result = await runContainer(docker, { image, cmd: ["sh", "-c", "exit 124"], timeoutMs: 60_000 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: false });
  }, 60_000);

  test("the worker's own timer, when it fires, still ends the build first", async () => {
    const result = await runContainer(docker, { image, cmd: ["sleep", "infinity"], timeoutMs: 1_000 });
    expect(result.timedOut).toBe(true);
    // Killed by the worker (SIGKILL, 137), not stopped by the guard's SIGTERM (124) 2 s later.
    expect(result.exitCode).toBe(137);
  }, 60_000);
});

describe("on the host", () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "heimdall-time-guard-"));
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test("a script that outlives its worker's timer ends at the guard, its process group with it: timed_out", async () => {
    const { cells, settings } = configured(
      "version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ['sleep 600 & echo $! > sleep.pid; wait']\ntests: false\n",
    );
    const cell = cells[0];
    if (!cell) throw new Error("no cell");
    const dir = path.join(scratch, "slow");
    await mkdir(dir);
    const result = await runCellOnHost({
      workspace: dir,
      cell,
      settings,
      timeoutMs: 1_000,
      label: "gcc-12",
      clock: heldBack,
    });
    expect(result.conclusion).toBe("timed_out");
    expect(result.exitCode).toBe(124);
    const pid = Number((await readFile(path.join(dir, "sleep.pid"), "utf8")).trim());
    expect(pid).toBeGreaterThan(0);
    // The build's background sleep went with the group (polled: init reaps it when it likes).
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(pid)).toBe(false);
  }, 60_000);
});
