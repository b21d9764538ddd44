/**
 * The host backend: a cell of this machine's platform built natively with the
 * compilers installed here (run-cell-host.ts). Nothing to prepare; nothing
 * isolates the build, so it is for trusted builds only.
 */
import os from "node:os";
import type { Platform } from "../../config/catalog.ts";
import type { Cell } from "../../config/matrix.ts";
import type { Executor, Preparation, PreparedExecutor } from "../executor.ts";
import { hostCompilers, isOnPath } from "./host-environment.ts";
import { runCellOnHost } from "./run-cell-host.ts";

const HOST_PLATFORM: Partial<Record<NodeJS.Platform, Platform>> = { linux: "linux", darwin: "macos", win32: "windows" };

export class HostExecutor implements Executor {
  unavailableReason(cell: Cell): string | null {
    const here = HOST_PLATFORM[process.platform];
    if (cell.platform !== here)
      return `${cell.platform} cells run on a ${cell.platform} machine, not on ${here ?? process.platform}`;
    // Packages are installed into a cell's image; this machine's own are its operator's to install.
    if (cell.packages.length > 0) {
      return `its packages (${cell.packages.join(", ")}) are installed into a Docker image only: use --executor docker`;
    }
    const { cxx } = hostCompilers(cell.compiler);
    if (!isOnPath(cxx, process.env.PATH)) {
      return `${cell.compiler.family}-${cell.compiler.version} is not installed here (no ${cxx} on PATH)`;
    }
    return null;
  }

  async prepare(): Promise<Preparation> {
    const executor: PreparedExecutor = {
      ranOn: `host ${os.hostname()}`,
      memoryLimit: null,
      run: runCellOnHost,
      packages: async () => [],
    };
    return { ready: true, executor };
  }
}
