/**
 * `validate` and `run` on a file that says `extends`: the stored configuration
 * read from a real server's API (HEIMDALL_API_URL, HEIMDALL_TOKEN), or, with
 * neither set, the positioned problem at `extends` saying how to set them.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, startApiHarness } from "../support/api-harness.ts";
import { useCliFolder } from "../support/cli-folder.ts";
import { runHarness } from "../support/run-harness.ts";

const { root, runWith, write } = useCliFolder();
const FILE = "version: 1\nextends: org-defaults\nmatrix:\n  cxx_standard: [20]\n";
const NOT_SET =
  "repo/.heimdall-build.yml:2:10: error: extends: 'org-defaults' is a configuration stored on a heimdall-build server; set HEIMDALL_API_URL (the server's URL) and HEIMDALL_TOKEN (a token with builds:read) to read it from there\n";

let harness: ApiHarness;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  harness = await startApiHarness();
  const writer = await harness.token(["configurations:write"]);
  for (const document of [
    "version: 1\nmatrix:\n  compiler: [gcc@11]\n",
    "version: 1\nmatrix:\n  compiler: [gcc@12, clang@16]\n  cxx_standard: [17]\n",
  ]) {
    const stored = await harness.api("PUT", "/api/v1/configurations/org-defaults", {
      token: writer,
      body: { document },
    });
    expect(stored.status).toBeLessThan(300);
  }
  env = { HEIMDALL_API_URL: harness.server.url, HEIMDALL_TOKEN: await harness.token(["builds:read"]) };
});

afterAll(async () => {
  await harness?.close();
});

describe("validate", () => {
  test("reads the base's latest version from the API: its compilers, the file's standard", async () => {
    await write("repo/.heimdall-build.yml", FILE);
    const { code, stdout, stderr } = await runWith({ env }, "validate", "repo");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("linux / gcc-12 / c++20 / Release");
    expect(stdout).toContain("linux / clang-16 / c++20 / Release");
    expect(stdout).toContain(
      "repo/.heimdall-build.yml (over configurations/org-defaults@v2): 2 cells, 2 to run, 0 skipped",
    );
  });

  test("without HEIMDALL_API_URL and HEIMDALL_TOKEN: an error at extends saying to set them", async () => {
    await write("repo/.heimdall-build.yml", FILE);
    const { code, stderr } = await runWith({ env: { HEIMDALL_API_URL: harness.server.url } }, "validate", "repo");
    expect(code).toBe(1);
    expect(stderr).toBe(NOT_SET);
  });

  test("a name the server does not have, and a token it refuses, said at extends", async () => {
    await write("repo/.heimdall-build.yml", FILE.replace("org-defaults", "nope"));
    const missing = await runWith({ env }, "validate", "repo");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `repo/.heimdall-build.yml:2:10: error: extends: the server at ${harness.server.url} has no stored configuration named 'nope'\n`,
    );
    await write("repo/.heimdall-build.yml", FILE);
    const refused = await runWith({ env: { ...env, HEIMDALL_TOKEN: "hbt_not-a-token" } }, "validate", "repo");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `repo/.heimdall-build.yml:2:10: error: extends: the server at ${harness.server.url} did not give 'org-defaults' (401: this token is not known)\n`,
    );
  });
});

describe("run", () => {
  // A --cells pattern that selects nothing lists the cells and builds none: the config run would build, no compiler needed.
  test("builds the cells of the file over the base the API gives", async () => {
    await write("repo/.heimdall-build.yml", FILE);
    const harnessed = runHarness({ docker: null, env });
    const code = await harnessed.run(root(), [path.join(root(), "repo"), "--cells", "none-such"]);
    expect(code).toBe(2);
    expect(harnessed.err).toBe(
      "heimdall-build run: --cells 'none-such' matches no cell; the cells are: linux-gcc-12-cxx20-release, linux-clang-16-cxx20-release\n",
    );
  });

  test("without the API's settings: the error at extends, exit 2", async () => {
    await write("repo/.heimdall-build.yml", FILE);
    const harnessed = runHarness({ docker: null, env: {} });
    const code = await harnessed.run(root(), ["repo"]);
    expect(code).toBe(2);
    expect(harnessed.err).toBe(NOT_SET);
  });
});
