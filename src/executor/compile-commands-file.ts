/**
 * The cell's `compile_commands.json`, found where its build leaves it (CMake's
 * build folder; for a script, the shallowest one in the workspace), read and
 * checked against the cell's standards.
 */
import type { Cell } from "../config/matrix.ts";
import { CompileCommandsError, parseCompileCommands } from "../report/compile-commands.ts";
import { checkStandards, type StandardCheck } from "../report/standard-check.ts";
import type { BuildSettings } from "./cell-script.ts";
import { findResultFile, readResultFile } from "./result-file.ts";

/** Compile commands read at most (LLVM's are about 30 MiB). */
export const MAX_COMPILE_COMMANDS_BYTES = 64 * 1024 * 1024;

export interface CellStandards {
  /** One check per standard of the cell; null when they could not be checked (`notChecked` says why). */
  readonly checks: StandardCheck[] | null;
  readonly notChecked: string | null;
  /** The file's text, to keep beside the log; null when there is none (or it was too big to keep whole). */
  readonly compileCommands: string | null;
}

export async function cellStandards(workspace: string, cell: Cell, settings: BuildSettings): Promise<CellStandards> {
  const cmake = settings.build.kind === "cmake" ? settings.build.cmake : null;
  const relative = cmake
    ? `${cmake.build_dir.replace(/\/+$/, "")}/compile_commands.json`
    : await findResultFile(workspace, "compile_commands.json");
  const file = relative ? await readResultFile(workspace, relative, MAX_COMPILE_COMMANDS_BYTES) : null;
  const missing = cmake
    ? `CMake wrote no ${relative} of the workspace's own (the configure step did not finish, or the generator or configure_args turned CMAKE_EXPORT_COMPILE_COMMANDS off; a link out of the workspace is not followed)`
    : "the build left no compile_commands.json in the workspace (a script build can write one, e.g. with CMake's CMAKE_EXPORT_COMPILE_COMMANDS or bear)";
  if (!file) return { checks: null, notChecked: missing, compileCommands: null };
  if (file.cut) {
    const mib = Math.round(file.size / 1024 / 1024);
    return {
      checks: null,
      notChecked: `${relative} is ${mib} MiB, over the ${MAX_COMPILE_COMMANDS_BYTES / 1024 / 1024} MiB read`,
      compileCommands: null,
    };
  }
  try {
    const commands = parseCompileCommands(file.text);
    return {
      checks: checkStandards(commands, { ...cell, family: cell.compiler.family, version: cell.compiler.version }),
      notChecked: null,
      compileCommands: file.text,
    };
  } catch (error) {
    if (!(error instanceof CompileCommandsError)) throw error;
    return {
      checks: null,
      notChecked: `${relative} could not be read: ${error.message.slice(0, 200)}`,
      compileCommands: file.text,
    };
  }
}
