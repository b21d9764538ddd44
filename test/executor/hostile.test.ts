/**
 * Hostile builds against the real engine: the container's limits hold (pids,
 * memory, no network, read-only root, non-root without capabilities) and the
 * worker's memory stays bounded whatever the build prints. First CappedLog on
 * its own.
 */
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Cell } from "../../src/config/matrix.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { buildNetwork } from "../../src/config/trust.ts";
import { runAttempt } from "../../src/executor/attempt.ts";
import type { BuildSettings } from "../../src/executor/cell-script.ts";
import { type ContainerLimits, runContainer } from "../../src/executor/docker/container.ts";
import { DockerExecutor } from "../../src/executor/docker/docker-executor.ts";
import { runCell } from "../../src/executor/docker/run-cell.ts";
import type { CellRunRequest } from "../../src/executor/executor.ts";
import { CappedLog, cutMarker } from "../../src/executor/log-sink.ts";
import { FsStore } from "../../src/storage/fs-store.ts";
import { requireDocker } from "../support/docker.ts";
import { configured, gcc12Image, scriptConfig } from "../support/executor.ts";

const MiB = 1024 * 1024;

/** A writable that keeps what it is given; `delayMs(chunk)` before each callback (never, if null). */
function collector(options: { highWaterMark?: number; delayMs?: (chunk: Buffer) => number | null } = {}) {
  const state = { bytes: 0, head: Buffer.alloc(0), last: Buffer.alloc(0), maxBuffered: 0, ended: false };
  const writable = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      state.bytes += chunk.length;
      if (state.head.length < 4096) state.head = Buffer.concat([state.head, chunk]).subarray(0, 4096);
      state.last = Buffer.concat([state.last, chunk]).subarray(-4096);
      state.maxBuffered = Math.max(state.maxBuffered, writable.writableLength);
      const delay = options.delayMs ? options.delayMs(chunk) : 0;
      if (delay === null) return;
      if (delay > 0) setTimeout(callback, delay);
      else setImmediate(callback);
    },
    final(callback) {
      state.ended = true;
      callback();
    },
  });
  return { writable, state };
}

describe("CappedLog", () => {
  test("forwards up to maxBytes, then counts only; the marker comes at the end with both figures", async () => {
    const { writable, state } = collector();
    const log = new CappedLog({ maxBytes: 10, writable });
    log.write(Buffer.from("0123456"));
    log.write(Buffer.from("789abc"));
    log.write(Buffer.from("defghij"));
    expect(log.summary()).toMatchObject({ bytes: 20, kept: 10, truncated: true });
    const summary = await log.end();
    expect(summary).toEqual({ bytes: 20, kept: 10, truncated: true, tail: "0123456789abcdefghij" });
    expect(state.head.toString()).toBe(`0123456789${cutMarker(10, 20)}`);
    expect(cutMarker(10, 20)).toBe("\n[heimdall-build: the log was cut at 10 bytes; the build printed 20 bytes]\n");
    expect(state.ended).toBe(true);
  });

  test("a log within its cap is forwarded whole, without a marker", async () => {
    const { writable, state } = collector();
    const log = new CappedLog({ maxBytes: 10, writable });
    log.write(Buffer.from("0123456789"));
    expect(await log.end()).toEqual({ bytes: 10, kept: 10, truncated: false, tail: "0123456789" });
    expect(state.head.toString()).toBe("0123456789");
  });

  test("the tail is the last tailBytes of everything printed, from a character's start", () => {
    const log = new CappedLog({ maxBytes: 4, tailBytes: 8 });
    log.write(Buffer.from("abc"));
    expect(log.tail()).toBe("abc");
    log.write(Buffer.from("defgh"));
    expect(log.tail()).toBe("abcdefgh");
    log.write(Buffer.from("ij"));
    expect(log.tail()).toBe("cdefghij");
    log.write(Buffer.from("0123456789xyz"));
    expect(log.tail()).toBe("6789xyz".padStart(8, "5"));
    log.write(Buffer.from("1234é56")); // "é" is two bytes
    expect(log.tail()).toBe("1234é56");
    // The ring now starts on the second byte of "é", which is skipped.
    log.write(Buffer.from("abcde"));
    expect(log.tail()).toBe("56abcde");
    // A character not yet complete is left out until it is.
    log.write(Buffer.from([0xc3]));
    expect(log.tail()).toBe("56abcde");
    log.write(Buffer.from([0xa9]));
    expect(log.tail()).toBe("6abcdeé");
    expect(log.kept).toBe(4);
    expect(log.bytes).toBe(3 + 5 + 2 + 13 + 8 + 5 + 1 + 1);
  });

  test("the cut does not split a character", async () => {
    const { writable, state } = collector();
    const log = new CappedLog({ maxBytes: 5, writable });
    log.write(Buffer.from("abcd€")); // € is 3 bytes: 4 + 3 > 5
    const summary = await log.end();
    expect(summary.kept).toBe(4);
    expect(state.head.toString("utf8")).toBe(`abcd${cutMarker(4, 7)}`);
  });

  test("a full writable: write returns a promise that settles on drain, and nothing is lost", async () => {
    let release: (() => void) | undefined;
    let written = 0;
    // Holds each write until released.
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        release = callback;
      },
    });
    const log = new CappedLog({ writable: slow, maxBytes: 100 });
    const wait = log.write(Buffer.from("0123456789"));
    expect(wait).toBeInstanceOf(Promise);
    let settled = false;
    void wait?.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    release?.();
    await wait;
    expect(settled).toBe(true);
    expect(written).toBe(10);
    expect(log.write(Buffer.from("ab"))).toBeUndefined();
  });

  test("a writable that stalls is given up after stallMs: the log is cut there, the rest counted", async () => {
    const { writable } = collector({ highWaterMark: 4, delayMs: () => null });
    const log = new CappedLog({ writable, stallMs: 50 });
    const started = Date.now();
    await log.write(Buffer.from("0123456789"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(log.write(Buffer.from("more"))).toBeUndefined();
    expect(await log.end()).toMatchObject({ bytes: 14, kept: 10, truncated: true });
    expect(log.problem).toBe("the log's writable took nothing for 50 ms");
  });

  test("a writable that fails stops the forwarding and does not throw", async () => {
    const writable = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error("upload refused"));
      },
    });
    const log = new CappedLog({ writable });
    await log.write(Buffer.from("abc"));
    await new Promise((resolve) => setImmediate(resolve));
    log.write(Buffer.from("def"));
    expect(await log.end()).toMatchObject({ bytes: 6, kept: 3, truncated: true, tail: "abcdef" });
    expect(log.problem).toBe("the log's writable failed: upload refused");
  });
});

let docker: Docker;
let image: string;
let scratch: string;
/** The bytes a cell prints before its build phase: the compiler phase's markers and the compilers' names. */
let compilerPhaseBytes: number;

beforeAll(async () => {
  docker = await requireDocker();
  image = await gcc12Image(docker);
  scratch = await mkdtemp(path.join(tmpdir(), "heimdall-hostile-"));
  // Measured on a cell that prints nothing itself: everything before its build marker (the nonce has one length).
  let text = "";
  await runCell({
    docker,
    image,
    workspace: await mkdtemp(path.join(scratch, "measure-")),
    cell: configured(scriptConfig("true")).cells[0] as Cell,
    settings: configured(scriptConfig("true")).settings,
    timeoutMs: 60_000,
    network: false,
    label: "gcc-12",
    onOutput: (chunk) => {
      text += chunk;
    },
  });
  const build = /##heimdall\[[0-9a-f]{16}\] build\n/.exec(text);
  if (!build) throw new Error(`no build marker in:\n${text}`);
  compilerPhaseBytes = Buffer.byteLength(text.slice(0, build.index));
}, 900_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const SMALL: ContainerLimits = { memoryBytes: 256 * MiB, pids: 64, cpus: 1, tmpBytes: 64 * MiB, nofile: 1024 };

/** One `build: script:` cell running `commands` via runCell; the output's own lines (phase markers left out). */
async function script(
  name: string,
  commands: string,
  options: {
    limits?: ContainerLimits;
    timeoutMs?: number;
    log?: CellRunRequest["log"];
    collect?: boolean;
    /** Top-level lines added to the config (`network: true`). */
    config?: string;
    /** A fork's commit: never on the network, whatever its config says. */
    fork?: boolean;
  } = {},
) {
  const parsed = parseConfig(
    // No cache: ccache's counter lines would be output too, which the byte counts here leave out.
    `version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ${JSON.stringify([commands])}\ntests: false\ncache: false\n${options.config ?? ""}`,
  );
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join("\n"));
  const { matrix: _matrix, ...settings } = parsed.config;
  const cell = parsed.cells[0];
  if (!cell) throw new Error("no cell");
  const workspace = path.join(scratch, name);
  await mkdir(workspace);
  let text = "";
  const started = Date.now();
  const result = await runCell({
    docker,
    image,
    workspace,
    cell,
    settings: settings as BuildSettings,
    timeoutMs: options.timeoutMs ?? 60_000,
    // As the worker decides it (worker-job.ts): the config's `network`, never for a fork.
    network: buildNetwork(parsed.config, options.fork ?? false),
    label: "gcc-12",
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.collect === false
      ? {}
      : {
          onOutput: (chunk: string) => {
            text += chunk;
          },
        }),
  });
  const lines = text.split("\n").filter((line) => line !== "" && !line.startsWith("##heimdall["));
  return { result, lines, ms: Date.now() - started, workspace };
}

describe("a hostile build in a real container", () => {
  test("runs as uid 1000 with no capabilities and no way to gain privileges", async () => {
    const { result, lines } = await script(
      "identity",
      "id -u; id -g; grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status",
    );
    expect(result.conclusion).toBe("success");
    expect(lines).toEqual([
      "1000",
      "1000",
      "CapInh:\t0000000000000000",
      "CapPrm:\t0000000000000000",
      "CapEff:\t0000000000000000",
      "CapBnd:\t0000000000000000",
      "CapAmb:\t0000000000000000",
      "NoNewPrivs:\t1",
    ]);
  }, 60_000);

  test("the limits asked for are the ones the kernel applies: pids, memory without swap, CPU, files, scratch", async () => {
    const cgroup = [
      // cgroup v2 first, then v1.
      'cg() { if [ -f "/sys/fs/cgroup/$1" ]; then cat "/sys/fs/cgroup/$1"; else cat "/sys/fs/cgroup/$2"; fi; }',
      'echo "pids $(cg pids.max pids/pids.max)"',
      'echo "memory $(cg memory.max memory/memory.limit_in_bytes)"',
      'if [ -f /sys/fs/cgroup/memory.swap.max ]; then echo "swap $(cat /sys/fs/cgroup/memory.swap.max)"; ' +
        'else echo "swap $(( $(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes) - $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) ))"; fi',
      'if [ -f /sys/fs/cgroup/cpu.max ]; then echo "cpu $(cat /sys/fs/cgroup/cpu.max)"; ' +
        'else echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi',
      'echo "nofile $(ulimit -Sn) $(ulimit -Hn) core $(ulimit -c)"',
      "df -B1 --output=target,size /tmp /home/builder | tail -n +2",
      'echo "home $(stat -c %u /home/builder) tmp $(stat -c %a /tmp)"',
    ].join("\n");
    const { result, lines } = await script("limits", cgroup, {
      limits: { memoryBytes: 300 * MiB, pids: 77, cpus: 1.5, tmpBytes: 64 * MiB, nofile: 1234 },
    });
    expect(result.conclusion, lines.join("\n")).toBe("success");
    expect(lines.map((line) => line.replace(/ +/g, " ").trim())).toEqual([
      "pids 77",
      `memory ${300 * MiB}`,
      "swap 0",
      "cpu 150000 100000",
      "nofile 1234 1234 core 0",
      `/tmp ${64 * MiB}`,
      `/home/builder ${64 * MiB}`,
      "home 1000 tmp 1777",
    ]);
  }, 60_000);

  test("writes outside the workspace and the scratch folders are refused: the root is read-only", async () => {
    const { result, lines, workspace } = await script(
      "writes",
      [
        'for f in /usr/bin/probe /etc/probe /probe /work/probe /var/tmp/probe /home/probe; do if touch "$f" 2>/dev/null; then echo "wrote $f"; else echo "refused $f"; fi; done',
        'if { echo x >> /etc/passwd; } 2>/dev/null; then echo "wrote /etc/passwd"; else echo "refused /etc/passwd"; fi',
        "touch /usr/bin/probe 2>&1 || true",
        'touch /work/src/inside && echo "wrote the workspace"',
        'touch /tmp/probe && echo "wrote /tmp"',
        'touch /home/builder/probe && echo "wrote the home"',
      ].join("\n"),
    );
    expect(result.conclusion, lines.join("\n")).toBe("success");
    expect(lines).toEqual([
      "refused /usr/bin/probe",
      "refused /etc/probe",
      "refused /probe",
      "refused /work/probe",
      "refused /var/tmp/probe",
      "refused /home/probe",
      "refused /etc/passwd",
      "touch: cannot touch '/usr/bin/probe': Read-only file system",
      "wrote the workspace",
      "wrote /tmp",
      "wrote the home",
    ]);
    expect((await stat(path.join(workspace, "inside"))).isFile()).toBe(true);
  }, 60_000);

  test("no network: only lo, a name does not resolve and a connection fails at once", async () => {
    const { result, lines, ms } = await script(
      "network",
      [
        'echo "interfaces $(ls /sys/class/net | tr "\\n" " ")"',
        'if getent hosts deb.debian.org; then echo resolved; else echo "getent $?"; fi',
        'if (echo > /dev/tcp/1.1.1.1/53) 2>/tmp/err; then echo connected; else echo "tcp $(tail -n 1 /tmp/err)"; fi',
      ].join("\n"),
    );
    expect(result.conclusion, lines.join("\n")).toBe("success");
    expect(lines[0]).toBe("interfaces lo ");
    expect(lines[1]).toBe("getent 2");
    expect(lines[2]).toMatch(/^tcp \w+: line \d+: \/dev\/tcp\/1\.1\.1\.1\/53: Network is unreachable$/);
    expect(lines).toHaveLength(3);
    expect(ms).toBeLessThan(15_000);
  }, 60_000);

  test.each([
    { config: "network: true", fork: false, interfaces: "eth0 lo" },
    { config: "network: true", fork: true, interfaces: "lo" },
  ])(
    "$config, fork $fork: the container's interfaces are $interfaces",
    async ({ config, fork, interfaces }) => {
      const { result, lines } = await script(`network-${fork}`, 'echo "$(ls /sys/class/net | tr "\\n" " ")"', {
        config,
        fork,
      });
      expect(result.conclusion, lines.join("\n")).toBe("success");
      expect(lines).toEqual([`${interfaces} `]);
    },
    60_000,
  );

  test("a fork bomb is held at the pids limit, ends at its timeout, and the next container runs normally", async () => {
    let id = "";
    let peak = 0;
    let sampling: Promise<void> = Promise.resolve();
    const started = Date.now();
    const bomb = await runContainer(docker, {
      image,
      // The shell forks the bomb once, then becomes `sleep` (no fork needed) until the timeout.
      cmd: ["bash", "-c", "bomb() { bomb | bomb & }; bomb; exec sleep 60"],
      limits: SMALL,
      timeoutMs: 6000,
      onStarted: (started) => {
        id = started;
        sampling = (async () => {
          for (;;) {
            const stats = (await docker
              .getContainer(started)
              .stats({ stream: false })
              .catch(() => null)) as { pids_stats?: { current?: number } } | null;
            if (!stats?.pids_stats?.current) return;
            peak = Math.max(peak, stats.pids_stats.current);
          }
        })();
      },
    });
    const ms = Date.now() - started;
    await sampling;
    expect(bomb.timedOut).toBe(true);
    expect(bomb.exitCode).toBe(137);
    expect(bomb.output).toContain("fork: retry: Resource temporarily unavailable");
    expect(peak).toBe(SMALL.pids);
    expect(ms).toBeLessThan(30_000);
    // Removed with everything it started.
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });

    const next = Date.now();
    const fine = await runContainer(docker, { image, cmd: ["echo", "fine"], limits: SMALL, timeoutMs: 30_000 });
    expect(fine).toMatchObject({ exitCode: 0, output: "fine\n", timedOut: false, oomKilled: false });
    expect(Date.now() - next).toBeLessThan(10_000);
  }, 90_000);

  test("a build taking 8 GiB is killed at the memory limit: failure, exit 137, OOMKilled", async () => {
    const { result, ms } = await script("memory", "head -c 8G /dev/zero | tail", { limits: SMALL });
    expect(result.conclusion).toBe("failure");
    expect(result.exitCode).toBe(137);
    expect(result.failedPhase).toBe("build");
    expect(result.phases.build?.status).toBe(137);
    expect(result.oomKilled).toBe(true);
    expect(ms).toBeLessThan(60_000);
  }, 90_000);

  test("killed for memory, the cell's check run says so and names the limit", async () => {
    const { cells, settings } = configured(
      `version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ["head -c 8G /dev/zero | tail"]\ntests: false\nsbom: false\n`,
    );
    const workspace = path.join(scratch, "memory-report");
    await mkdir(workspace);
    const report = await runAttempt({
      cell: cells[0] as (typeof cells)[number],
      settings,
      workspace,
      executor: new DockerExecutor({ docker, network: false, limits: SMALL }).inImage(image),
      repository: "o/r",
      headSha: "c".repeat(40),
      jobs: 1,
      outputs: null,
    });
    expect(report.result).toMatchObject({ conclusion: "failure", oomKilled: true });
    expect(report.memoryLimit).toBe(256 * MiB);
    expect(report.summary.title).toBe("Killed: out of memory (limit 256 MiB)");
    expect(report.summary.summary.split("\n")[0]).toMatch(
      /^❌ Killed: out of memory in the build step after .+: a process of the build went past the memory limit \(256 MiB\) and the kernel killed it\.$/,
    );
  }, 90_000);

  test("artifacts refused by collection are listed in the summary with why, 20 at most", async () => {
    // A link to a host file, a fifo, and 125 files for a limit of 100 (25 refused, after the sorted first 100).
    const commands = [
      "mkdir -p out",
      "ln -s /etc/passwd out/0-passwd",
      "mkfifo out/0-pipe",
      "for i in $(seq -w 1 125); do echo $i > out/file-$i.txt; done",
    ];
    const { cells, settings } = configured(
      `version: 1\nmatrix:\n  compiler: [gcc@12]\nbuild:\n  script:\n    commands: ${JSON.stringify(commands)}\ntests: false\nsbom: false\nartifacts: ["out/*"]\n`,
    );
    const workspace = path.join(scratch, "refused-artifacts");
    const stored = path.join(scratch, "refused-artifacts-store");
    await mkdir(workspace);
    const store = new FsStore(stored);
    const report = await runAttempt({
      cell: cells[0] as (typeof cells)[number],
      settings,
      workspace,
      executor: new DockerExecutor({ docker, network: false }).inImage(image),
      repository: "o/r",
      headSha: "c".repeat(40),
      jobs: 1,
      outputs: {
        store,
        keys: {
          log: "cell/build.log",
          sbom: "cell/sbom.cdx.json",
          compileCommands: "cell/compile_commands.json",
          artifact: (file) => `cell/artifacts/${file}`,
          projectSbom: (file) => `cell/project-sbom/${file}`,
        },
        link: async (key) => key,
      },
    });
    expect(report.result.conclusion).toBe("success");
    expect(report.links.artifacts).toHaveLength(100);
    const summary = report.summary.summary;
    const section = summary.slice(summary.indexOf("### Artifacts not kept")).split("\n");
    expect(section).toEqual([
      "### Artifacts not kept (27)",
      "",
      "- `out/0-passwd` — a symbolic link\\: not followed",
      "- `out/0-pipe` — not a regular file \\(a fifo\\)",
      ...Array.from({ length: 18 }, (_, i) => `- \`out/file-${101 + i}.txt\` — over the limit of 100 artifact files`),
      "- ... and 7 more",
    ]);
  }, 90_000);

  test("a build printing 2 GiB: the log cut at 10 MiB with the marker, the worker's memory bounded", async () => {
    const { writable, state } = collector({ highWaterMark: MiB });
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }, 100);
    const cpuBefore = process.cpuUsage();
    let outcome: Awaited<ReturnType<typeof script>>;
    try {
      outcome = await script("print-2g", `yes "$(printf '%0127d' 0 | tr 0 x)" | head -c 2G`, {
        timeoutMs: 600_000,
        log: { maxBytes: 10 * MiB, writable },
        collect: false,
      });
    } finally {
      clearInterval(sampler);
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const cpu = process.cpuUsage(cpuBefore);
    const { result, ms } = outcome;
    // The phase markers the cell script prints are output too: `##heimdall[<16 hex>] build` and `... end 0`.
    // Before them, the compiler phase's (compilerPhaseBytes).
    const first = compilerPhaseBytes + "##heimdall[0123456789abcdef] build\n".length;
    const bytes = 2 ** 31 + first + "\n##heimdall[0123456789abcdef] end 0\n".length;
    // The cut falls in a line of x: what of it was kept.
    const partial = (10 * MiB - first) % 128;
    expect(result.conclusion).toBe("success");
    expect(result.phases.build?.status).toBe(0);
    expect(result.outputBytes).toBe(bytes);
    expect(result.log).toMatchObject({ bytes, kept: 10 * MiB, truncated: true });
    expect(state.bytes).toBe(10 * MiB + cutMarker(10 * MiB, bytes).length);
    expect(state.head.toString()).toMatch(
      /^##heimdall\[[0-9a-f]{16}\] compiler\n[\s\S]*\n##heimdall\[[0-9a-f]{16}\] build\n(x{127}\n)+/,
    );
    expect(state.last.toString().endsWith(`\n${"x".repeat(partial)}${cutMarker(10 * MiB, bytes)}`)).toBe(true);
    expect(state.ended).toBe(true);
    expect(result.log.tail).toHaveLength(64 * 1024);
    expect(result.log.tail).toMatch(/x{127}\n\n##heimdall\[[0-9a-f]{16}\] end 0\n$/);
    expect(result.diagnostics.annotations).toEqual([]);
    const growth = rssPeak - rssBefore;
    console.info(
      `2 GiB printed: ${(ms / 1000).toFixed(1)} s, ${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s, ` +
        `worker CPU ${(cpu.user / 1e6).toFixed(1)} s user + ${(cpu.system / 1e6).toFixed(1)} s system, ` +
        `RSS growth ${(growth / MiB).toFixed(1)} MiB, writable's buffer at most ${(state.maxBuffered / 1024).toFixed(0)} KiB`,
    );
    expect(growth).toBeLessThan(200 * MiB);
    expect(ms).toBeLessThan(300_000);
  }, 600_000);

  test("a slow writable slows the build (its output paused), buffers nothing extra and loses nothing", async () => {
    // 8 MiB/s (8 bytes a microsecond is 8 KiB a millisecond).
    const { writable, state } = collector({ highWaterMark: 64 * 1024, delayMs: (chunk) => chunk.length / 8192 });
    const { result, lines } = await script(
      "slow-writable",
      [
        "start=$(date +%s%N)",
        `head -c ${32 * MiB} /dev/zero | tr '\\0' x`,
        'echo; echo "printing took $(( ($(date +%s%N) - start) / 1000000 )) ms"',
      ].join("\n"),
      { log: { writable } },
    );
    expect(result.conclusion).toBe("success");
    expect(result.log).toMatchObject({ kept: result.log.bytes, truncated: false });
    expect(state.bytes).toBe(result.log.bytes);
    // The build itself waited: 32 MiB at 8 MiB/s is 4 s, less what pipes and the engine hold.
    const took = Number(/^printing took (\d+) ms$/.exec(lines.at(-1) ?? "")?.[1]);
    expect(took).toBeGreaterThan(2500);
    // The writable held at most its high-water mark and one chunk more.
    expect(state.maxBuffered).toBeLessThan(64 * 1024 + 256 * 1024);
  }, 60_000);

  test("a writable that stalls does not hold the cell: the log is cut after stallMs and the run ends", async () => {
    const { writable } = collector({ highWaterMark: 64 * 1024, delayMs: () => null });
    const log = new CappedLog({ writable, stallMs: 1000 });
    const { result, ms } = await script("stalled-writable", `head -c ${32 * MiB} /dev/zero | tr '\\0' y`, { log });
    expect(result.conclusion).toBe("success");
    // The output plus the two phase markers (35 bytes each) and the newline that
    // puts the end marker on a line of its own after output that ended none; the compiler phase's before.
    expect(result.log.bytes).toBe(compilerPhaseBytes + 32 * MiB + 71);
    expect(result.log.truncated).toBe(true);
    expect(result.log.kept).toBeLessThan(MiB);
    expect(log.problem).toBe("the log's writable took nothing for 1000 ms");
    expect(ms).toBeLessThan(20_000);
  }, 60_000);
});
