/** `heimdall-build worker`'s settings: each bad one refused (exit 2) with what is wrong, before anything starts. */
import { describe, expect, test } from "vitest";
import { maxCellMsOf, workerCommand } from "../../src/cli/worker-command.ts";

async function worker(options: { platform?: string; concurrency?: string; executor?: string }, env: NodeJS.ProcessEnv) {
  let stderr = "";
  const code = await workerCommand(
    { platform: options.platform ?? "linux", executor: options.executor ?? "docker", ...options },
    {
      stdout: () => undefined,
      stderr: (text) => {
        stderr += text;
      },
      cwd: "/",
    },
    env,
  );
  return { code, stderr };
}

describe("heimdall-build worker refuses", () => {
  test.each([
    [{ platform: "amiga" }, {}, "--platform is one of linux, macos, windows, not 'amiga'"],
    [{ concurrency: "0" }, {}, "--concurrency is a whole number from 1 to 64"],
    [{ executor: "vm" }, {}, "--executor is docker or host, not 'vm'"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "soon" }, "HEIMDALL_MAX_CELL_MINUTES is a number of minutes from 1 s"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "0" }, "to 720, not '0'"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "0.000001" }, "to 720, not '0.000001'"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "721" }, "to 720, not '721'"],
    [{}, {}, "set REDIS_URL"],
  ])("%j with %j: %s", async (options, env, message) => {
    const result = await worker(options, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("HEIMDALL_MAX_CELL_MINUTES", () => {
  test("minutes, whole or not, become the worker's cap in milliseconds; unset is no cap", () => {
    expect(maxCellMsOf(undefined)).toBeNull();
    expect(maxCellMsOf("")).toBeNull();
    expect(maxCellMsOf("90")).toBe(5_400_000);
    expect(maxCellMsOf("1.5")).toBe(90_000);
    expect(maxCellMsOf("0.05")).toBe(3_000);
    expect(maxCellMsOf("720")).toBe(43_200_000);
  });
});
