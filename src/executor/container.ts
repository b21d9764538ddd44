/**
 * Run one command in a hardened, throw-away container and collect its output.
 * Hardening is not optional: non-root, every capability dropped, no privilege
 * escalation, pid/memory/CPU limits, no network unless asked for.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";

export interface ContainerLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  readonly cpus: number;
}

export const DEFAULT_LIMITS: ContainerLimits = { memoryBytes: 4 * 1024 ** 3, pids: 1024, cpus: 2 };

export interface ContainerRun {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly workdir?: string;
  /** uid:gid; never root. */
  readonly user?: string;
  readonly network?: boolean;
  readonly limits?: ContainerLimits;
  readonly timeoutMs?: number;
  /** Host folders mounted in the container (`/host/path:/container/path[:ro]`). */
  readonly binds?: readonly string[];
  /** Stops the container (within seconds) when aborted: a cancelled cell. */
  readonly signal?: AbortSignal;
  /** Each chunk the container prints, stdout and stderr interleaved. */
  readonly onOutput?: (chunk: string) => void;
  /** Output kept in the result, at most; the rest is only streamed. */
  readonly keepBytes?: number;
}

export interface ContainerResult {
  readonly exitCode: number;
  readonly output: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
}

export async function runContainer(docker: Docker, run: ContainerRun): Promise<ContainerResult> {
  const limits = run.limits ?? DEFAULT_LIMITS;
  const user = run.user ?? "1000:1000";
  if (/^0(:|$)|^root(:|$)/.test(user)) throw new Error("containers never run as root");
  const container = await docker.createContainer({
    Image: run.image,
    Cmd: [...run.cmd],
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
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      AutoRemove: false,
      ...(run.binds ? { Binds: [...run.binds] } : {}),
    },
  });
  try {
    const keep = run.keepBytes ?? 1024 * 1024;
    let output = "";
    let truncated = false;
    const sink = new PassThrough();
    sink.setEncoding("utf8");
    sink.on("data", (chunk: string) => {
      run.onOutput?.(chunk);
      if (output.length + chunk.length <= keep) output += chunk;
      else {
        output += chunk.slice(0, Math.max(0, keep - output.length));
        truncated = true;
      }
    });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
    });
    container.modem.demuxStream(stream, sink, sink);
    await container.start();

    let timedOut = false;
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const waited = container.wait() as Promise<{ StatusCode: number }>;
    const stopped = new Promise<"timeout" | "cancelled">((resolve) => {
      if (run.timeoutMs) timer = setTimeout(() => resolve("timeout"), run.timeoutMs);
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
    clearTimeout(timer);
    await ended;
    return { exitCode: status.StatusCode, output, truncated, timedOut, cancelled };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
