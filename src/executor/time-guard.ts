/**
 * A build's time limit that holds without its worker. The worker's own timer
 * stops a build at its limit and reports `timed_out`; but a worker that dies
 * takes its timer along, and its build ran on until another worker took the
 * cell again (or for ever, with no other worker). So the build also runs under
 * coreutils' `timeout`, started with it: SIGTERM to the build's process group
 * at the limit plus a grace, SIGKILL GUARD_KILL_AFTER_S later. In a container
 * `timeout` is under Docker's init (tini), whose exit ends the container and
 * every process left in it.
 *
 * The grace lets the worker's timer, started a moment after the build, fire
 * first when the worker is alive: the usual ending stays the worker's. When the
 * guard ends a build all the same (the worker's event loop held up past the
 * grace), its exit status (124, or 137 after the SIGKILL) past the limit is
 * read as `timed_out`, not as the build's failure.
 */

/** After the guard's SIGTERM, the build has this long before SIGKILL. */
export const GUARD_KILL_AFTER_S = 5;
const MIN_GRACE_MS = 2_000;
const MAX_GRACE_MS = 30_000;

/** `timeout`'s status when it stopped the command: 124 after SIGTERM, 128 + 9 when SIGKILL was needed. */
const GUARD_STATUSES: readonly number[] = [124, 137];

/** The worker's side of a time limit, which tests can hold back (a worker whose event loop is stuck). */
export interface LimitClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fire` after `ms`; the returned function cancels it. */
  after(ms: number, fire: () => void): () => void;
}

export const realClock: LimitClock = {
  now: () => performance.now(),
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/** The grace past the limit before the guard acts: a tenth of the limit, from 2 s to 30 s. */
export function guardGraceMs(limitMs: number): number {
  return Math.min(MAX_GRACE_MS, Math.max(MIN_GRACE_MS, Math.round(limitMs / 10)));
}

/** Whole seconds until the guard's SIGTERM: whole, so any `timeout` (GNU's, busybox's) reads them. */
export function guardSeconds(limitMs: number): number {
  return Math.ceil((limitMs + guardGraceMs(limitMs)) / 1000);
}

/** `timeout`'s arguments before the command. */
export function guardArgs(limitMs: number): string[] {
  return ["-k", String(GUARD_KILL_AFTER_S), String(guardSeconds(limitMs))];
}

/**
 * `cmd` under the guard, for a container: `sh` runs `timeout` when the image has
 * it (every Debian, Ubuntu and Rocky image does: coreutils is essential there);
 * an image without it runs `cmd` as before, saying in the log that only the
 * worker will stop it.
 */
export function guardedCommand(cmd: readonly string[], limitMs: number): string[] {
  const script = [
    `if command -v timeout >/dev/null 2>&1; then exec timeout ${guardArgs(limitMs).join(" ")} "$@"; fi`,
    `echo "heimdall-build: this image has no timeout command: only its worker stops this build at its time limit" >&2`,
    `exec "$@"`,
  ].join("\n");
  return ["/bin/sh", "-c", script, "heimdall-time-guard", ...cmd];
}

/** Whether a build that exited by itself was ended by the guard: its status, and past its limit. */
export function endedByGuard(exitCode: number, elapsedMs: number, limitMs: number): boolean {
  return GUARD_STATUSES.includes(exitCode) && elapsedMs >= limitMs;
}
