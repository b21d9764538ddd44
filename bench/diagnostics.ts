/**
 * Diagnostics engine throughput and memory on a generated build log, next to a
 * plain line-splitting baseline in the same run. Each reader runs in its own
 * process so its peak RSS is its own.
 *
 *   node bench/diagnostics.ts [--mb 200]     (writes its logs to a temp folder, then removes them)
 *
 * Goal (issue 3): at least 100 MB/s, and peak memory that does not grow with
 * the log's size (compare the two sizes' RSS).
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DiagnosticsStream } from "../src/diagnostics/engine.ts";
import { LineSplitter } from "../src/diagnostics/lines.ts";
import { Annotator } from "../src/report/annotations.ts";

const self = fileURLToPath(import.meta.url);

type Mode = "split" | "lines" | "engine" | "annotate";

async function child(mode: Mode, file: string) {
  const started = process.hrtime.bigint();
  let count = 0;
  const splitter = new LineSplitter();
  const stream = new DiagnosticsStream();
  const annotator = new Annotator({ roots: ["/work/src"], buildDirs: ["/work/src/build"] });
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const buffer = chunk as Buffer;
    if (mode === "split") {
      // The least any log reader does: find the newlines.
      for (let at = buffer.indexOf(10); at !== -1; at = buffer.indexOf(10, at + 1)) count++;
    } else if (mode === "lines") {
      count += splitter.push(buffer).length;
    } else {
      for (const diagnostic of stream.write(buffer)) {
        count++;
        if (mode === "annotate") annotator.add(diagnostic);
      }
    }
  }
  if (mode === "engine" || mode === "annotate") {
    for (const diagnostic of stream.end()) {
      count++;
      if (mode === "annotate") annotator.add(diagnostic);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { maxRSS } = process.resourceUsage();
  process.stdout.write(JSON.stringify({ seconds, count, rssMiB: maxRSS / 1024 }));
}

export type LogKind = "typical" | "dense";

/**
 * A log shaped like a real CMake + Ninja build. "typical": a verbose build
 * (`ninja -v`: every compiler command printed), one translation unit in eight
 * with a warning, one in fifty with an error and its notes, test output at the
 * end of each hundred. "dense": every translation unit warns and fails, the
 * parser's worst case.
 */
export async function generate(file: string, megabytes: number, kind: LogKind) {
  const out = createWriteStream(file);
  const target = megabytes * 1024 * 1024;
  let written = 0;
  let n = 0;
  while (written < target) {
    n++;
    const f = `src/module${n % 97}/file${n % 1013}.cpp`;
    const line = ((n * 37) % 4000) + 1;
    const block: string[] = [
      `[${n}/99999] /usr/bin/g++-12 -DHEIMDALL_EXAMPLE -I/work/src/include -I/work/src/third_party/fmt/include -O2 -g -DNDEBUG -std=c++20 -Wall -Wextra -Wpedantic -fdiagnostics-color=always -MD -MT CMakeFiles/app.dir/${f}.o -MF CMakeFiles/app.dir/${f}.o.d -o CMakeFiles/app.dir/${f}.o -c /work/src/${f}`,
    ];
    if (kind === "dense" || n % 8 === 0) {
      block.push(
        `/work/src/${f}: In function ‘int compute${n % 50}(int)’:`,
        `/work/src/${f}:${line}:9: warning: unused variable ‘tmp${n % 7}’ [-Wunused-variable]`,
        ` ${String(line).padStart(4)} |     int tmp${n % 7} = ${n};`,
        "      |         ^~~~",
        `/work/src/${f}:${line + 3}:12: warning: comparison of integer expressions of different signedness: ‘int’ and ‘size_t’ [-Wsign-compare]`,
        ` ${String(line + 3).padStart(4)} |   for (int i = 0; i < v.size(); ++i) {}`,
        "      |                   ~~^~~~~~~~~~",
      );
    }
    if (kind === "dense" || n % 50 === 0) {
      block.push(
        "In file included from /usr/include/c++/12/vector:64,",
        `                 from /work/src/${f}:2:`,
        "/usr/include/c++/12/bits/stl_vector.h:1276:7: note: candidate: ‘void std::vector<_Tp>::push_back(const value_type&)’",
        " 1276 |       push_back(const value_type& __x)",
        "      |       ^~~~~~~~~",
        `\u001b[01m\u001b[K/work/src/${f}:${line + 9}:5:\u001b[m\u001b[K \u001b[01;31m\u001b[Kerror: \u001b[m\u001b[K‘missing${n % 11}’ was not declared in this scope`,
        ` ${String(line + 9).padStart(4)} |     missing${n % 11}();`,
        "      |     ^~~~~~~~",
      );
    }
    if (n % 100 === 0) {
      for (let t = 1; t <= 5; t++) {
        block.push(`${t}/5 Test #${t}: suite${n}.case${t} ......................   Passed    0.0${t} sec`);
      }
    }
    const text = `${block.join("\n")}\n`;
    out.write(text);
    written += Buffer.byteLength(text);
    if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

/** V8 grows its heap with the garbage rate; capped, a run that held on to the log would fail. */
const CAPPED_HEAP = ["--max-old-space-size=48", "--max-semi-space-size=2"];

function run(mode: Mode, file: string, capped = false) {
  const flags = capped ? CAPPED_HEAP : [];
  const output = execFileSync(process.execPath, [...flags, self, "--child", mode, file], { encoding: "utf8" });
  return JSON.parse(output) as { seconds: number; count: number; rssMiB: number };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1] as Mode, args[2] ?? "");
  const mb = Number(args[args.indexOf("--mb") + 1] || 200) || 200;
  const dir = mkdtempSync(path.join(tmpdir(), "heimdall-bench-"));
  try {
    const rows: string[][] = [["log", "size", "reader", "MB/s", "x baseline", "peak RSS MiB", "items"]];
    for (const kind of ["typical", "dense"] as const) {
      for (const size of [Math.max(1, Math.round(mb / 4)), mb]) {
        const file = path.join(dir, `build-${kind}-${size}.log`);
        await generate(file, size, kind);
        const megabytes = statSync(file).size / 1024 / 1024;
        const baseline = run("split", file);
        for (const [mode, capped] of [
          ["split", false],
          ["lines", false],
          ["engine", false],
          ["annotate", false],
          ["annotate", true],
        ] as const) {
          const r = mode === "split" ? baseline : run(mode, file, capped);
          rows.push([
            kind,
            `${megabytes.toFixed(0)} MB`,
            capped ? `${mode} (48 MiB heap)` : mode,
            (megabytes / r.seconds).toFixed(1),
            (baseline.seconds / r.seconds).toFixed(3),
            r.rssMiB.toFixed(1),
            String(r.count),
          ]);
        }
        rmSync(file);
      }
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    for (const row of rows) console.log(row.map((c, i) => c.padStart(widths[i] ?? 0)).join("  "));
    console.log(
      "\nsplit: newline search only; lines: + decode, length bound, ANSI strip; engine: + all parsers; annotate: + paths, dedup, fingerprints (bounded);" +
        "\n(48 MiB heap): the same with V8's old space capped, which fails if memory grows with the log",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === self) await main();
