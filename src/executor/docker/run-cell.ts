/**
 * One attempt of a cell in a hardened container: the workspace mounted at
 * /work/src, the cell's script run, the output streamed live into the
 * diagnostics engine and to the caller's log sink, phases timed, the test
 * results read back. The build's output and files are untrusted.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { cellScript, SOURCE_DIR } from "../cell-script.ts";
import { type CellRunRequest, type CellRunResult, DEFAULT_CACHE_MAX_SIZE } from "../executor.ts";
import { OutputObserver } from "../output-observer.ts";
import { CACHE_DIR, type CellCache, prepareCacheVolume } from "./cache-volume.ts";
import { type ContainerLimits, DEFAULT_LIMITS, runContainer } from "./container.ts";

export interface DockerCellRunRequest extends CellRunRequest {
  readonly docker: Docker;
  /** The image to run in (already built or present). */
  readonly image: string;
  /** Network inside the container: only for trusted builds whose config asks for it. */
  readonly network: boolean;
  readonly limits?: ContainerLimits;
  /**
   * The compiler cache shared between builds: a Docker named volume mounted
   * at /ccache (see cacheVolumeName), used only when the config asks for a
   * cache. null or absent: a cache of the workspace's own, as good as none.
   */
  readonly cache?: CellCache | null;
  /** Docker labels on the build's container. */
  readonly labels?: Readonly<Record<string, string>>;
}

const run = promisify(execFile);

export async function runCell(request: DockerCellRunRequest): Promise<CellRunResult> {
  const nonce = randomBytes(8).toString("hex");
  const script = cellScript({ cell: request.cell, settings: request.settings, nonce, jobs: request.jobs ?? 2 });
  const user = await prepareWorkspace(request.workspace);
  const shared = request.settings.cache && request.cache ? request.cache : null;
  if (shared) {
    const { docker, image, labels = {} } = request;
    await prepareCacheVolume({ docker, image, volume: shared.volume, user, labels });
  }

  const observer = new OutputObserver({ ...request, nonce, sourceDirs: [SOURCE_DIR] });

  const container = runContainer(request.docker, {
    image: request.image,
    cmd: ["bash", "-c", script],
    // Without a shared volume, the cache is the workspace's own (gone with it).
    env: {
      CCACHE_DIR: shared ? CACHE_DIR : `${SOURCE_DIR}/.heimdall/ccache`,
      CCACHE_MAXSIZE: shared?.maxSize ?? DEFAULT_CACHE_MAX_SIZE,
      HOME: "/tmp",
    },
    user,
    workdir: SOURCE_DIR,
    network: request.network,
    limits: request.limits ?? DEFAULT_LIMITS,
    timeoutMs: request.timeoutMs,
    ...(request.clock ? { clock: request.clock } : {}),
    binds: [`${request.workspace}:${SOURCE_DIR}`, ...(shared ? [`${shared.volume}:${CACHE_DIR}`] : [])],
    ...(request.labels ? { labels: request.labels } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    keepBytes: 0,
    onBytes: (chunk) => observer.bytes(chunk),
    onOutput: (chunk) => observer.text(chunk),
  });
  // The log is ended (its writable too) whatever happens to the run.
  const result = await container.catch(async (error: unknown) => {
    await observer.abandon();
    throw error;
  });
  return {
    ...(await observer.conclude(result, request.workspace)),
    outputBytes: result.outputBytes,
    oomKilled: result.oomKilled,
  };
}

/**
 * The container runs as uid 1000 (the images' `builder`), never root: a
 * workspace made by a root worker is handed to that uid; a non-root worker
 * runs the container as itself.
 */
async function prepareWorkspace(workspace: string): Promise<string> {
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  if (uid !== 0) return `${uid}:${gid}`;
  await run("chown", ["-R", "1000:1000", workspace]);
  return "1000:1000";
}
