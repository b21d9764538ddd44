/**
 * What a host build sees: the worker's allow-listed variables (none of its
 * secrets), the cell's compilers by their command names, ccache's folder.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { findCompiler } from "../../config/catalog.ts";
import type { CompilerRef } from "../../config/compiler-schema.ts";
import { type CellRunRequest, DEFAULT_CACHE_MAX_SIZE } from "../executor.ts";

/** The worker's variables a build may see; everything else (tokens, keys) stays out. */
const PASSED_ENV = ["PATH", "HOME", "LANG", "TMPDIR"] as const;

/** The C and C++ compilers' command names for the cell: the catalog's recipe names, else the family's plain ones. */
export function hostCompilers(compiler: CompilerRef): { cc: string; cxx: string } {
  const recipe = findCompiler(compiler.family, compiler.version)?.image;
  if (recipe) return { cc: recipe.cc, cxx: recipe.cxx };
  if (compiler.family === "gcc") return { cc: "gcc", cxx: "g++" };
  if (compiler.family === "msvc") return { cc: "cl", cxx: "cl" };
  return { cc: "clang", cxx: "clang++" };
}

/** The build's environment: the allow-list from the worker's, the compilers, ccache's folder. */
export function hostEnvironment(request: Pick<CellRunRequest, "cell">, workspace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const { cc, cxx } = hostCompilers(request.cell.compiler);
  env.CC = cc;
  env.CXX = cxx;
  env.CCACHE_DIR = path.join(workspace, ".heimdall", "ccache");
  env.CCACHE_MAXSIZE = DEFAULT_CACHE_MAX_SIZE;
  return env;
}

/** Whether `command` is an executable file in a folder of `searchPath` (on Windows, with an executable's extension). */
export function isOnPath(command: string, searchPath: string | undefined): boolean {
  const extensions = process.platform === "win32" ? ["", ".exe", ".cmd", ".bat"] : [""];
  for (const dir of (searchPath ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      try {
        accessSync(path.join(dir, command + ext), constants.X_OK);
        return true;
      } catch {
        // Not here.
      }
    }
  }
  return false;
}
