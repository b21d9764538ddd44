/** `heimdall-build worker`'s settings: each bad one refused (exit 2) with what is wrong, before anything starts. */
import { describe, expect, test } from "vitest";
import { workerCommand } from "../../src/cli/worker-command.ts";

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
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "soon" }, "HEIMDALL_MAX_CELL_MINUTES is a number of minutes above 0"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "0" }, "HEIMDALL_MAX_CELL_MINUTES is a number of minutes above 0"],
    [{}, { HEIMDALL_MAX_CELL_MINUTES: "721" }, "at most 720, not '721'"],
    [{}, {}, "set REDIS_URL"],
  ])("%j with %j: %s", async (options, env, message) => {
    const result = await worker(options, env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
