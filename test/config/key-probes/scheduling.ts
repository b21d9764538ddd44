/**
 * What the server, the worker and `run` decide from a build's settings: its
 * file format (`version`), how many of its cells run at once (`max_parallel`),
 * whether a failure stops it (`fail_fast`), and the settings a fork cannot
 * choose (`fork_prs`, `network`, `cancel_superseded`: taken from the default
 * branch by forkConfig, config/trust.ts). Each through the pure function its
 * readers share; the end-to-end tests named with each show the whole effect.
 */
import { parseConfig } from "../../../src/config/parse.ts";
import { formatProblem } from "../../../src/config/problems.ts";
import { buildNetwork, forkAdmission, forkConfig } from "../../../src/config/trust.ts";
import { failFastStop } from "../../../src/schedule/fail-fast.ts";
import { cellsToRelease, runLanes } from "../../../src/schedule/max-parallel.ts";
import { config, type KeyProbe, parsed, probe } from "./probe.ts";

const GCC12 = ["matrix:", "  compiler: [gcc@12]"];
const FOUR = ["matrix:", "  compiler: [gcc@12]", "  cxx_standard: [11, 14, 17, 20]"];

/** A fork's head config, asking for all it may not have: it runs at once, on the network, cancelling nothing. */
const FORK_HEAD = parsed(
  config(...GCC12, "fork_prs: run", "network: true", "cancel_superseded: false", "max_parallel: 256"),
).config;

/** The settings a fork's build gets when `text` is its default branch's config. */
const forkUnder = (text: string) => forkConfig(FORK_HEAD, parsed(text).config).config;

export const SCHEDULING_PROBES: readonly KeyProbe[] = [
  probe({
    key: "version",
    base: config(...GCC12),
    changed: config(...GCC12).replace("version: 1", "version: 2"),
    // The file's format: a version this heimdall-build does not know is refused, nothing built.
    observe: (text) => {
      const result = parseConfig(text);
      return result.ok ? result.cells.map((c) => c.id) : result.problems.map(formatProblem);
    },
    expected: [
      ["linux-gcc-12-cxx17-release"],
      [".heimdall-build.yml:1:10: error: version: must be 1, the only version of this file so far; got 2"],
    ],
  }),
  probe({
    key: "max_parallel",
    base: config(...FOUR),
    changed: config(...FOUR, "max_parallel: 2"),
    // `run`'s lanes with --jobs 8, and the held cells the server releases into a build's free places, in the
    // matrix's order (release-cells.ts; app.ts stores the value with the build). End to end:
    // test/github/max-parallel.test.ts "max_parallel", test/cli/run-schedule.test.ts "max_parallel: 1 builds one
    // cell at a time though --jobs allows three".
    observe: (text) => {
      const { config, cells } = parsed(text);
      return {
        lanes: runLanes(8, config.max_parallel, cells.length),
        released: cellsToRelease(
          config.max_parallel ?? null,
          0,
          cells.map((c) => c.id),
        ),
        // A fork's build has its default branch's limit, not its own.
        fork: forkUnder(text).max_parallel,
      };
    },
    expected: [
      {
        lanes: 4,
        released: [
          "linux-gcc-12-cxx11-release",
          "linux-gcc-12-cxx14-release",
          "linux-gcc-12-cxx17-release",
          "linux-gcc-12-cxx20-release",
        ],
        fork: undefined,
      },
      { lanes: 2, released: ["linux-gcc-12-cxx11-release", "linux-gcc-12-cxx14-release"], fork: 2 },
    ],
  }),
  probe({
    key: "fail_fast",
    base: config(...FOUR),
    changed: config(...FOUR, "fail_fast: true"),
    // What a failed cell does to the others, on the server (attempt-end.ts) and in `run` (local-run.ts). End to end:
    // test/github/max-parallel.test.ts "fail_fast", test/cli/run-schedule.test.ts "fail_fast: the first failure
    // stops the running cell and starts no other; each says which cell failed; exit 1".
    observe: (text) => {
      const { config, cells } = parsed(text);
      const stop = failFastStop(config.fail_fast, cells[1]?.name ?? "", "failure");
      return stop && { reason: stop.reason, title: stop.title };
    },
    expected: [
      null,
      {
        reason: "linux / gcc-12 / c++14 / Release failed (fail_fast)",
        title: "Cancelled: linux / gcc-12 / c++14 / Release failed (fail_fast)",
      },
    ],
  }),
  probe({
    key: "fork_prs",
    // The default branch's config: a fork's own fork_prs (run) is not used.
    base: config(...GCC12),
    changed: config(...GCC12, "fork_prs: skip"),
    // app.ts builds a commit, holds it for approval or builds nothing. End to end: test/github/fork-trust.test.ts
    // (approve, run and skip), test/github/app.test.ts "fork pull requests".
    observe: (text) => ({
      fork: forkAdmission(forkUnder(text), true),
      own: forkAdmission(parsed(text).config, false),
    }),
    expected: [
      { fork: "approval", own: "build" },
      { fork: "none", own: "build" },
    ],
  }),
  probe({
    key: "network",
    base: config(...GCC12),
    changed: config(...GCC12, "network: true"),
    // The worker's and run's container network (worker-job.ts, local-run.ts). End to end:
    // test/executor/hostile.test.ts "no network: …" and "network: true, fork …".
    observe: (text) => ({
      trusted: buildNetwork(parsed(text).config, false),
      fork: buildNetwork(forkUnder(text), true),
    }),
    expected: [
      { trusted: false, fork: false },
      { trusted: true, fork: false },
    ],
  }),
  probe({
    key: "cancel_superseded",
    base: config(...GCC12),
    changed: config(...GCC12, "cancel_superseded: false"),
    // app.ts supersedes the older builds of a branch or pull request when the new commit's config (a fork's:
    // its default branch's) says so; that read is inline in onCommit, so here the value it reads. End to end:
    // test/github/app.test.ts "a newer commit on the branch cancels the older commit's queued cells, naming the
    // newer commit" and "cancel_superseded: false" › "a newer commit on the branch leaves the older commit's cells
    // queued, their jobs kept".
    observe: (text) => ({ own: parsed(text).config.cancel_superseded, fork: forkUnder(text).cancel_superseded }),
    expected: [
      { own: true, fork: true },
      { own: false, fork: false },
    ],
  }),
];
