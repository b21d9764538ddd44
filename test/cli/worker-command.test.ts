/** `heimdall-build worker`'s settings: each bad one refused (exit 2) with what is wrong, before anything starts. */
import { describe, expect, test } from "vitest";
import { checkDeploymentSettings, maxCellMsOf, workerCommand } from "../../src/cli/worker-command.ts";
import { plainHttpGitHost } from "../../src/github/clone-tokens.ts";

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
    [{}, { HEIMDALL_DEPLOYMENT_ID: "a/b" }, "HEIMDALL_DEPLOYMENT_ID is 1 to 63 letters, digits"],
    [{}, { HEIMDALL_DEPLOYMENT_ID: "local-run" }, "reserved for heimdall-build run's containers"],
    [{}, { GHE_PROTOCOL: "ftp" }, "GHE_PROTOCOL is http or https, not 'ftp'"],
    [{}, { GHE_PROTOCOL: "http", GHE_HOST: "http://ghe.local" }, "GHE_HOST is a host name with an optional :port"],
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

describe("the deployment's settings", () => {
  test("a deployment id, GHE_PROTOCOL and a plain-http GHE_HOST that are well spelt pass", () => {
    expect(checkDeploymentSettings({})).toBeNull();
    expect(checkDeploymentSettings({ HEIMDALL_DEPLOYMENT_ID: "farm-eu.1", GHE_PROTOCOL: "https" })).toBeNull();
    expect(checkDeploymentSettings({ GHE_PROTOCOL: "http", GHE_HOST: "ghe.local:8080" })).toBeNull();
  });

  test("workers clone over http from GHE_HOST only when GHE_PROTOCOL is http", () => {
    expect(plainHttpGitHost({ GHE_HOST: "ghe.local:8080", GHE_PROTOCOL: "http" })).toBe("ghe.local:8080");
    expect(plainHttpGitHost({ GHE_HOST: "ghe.local", GHE_PROTOCOL: "https" })).toBeNull();
    expect(plainHttpGitHost({ GHE_HOST: "ghe.local" })).toBeNull();
    expect(plainHttpGitHost({ GHE_PROTOCOL: "http" })).toBeNull();
  });
});
