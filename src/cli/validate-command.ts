/** `heimdall-build validate`: the config checked and its matrix shown, as the server would see it. */
import path from "node:path";
import type Docker from "dockerode";
import type { Cell } from "../config/matrix.ts";
import { DEFAULT_CONFIG_FILE, parseConfig } from "../config/parse.ts";
import { formatPath, formatProblem, type PositionedProblem } from "../config/problems.ts";
import { configNamedImage } from "../executor/docker/cell-image.ts";
import { renderTable } from "../report/text-table.ts";
import { readConfigText } from "./config-file.ts";
import { type NamedImagePresence, namedImageNotices, namedImagePresence, namedImages } from "./named-images.ts";
import type { CliIo } from "./program.ts";
import { cliBase, overBase } from "./resolve-base.ts";

export interface ValidateOptions {
  readonly dir: string;
  readonly config?: string;
  readonly json?: boolean;
}

/**
 * Exit 0 for a valid config, whatever Docker says: the config's images that
 * this host lacks are warnings (their cells would fail here, not on a worker
 * that has them), and without an engine they are left unchecked.
 */
export async function validateCommand(
  options: ValidateOptions,
  io: CliIo,
  docker: () => Promise<Docker | null>,
): Promise<number> {
  const file = options.config ?? path.join(options.dir, DEFAULT_CONFIG_FILE);
  const shown = path.relative(io.cwd, path.resolve(io.cwd, file)) || file;
  const text = await readConfigText(path.resolve(io.cwd, file));
  if (typeof text !== "string") {
    io.stderr(`${shown}:1:1: error: ${text.error}\n`);
    if (options.json)
      io.stdout(
        `${JSON.stringify({ errors: [{ file: shown, line: 1, column: 1, field: "", message: text.error }] })}\n`,
      );
    return 1;
  }
  const base = await cliBase(text, io.env ?? process.env);
  const result = parseConfig(text, { file: shown, ...(base ? { base } : {}) });
  if (!result.ok) {
    for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
    if (options.json) io.stdout(`${JSON.stringify({ errors: result.problems.map(problemJson) })}\n`);
    return 1;
  }
  for (const warning of result.warnings) io.stderr(`${formatProblem(warning)}\n`);
  // The engine is asked only when the config names an image: other configs validate without Docker.
  const images = namedImages(result.cells);
  const presence = images.length > 0 ? await namedImagePresence(images, await docker()) : null;
  if (presence) for (const notice of namedImageNotices(result.cells, presence)) io.stderr(`${notice}\n`);
  if (options.json) {
    io.stdout(`${JSON.stringify({ cells: result.cells.map((cell) => cellJson(cell, presence)) }, null, 2)}\n`);
    return 0;
  }
  const runnable = result.cells.filter((c) => !c.skipped).length;
  io.stdout(
    `${renderTable(
      ["CELL", "FLAG", "IMAGE", "STATE"],
      result.cells.map((c) => [
        c.name,
        [c.stdFlag, c.cStdFlag].filter(Boolean).join(" ") || "-",
        c.image ?? "-",
        c.skipped ? `skipped: ${c.skipReason}` : "runs",
      ]),
    )}\n\n${shown}${overBase(base)}: ${result.cells.length} cells, ${runnable} to run, ${result.cells.length - runnable} skipped\n`,
  );
  return 0;
}

/** A cell for `validate --json`; `image_present` only for an image the config names (null: not checked). */
export function cellJson(cell: Cell, presence: NamedImagePresence | null) {
  const named = configNamedImage(cell);
  return {
    id: cell.id,
    name: cell.name,
    platform: cell.platform,
    compiler: cell.compiler.family,
    compiler_version: cell.compiler.version,
    cxx_standard: cell.cxxStandard,
    c_standard: cell.cStandard,
    build_type: cell.buildType,
    sanitizers: cell.sanitizers,
    coverage: cell.coverage,
    tests: cell.tests,
    skipped: cell.skipped,
    skip_reason: cell.skipReason,
    image: cell.image,
    ...(named === null ? {} : { image_present: presence?.checked ? (presence.present.get(named) ?? null) : null }),
  };
}

function problemJson(p: PositionedProblem) {
  return {
    file: p.file,
    line: p.line,
    column: p.column,
    field: formatPath(p.path),
    severity: p.severity,
    message: p.message,
  };
}
