/**
 * `heimdall-build run` keeps the config's max_parallel and fail_fast as the
 * server does: at most N cells at once whatever --jobs allows (read from the
 * engine's ordered container starts and deaths, never from clocks), and the
 * first failure stopping the others, which say which cell failed.
 */
import { readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { DEPLOYMENT_LABEL, LOCAL_RUN_DEPLOYMENT } from "../../src/deployment.ts";
import { RUN_LABEL } from "../../src/local-run.ts";
import { until } from "../support/app-harness.ts";
import { FAIL_AT_GATE, mostAtOnce, openGate, recordContainerEvents, runningCell } from "../support/container-watch.ts";
import { copyExample, gcc12Setup, scriptConfig } from "../support/executor.ts";
import { type JsonCell, runHarness } from "../support/run-harness.ts";

const setup = gcc12Setup("heimdall-run-schedule-");

/** The example with a script build of gcc 12's `standards`, running `command`, with `extra` settings. */
function example(name: string, standards: string, command: string, extra: string): Promise<string> {
  return copyExample(path.join(setup.scratch, name), async (dir) => {
    const config = scriptConfig(command, { matrix: `  cxx_standard: [${standards}]\n`, extra: `${extra}\n` });
    await writeFile(path.join(dir, ".heimdall-build.yml"), config);
  });
}

/** The run's id, once it has made its folder (its containers carry it). */
async function runIdOf(repo: string): Promise<string> {
  const link = () => readlink(path.join(repo, ".heimdall-build", "latest")).catch(() => undefined);
  return path.basename(await until("the run's folder", link, 60_000));
}

async function report(repo: string): Promise<Map<string, JsonCell>> {
  const json = JSON.parse(await readFile(path.join(repo, "r.json"), "utf8")) as { cells: JsonCell[] };
  return new Map(json.cells.map((c) => [c.id, c]));
}

it("max_parallel: 1 builds one cell at a time though --jobs allows three", async () => {
  const repo = await example("limited", "14, 17, 20", "sleep 1", "max_parallel: 1");
  const { docker } = setup;
  const recorder = await recordContainerEvents(docker, { [DEPLOYMENT_LABEL]: LOCAL_RUN_DEPLOYMENT });
  try {
    const cli = runHarness({ docker });
    expect(await cli.run(repo, ["--jobs", "3", "--json", "r.json"]), cli.both).toBe(0);
    expect(cli.out).toContain("3 cells, in containers, 1 at a time (max_parallel: 1);");
    for (const cell of (await report(repo)).values()) expect(cell.conclusion).toBe("success");
    // This run's containers (other runs may share the engine): each died before the next started.
    const runId = path.basename(await readlink(path.join(repo, ".heimdall-build", "latest")));
    const mine = () => recorder.events.filter((e) => e.labels[RUN_LABEL] === runId);
    await until("the last container's death", () => mine().filter((e) => e.action === "die").length === 3);
    expect(mine().map((e) => e.action)).toEqual(["start", "die", "start", "die", "start", "die"]);
    expect(mostAtOnce(mine())).toBe(1);
  } finally {
    recorder.stop();
  }
}, 600_000);

it("fail_fast: the first failure stops the running cell and starts no other; each says which cell failed; exit 1", async () => {
  const repo = await example(
    "fail-fast",
    "17, 20, 23",
    `case "$CXX_STANDARD" in 20) ${FAIL_AT_GATE} ;; *) sleep 300 ;; esac`,
    "fail_fast: true",
  );
  const { docker } = setup;
  const cli = runHarness({ docker });
  const running = cli.run(repo, ["--jobs", "2", "--json", "r.json"]);
  const labels = { [RUN_LABEL]: await runIdOf(repo) };
  // Both lanes busy, c++17 sleeping: then c++20 fails, and c++23 waits for a lane.
  await until(
    "c++17 and c++20 running",
    async () =>
      (await runningCell(docker, labels, "linux-gcc-12-cxx17-release-")) &&
      (await runningCell(docker, labels, "linux-gcc-12-cxx20-release-")),
    300_000,
  );
  await openGate(docker, labels, "linux-gcc-12-cxx20-release-");
  expect(await running, cli.both).toBe(1);

  const reason = "linux / gcc-12 / c++20 / Release failed (fail_fast)";
  const cells = await report(repo);
  expect(cells.get("linux-gcc-12-cxx20-release")?.conclusion).toBe("failure");
  expect(cells.get("linux-gcc-12-cxx17-release")).toMatchObject({ conclusion: "cancelled", reason });
  // Never started: no time spent on it.
  expect(cells.get("linux-gcc-12-cxx23-release")).toMatchObject({ conclusion: "cancelled", reason, duration_s: null });
  expect(cli.out).toContain(`linux / gcc-12 / c++17 / Release: cancelled: ${reason}`);
  expect(cli.out).toContain("3 cells: 0 passed, 1 failed, 2 cancelled");
  expect(await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${labels[RUN_LABEL]}`] } })).toEqual(
    [],
  );
}, 600_000);
