/**
 * How a cell builds and tests: `build.cmake.*` or `build.script.*`, `tests`
 * and `cache`, read by the cell's script (executor/cell-script.ts, its test
 * step test-phase.ts): the exact configure, build and test commands.
 * test/executor/run-cell.test.ts, script-tests.test.ts and ccache.test.ts run
 * them in containers.
 */
import {
  config,
  configExports,
  ctest,
  exports,
  gcc12Configure,
  type KeyProbe,
  phase,
  phaseWords,
  probe,
  scriptOf,
} from "./probe.ts";

const GCC12 = ["matrix:", "  compiler: [gcc@12]"];
const cmake = (body: string) => config(...GCC12, `build: {cmake: {${body}}}`);

/** The configure, build and test phases' words (null: no such phase). */
const phases = (text: string) => {
  const script = scriptOf(text);
  return {
    configure: phaseWords(script, "configure"),
    build: phaseWords(script, "build"),
    test: phaseWords(script, "test"),
  };
};

const CMAKE_BUILD = ["cmake", "--build", "build"];
const DEFAULT_PHASES = { configure: gcc12Configure(), build: CMAKE_BUILD, test: ctest("build") };

/** The configure phase's words and the build phase's text (a script build's: its commands), and the test phase's. */
const scriptPhases = (text: string) => {
  const script = scriptOf(text);
  return { configure: phaseWords(script, "configure"), build: phase(script, "build"), test: phase(script, "test") };
};

/** A CMake cell's configure and build, no tests, as scriptPhases sees them. */
const CMAKE_PHASES = { configure: gcc12Configure(), build: "'cmake' '--build' 'build'", test: null };

const SCRIPT = "build: {script: {commands: [./build.sh]}}";

export const BUILD_PROBES: readonly KeyProbe[] = [
  probe({
    key: "build",
    base: config(...GCC12, "tests: false"),
    changed: config(...GCC12, SCRIPT, "tests: false"),
    observe: scriptPhases,
    expected: [CMAKE_PHASES, { configure: null, build: "./build.sh", test: null }],
  }),
  probe({
    key: "build.cmake",
    replaces: ["build.script"],
    base: config(...GCC12, SCRIPT, "tests: false"),
    changed: config(...GCC12, "build: {cmake: {}}", "tests: false"),
    observe: scriptPhases,
    expected: [{ configure: null, build: "./build.sh", test: null }, CMAKE_PHASES],
  }),
  probe({
    key: "build.cmake.source_dir",
    base: cmake(""),
    changed: cmake("source_dir: lib"),
    observe: phases,
    expected: [DEFAULT_PHASES, { ...DEFAULT_PHASES, configure: gcc12Configure({ source: "lib" }) }],
  }),
  probe({
    key: "build.cmake.build_dir",
    base: cmake(""),
    changed: cmake("build_dir: out/release"),
    // Where CMake builds, what it builds, where ctest runs (and where the compile commands are read).
    observe: phases,
    expected: [
      DEFAULT_PHASES,
      {
        configure: gcc12Configure({ build: "out/release" }),
        build: ["cmake", "--build", "out/release"],
        test: ctest("out/release"),
      },
    ],
  }),
  probe({
    key: "build.cmake.generator",
    base: cmake(""),
    changed: cmake("generator: Unix Makefiles"),
    // make keeps each job's output together, so diagnostics are not interleaved.
    observe: phases,
    expected: [
      DEFAULT_PHASES,
      {
        ...DEFAULT_PHASES,
        configure: gcc12Configure({ generator: "Unix Makefiles" }),
        build: [...CMAKE_BUILD, "--", "--output-sync=target"],
      },
    ],
  }),
  probe({
    key: "build.cmake.configure_args",
    base: cmake(""),
    changed: cmake("configure_args: [-DBUILD_TESTING=ON, -DWITH_SSL=OFF]"),
    observe: phases,
    expected: [
      DEFAULT_PHASES,
      { ...DEFAULT_PHASES, configure: gcc12Configure({ extra: ["-DBUILD_TESTING=ON", "-DWITH_SSL=OFF"] }) },
    ],
  }),
  probe({
    key: "build.cmake.build_args",
    base: cmake(""),
    changed: cmake("build_args: [--verbose]"),
    observe: phases,
    expected: [DEFAULT_PHASES, { ...DEFAULT_PHASES, build: [...CMAKE_BUILD, "--verbose"] }],
  }),
  probe({
    key: "build.cmake.targets",
    base: cmake(""),
    changed: cmake("targets: [app, app_tests]"),
    observe: phases,
    expected: [DEFAULT_PHASES, { ...DEFAULT_PHASES, build: [...CMAKE_BUILD, "--target", "app", "app_tests"] }],
  }),
  probe({
    key: "build.script",
    base: config(...GCC12, "build: {}", "tests: false"),
    changed: config(...GCC12, SCRIPT, "tests: false"),
    // The script's commands instead of CMake's phases; the cell's flags in CXXFLAGS and CFLAGS.
    observe: (text) => ({
      ...scriptPhases(text),
      flags: [exports(scriptOf(text)).CXXFLAGS, exports(scriptOf(text)).CFLAGS],
    }),
    expected: [
      { ...CMAKE_PHASES, flags: [undefined, undefined] },
      { configure: null, build: "./build.sh", test: null, flags: ["-std=c++17", ""] },
    ],
  }),
  probe({
    key: "build.script.commands",
    base: config(...GCC12, "build: {script: {commands: [./configure.sh]}}", "tests: false"),
    changed: config(...GCC12, "build: {script: {commands: [./configure.sh, make all]}}", "tests: false"),
    observe: (text) => phase(scriptOf(text), "build"),
    // One phase, the commands in order.
    expected: ["./configure.sh", "./configure.sh\nmake all"],
  }),
  probe({
    key: "build.script.env",
    base: config(...GCC12, "build: {script: {commands: [./build.sh]}}", "tests: false", "env: {MODE: ci}"),
    changed: config(
      ...GCC12,
      "build: {script: {commands: [./build.sh], env: {MODE: script, EXTRA: 1}}}",
      "tests: false",
      "env: {MODE: ci}",
    ),
    // Over the top level's env.
    observe: (text) => configExports(scriptOf(text)),
    expected: [
      { MODE: "ci", CXXFLAGS: "-std=c++17", CFLAGS: "" },
      { MODE: "script", EXTRA: "1", CXXFLAGS: "-std=c++17", CFLAGS: "" },
    ],
  }),
  probe({
    key: "tests",
    base: config(...GCC12),
    changed: config(...GCC12, "tests: false"),
    observe: (text) => ({
      test: phaseWords(scriptOf(text), "test"),
      ENABLE_TESTS: exports(scriptOf(text)).ENABLE_TESTS,
    }),
    expected: [
      { test: ctest("build"), ENABLE_TESTS: "true" },
      { test: null, ENABLE_TESTS: "false" },
    ],
  }),
  probe({
    key: "tests.ctest_args",
    base: config(...GCC12, "tests: {}"),
    changed: config(...GCC12, 'tests: {ctest_args: [-j4, --timeout, "60"]}'),
    observe: (text) => phaseWords(scriptOf(text), "test"),
    expected: [ctest("build"), ctest("build", { args: ["-j4", "--timeout", "60"] })],
  }),
  probe({
    key: "tests.test_dir",
    base: config(...GCC12, "tests: {}"),
    changed: config(...GCC12, "tests: {test_dir: build/project-build}"),
    // A folder the config names must hold tests.
    observe: (text) => phaseWords(scriptOf(text), "test"),
    expected: [ctest("build"), ctest("build/project-build", { noTestsError: true })],
  }),
  probe({
    key: "tests.command",
    base: config(...GCC12, "tests: {}"),
    changed: config(...GCC12, "tests: {command: make check}"),
    // From the repository's root, instead of ctest.
    observe: (text) => phaseWords(scriptOf(text), "test"),
    expected: [ctest("build"), ["make", "check"]],
  }),
  probe({
    key: "cache",
    base: config(...GCC12),
    changed: config(...GCC12, "cache: false"),
    // ccache as CMake's compiler launcher, and its counters before the build and at exit.
    observe: (text) => {
      const script = scriptOf(text);
      return {
        configure: phaseWords(script, "configure"),
        counters: script
          .split("\n")
          .filter((l) => l === "ccache_stats before" || l.startsWith("trap 'ccache_stats after")),
      };
    },
    expected: [
      {
        configure: gcc12Configure(),
        counters: ["ccache_stats before", `trap 'ccache_stats after; rm -f "$CCACHE_STATSLOG"' EXIT`],
      },
      { configure: gcc12Configure({ cache: false }), counters: [] },
    ],
  }),
];
