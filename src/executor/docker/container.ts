/**
 * Run one command in a hardened, throw-away container and collect its output.
 * Hardening is not optional: non-root, every capability dropped, no privilege
 * escalation, pid/memory/CPU/open-file limits, no swap, no core dumps, a
 * read-only root with small in-memory scratch folders, no network unless asked
 * for, and nothing the build prints kept by the engine.
 *
 * Disk: with the root read-only, a build writes only to its scratch folders
 * (tmpfs, counted against its memory limit) and to what the caller binds (the
 * workspace). The engine's per-container size limit (`StorageOpt.size`) would
 * bound only the writable layer, which a read-only root does not use, and is
 * refused by overlay2 unless /var/lib/docker is XFS with project quotas; so it
 * is not set. The workspace is bounded only by its host filesystem: a quota
 * there is the operator's.
 */
import type Docker from "dockerode";
import { Utf8Chunks } from "../../diagnostics/utf8.ts";
import { endedByGuard, guardedCommand, type LimitClock, realClock } from "../time-guard.ts";

export interface ContainerLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  readonly cpus: number;
  /** The size of each scratch folder (tmpfs, counted against memoryBytes too); 1 GiB by default. */
  readonly tmpBytes?: number;
  /** Open files per process (soft and hard); 8192 by default. */
  readonly nofile?: number;
}

const DEFAULT_TMP_BYTES = 1024 ** 3;
const DEFAULT_NOFILE = 8192;

/**
 * Removes every container carrying all of `labels` (a dead worker's, an
 * interrupted run's), running or not. Callers name their deployment among the
 * labels: another deployment's containers on the same engine are never matched.
 */
export async function removeLabelledContainers(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
): Promise<void> {
  const filter = labelFilter(labels);
  if (filter.length === 0) throw new Error("removeLabelledContainers needs a label: it would remove every container");
  const found = await docker.listContainers({ all: true, filters: { label: filter } }).catch(() => []);
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Docker's `label` filter matching containers that carry all of `labels`. */
export function labelFilter(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([label, value]) => `${label}=${value}`);
}

export const DEFAULT_LIMITS: ContainerLimits = {
  memoryBytes: 4 * 1024 ** 3,
  pids: 1024,
  cpus: 2,
  tmpBytes: DEFAULT_TMP_BYTES,
  nofile: DEFAULT_NOFILE,
};

/** Writable folders on the read-only root: /tmp, and the images' build user's home. */
export const DEFAULT_SCRATCH: readonly string[] = ["/tmp", "/home/builder"];

export interface ContainerRun {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly workdir?: string;
  /** uid:gid; never root. */
  readonly user?: string;
  readonly network?: boolean;
  readonly limits?: ContainerLimits;
  /**
   * The run's time limit: the caller's timer kills the container then, and a
   * guard inside it (time-guard.ts) ends it a little later should the caller be
   * gone. The command then runs under `/bin/sh` and `timeout` (when the image has it).
   */
  readonly timeoutMs?: number;
  /** The caller's clock for its time limit (tests hold it back); the real one by default. */
  readonly clock?: LimitClock;
  /** Host folders mounted in the container (`/host/path:/container/path[:ro]`). */
  readonly binds?: readonly string[];
  /** Docker labels, so a worker can find the containers of an attempt (a dead worker's). */
  readonly labels?: Readonly<Record<string, string>>;
  /** In-memory writable folders (each limits.tmpBytes at most); DEFAULT_SCRATCH by default. */
  readonly scratch?: readonly string[];
  /** Stops the container (within seconds) when aborted: a cancelled cell. */
  readonly signal?: AbortSignal;
  /** Each chunk the container prints, stdout and stderr interleaved, as text. */
  readonly onOutput?: (chunk: string) => void;
  /**
   * Each chunk the container prints, as bytes (before onOutput sees it). A
   * returned promise pauses the container's output until it settles: the
   * build then blocks on its writes, and nothing is buffered here.
   */
  readonly onBytes?: (chunk: Buffer) => Promise<void> | undefined;
  /** The container's id, once it has started (for stats, in tests). */
  readonly onStarted?: (id: string) => void;
  /** Output kept in the result, at most; the rest is only streamed. */
  readonly keepBytes?: number;
}

export interface ContainerResult {
  readonly exitCode: number;
  readonly output: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** The kernel killed a process of the container for its memory limit. */
  readonly oomKilled: boolean;
  /** Bytes the container printed. */
  readonly outputBytes: number;
}

export async function runContainer(docker: Docker, run: ContainerRun): Promise<ContainerResult> {
  const limits = run.limits ?? DEFAULT_LIMITS;
  const user = run.user ?? "1000:1000";
  if (/^0(:|$)|^root(:|$)/.test(user)) throw new Error("containers never run as root");
  const nofile = limits.nofile ?? DEFAULT_NOFILE;
  const clock = run.clock ?? realClock;
  const container = await docker.createContainer({
    Image: run.image,
    ...(run.labels ? { Labels: { ...run.labels } } : {}),
    Cmd: run.timeoutMs ? guardedCommand(run.cmd, run.timeoutMs) : [...run.cmd],
    Env: Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${v}`),
    WorkingDir: run.workdir ?? "/work",
    User: user,
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    NetworkDisabled: !run.network,
    HostConfig: {
      NetworkMode: run.network ? "bridge" : "none",
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      PidsLimit: limits.pids,
      Memory: limits.memoryBytes,
      // Equal to Memory: no swap on top.
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      ReadonlyRootfs: true,
      Tmpfs: scratchMounts(run.scratch ?? DEFAULT_SCRATCH, user, limits.tmpBytes ?? DEFAULT_TMP_BYTES),
      Ulimits: [
        { Name: "nofile", Soft: nofile, Hard: nofile },
        // A crashing test must not write a core file (or feed the host's core handler).
        { Name: "core", Soft: 0, Hard: 0 },
      ],
      // When the host runs short of memory, a build goes before the worker or the engine.
      OomScoreAdj: 500,
      // The output is streamed to the caller; the engine keeps no copy of it on its disk.
      LogConfig: { Type: "none", Config: {} },
      AutoRemove: false,
      // Docker's init (tini) as pid 1: it reaps what the build orphans, and when the guard's
      // `timeout` exits, so does it, which ends every process left in the container.
      ...(run.timeoutMs ? { Init: true } : {}),
      ...(run.binds ? { Binds: [...run.binds] } : {}),
    },
  });
  try {
    const keep = run.keepBytes ?? 1024 * 1024;
    let output = "";
    let truncated = false;
    let outputBytes = 0;
    const decoder = new Utf8Chunks();
    const wantText = run.onOutput !== undefined || keep > 0;
    const text = (chunk: string) => {
      if (chunk === "") return;
      run.onOutput?.(chunk);
      if (output.length + chunk.length <= keep) output += chunk;
      else {
        output += chunk.slice(0, Math.max(0, keep - output.length));
        truncated = true;
      }
    };
    const frames = new FrameReader();
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
    });
    stream.on("data", (chunk: Buffer) => {
      const waits: Promise<void>[] = [];
      frames.push(chunk, (payload) => {
        outputBytes += payload.length;
        const wait = run.onBytes?.(payload);
        if (wait) waits.push(wait);
        if (wantText) text(decoder.write(payload));
      });
      if (waits.length > 0) {
        stream.pause();
        void Promise.allSettled(waits).then(() => stream.resume());
      }
    });
    // Before the start: the guard's clock cannot have run longer than this one.
    const started = clock.now();
    await container.start();
    run.onStarted?.(container.id);

    let timedOut = false;
    let cancelled = false;
    let cancelTimer: (() => void) | undefined;
    const waited = container.wait() as Promise<{ StatusCode: number }>;
    const timeoutMs = run.timeoutMs;
    const stopped = new Promise<"timeout" | "cancelled">((resolve) => {
      if (timeoutMs) cancelTimer = clock.after(timeoutMs, () => resolve("timeout"));
      if (run.signal?.aborted) resolve("cancelled");
      run.signal?.addEventListener("abort", () => resolve("cancelled"), { once: true });
    });
    const first = await Promise.race([waited, stopped]);
    if (first === "timeout" || first === "cancelled") {
      timedOut = first === "timeout";
      cancelled = first === "cancelled";
      await container.kill().catch(() => undefined);
    }
    const status = typeof first === "string" ? await waited : first;
    cancelTimer?.();
    // Ended by its guard while this worker's timer had not fired (its event loop held up): timed out all the same.
    if (typeof first !== "string" && timeoutMs && endedByGuard(status.StatusCode, clock.now() - started, timeoutMs)) {
      timedOut = true;
    }
    // Before the container is removed: whether the kernel's OOM killer acted in it.
    const oomKilled = await container.inspect().then(
      (info) => info.State.OOMKilled === true,
      () => false,
    );
    await ended;
    if (wantText) text(decoder.end());
    return { exitCode: status.StatusCode, output, truncated, timedOut, cancelled, oomKilled, outputBytes };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** tmpfs options for each scratch folder: size-limited, executable, no setuid or devices. */
function scratchMounts(folders: readonly string[], user: string, bytes: number): Record<string, string> {
  const [uid, gid] = user.split(":");
  const owner = uid && /^\d+$/.test(uid) ? `,uid=${uid},gid=${gid && /^\d+$/.test(gid) ? gid : uid}` : "";
  const mounts: Record<string, string> = {};
  for (const folder of folders) {
    // /tmp is everyone's (sticky); another folder (a home) is the build user's.
    const access = folder === "/tmp" || owner === "" ? ",mode=1777" : `${owner},mode=0755`;
    mounts[folder] = `rw,exec,nosuid,nodev,size=${bytes}${access}`;
  }
  return mounts;
}

/**
 * Docker's multiplexed stream (no TTY): frames of an 8-byte header (stream
 * type, 3 zero bytes, payload length big-endian) then the payload. Payloads
 * are handed on as they arrive, a frame split across chunks in pieces, without
 * copying.
 */
class FrameReader {
  private readonly header = Buffer.alloc(8);
  private headerBytes = 0;
  private left = 0;

  push(chunk: Buffer, payload: (bytes: Buffer) => void) {
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0) {
        const n = Math.min(8 - this.headerBytes, chunk.length - at);
        chunk.copy(this.header, this.headerBytes, at, at + n);
        this.headerBytes += n;
        at += n;
        if (this.headerBytes < 8) return;
        this.headerBytes = 0;
        this.left = this.header.readUInt32BE(4);
        continue;
      }
      const n = Math.min(this.left, chunk.length - at);
      payload(chunk.subarray(at, at + n));
      this.left -= n;
      at += n;
    }
  }
}
