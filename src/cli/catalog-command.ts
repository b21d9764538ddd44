/** `heimdall-build catalog`: the compiler catalog as a table, to answer "which -std does clang 16 take?" (C++ and C). */
import { CATALOG, CXX_STANDARDS, imageTag } from "../config/catalog.ts";
import { C_STANDARDS } from "../config/standards.ts";
import { renderTable } from "../report/text-table.ts";
import type { CliIo } from "./program.ts";

export function catalogCommand(options: { json?: boolean }, io: CliIo): number {
  if (options.json) {
    io.stdout(`${JSON.stringify({ compilers: CATALOG.map((r) => ({ ...r, image_tag: imageTag(r) })) }, null, 2)}\n`);
    return 0;
  }
  const rows = CATALOG.map((r) => [
    `${r.family}@${r.version}`,
    ...CXX_STANDARDS.map((s) => r.standardFlags[s]?.replace(/^-std=/, "") ?? "-"),
    ...C_STANDARDS.map((s) => r.cStandardFlags[s]?.replace(/^-std=/, "") ?? "-"),
    r.sanitizers.join(","),
    r.coverage ? "yes" : "no",
    r.platforms.join(","),
    r.image ? `debian ${r.image.suite}` : "-",
  ]);
  io.stdout(
    `${renderTable(["COMPILER", ...CXX_STANDARDS.map((s) => `C++${s}`), ...C_STANDARDS.map((s) => `C${s}`), "SANITIZERS", "COVERAGE", "PLATFORMS", "IMAGE"], rows)}\n`,
  );
  return 0;
}
