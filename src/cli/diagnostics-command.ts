/** `heimdall-build diagnostics LOG`: a build log read as the worker reads it, printed compiler-style or as JSON. */
import { createReadStream } from "node:fs";
import { DiagnosticsStream } from "../diagnostics/engine.ts";
import { type Annotation, Annotator } from "../report/annotations.ts";
import { compilerStyle } from "../report/compiler-style.ts";
import type { CliIo } from "./program.ts";

export interface DiagnosticsOptions {
  readonly root: readonly string[];
  readonly buildDir: readonly string[];
  readonly compiler?: "gcc" | "clang";
  readonly label?: string;
  readonly json?: boolean;
}

export async function diagnosticsCommand(log: string, options: DiagnosticsOptions, io: CliIo): Promise<number> {
  const stream = new DiagnosticsStream(options.compiler ? { compiler: options.compiler } : {});
  const annotator = new Annotator({
    roots: options.root,
    buildDirs: options.buildDir,
    ...(options.label ? { label: options.label } : {}),
  });
  try {
    // Streamed: a log of gigabytes is read in chunks, never whole.
    for await (const chunk of createReadStream(log === "-" ? "/dev/stdin" : log)) {
      for (const diagnostic of stream.write(chunk as Buffer)) annotator.add(diagnostic);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    io.stderr(`heimdall-build diagnostics: cannot read ${log}: ${code}\n`);
    return 2;
  }
  for (const diagnostic of stream.end()) annotator.add(diagnostic);
  const { annotations, unplaced, dropped } = annotator.result();
  if (options.json) {
    io.stdout(`${JSON.stringify(annotations, null, 2)}\n`);
    return 0;
  }
  for (const a of annotations) io.stdout(`${compilerStyle(a)}\n`);
  for (const d of unplaced) {
    const where = d.location ? `${d.location.path}${d.location.line ? `:${d.location.line}` : ""}: ` : "";
    io.stdout(
      `${where}${d.severity}: ${d.message}${d.code ? ` [${d.code}]` : ""} (${d.tool}, not in the repository)\n`,
    );
  }
  const count = (level: Annotation["annotation_level"]) =>
    annotations.filter((a) => a.annotation_level === level).length;
  const more = dropped.failure + dropped.warning + dropped.notice;
  io.stderr(
    `${count("failure")} errors, ${count("warning")} warnings, ${count("notice")} notes in the repository; ${unplaced.length} elsewhere` +
      (more > 0
        ? `; ${more} more not kept (${dropped.failure} errors, ${dropped.warning} warnings, ${dropped.notice} notes)`
        : "") +
      "\n",
  );
  return 0;
}
