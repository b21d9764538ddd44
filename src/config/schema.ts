/**
 * `.heimdall-build.yml`, version 1: one zod schema that validates the parsed
 * YAML and from which `schema/heimdall-build.schema.json` is generated.
 *
 * Every string and list is bounded: the file comes from an untrusted repository.
 * Messages written here are the ones users read; the generic ones (wrong type,
 * unknown key, out of range) are phrased by `problems.ts`.
 */
import { z } from "zod";
import { BUILD_TYPES, CXX_STANDARDS, PLATFORMS, SANITIZERS } from "./catalog.ts";
import { ENV_NAME, RESERVED_ENV_NAMES, reservedEnvReason } from "./cell-environment.ts";
import { compilerAxisItem, compilerSchema } from "./compiler-schema.ts";
import { CUSTOM_AXIS_VALUE_JSON, checkEntryAxes, customAxes } from "./custom-axes.ts";
import { CONFIGURATION_NAME, CONFIGURATION_NAME_RULE } from "./extends.ts";
import { withoutExpressions } from "./interpolate.ts";
import { LIMITS } from "./limits.ts";
import { packageList } from "./packages.ts";
import { C_STANDARDS } from "./standards.ts";

const shortString = z.string().max(LIMITS.shortString);
const longString = z.string().max(LIMITS.longString);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(LIMITS.listItems);

const platform = z.enum(PLATFORMS);
const cxxStandard = z.literal(CXX_STANDARDS);
const cStandard = z.literal(C_STANDARDS);
/** An LLVM release by its major version; which suites carry it is the catalog's to say (llvm.ts). */
const llvmRelease = z.int({ error: "an LLVM release is a whole number such as 16" }).min(3).max(99);
const buildType = z.enum(BUILD_TYPES);
const sanitizers = z.array(z.enum(SANITIZERS)).max(SANITIZERS.length);

/** An axis: a list of distinct values. */
function axis<T extends z.ZodType>(item: T, describe: string) {
  return z
    .array(item)
    .min(1)
    .max(LIMITS.axisValues)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        const key = JSON.stringify(value);
        if (seen.has(key)) ctx.addIssue({ code: "custom", path: [index], message: `${describe} listed twice` });
        seen.add(key);
      });
    });
}

const cellProperties = {
  sanitizers: sanitizers.optional().describe("Sanitizers for this cell (address, undefined, thread, memory, leak)."),
  coverage: z.boolean().optional().describe("Build with coverage instrumentation (--coverage)."),
  tests: z.boolean().optional().describe("Run the tests in this cell."),
};

const axisKeys = {
  platform: platform.optional(),
  compiler: compilerSchema.optional(),
  cxx_standard: cxxStandard.optional(),
  c_standard: cStandard.optional(),
  llvm: llvmRelease.optional(),
  build_type: buildType.optional(),
};

export const AXES = ["platform", "compiler", "cxx_standard", "c_standard", "llvm", "build_type"] as const;
export type AxisName = (typeof AXES)[number];

const envName = z
  .string()
  .max(128)
  .regex(ENV_NAME, { error: "an environment variable name is letters, digits and _" })
  .superRefine((name, ctx) => {
    const reason = reservedEnvReason(name);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  })
  .meta({ not: { anyOf: [{ enum: [...RESERVED_ENV_NAMES] }, { pattern: "^HEIMDALL_" }, { pattern: "^MATRIX_" }] } });
const envValue = z
  .union([longString.regex(/^[^\0]*$/, { error: "a value cannot hold a NUL character" }), z.number(), z.boolean()])
  .transform(String);
/** Variables of the build; the values are literal (no `$VAR` expansion) and reach the build exactly. */
const envMap = z.record(envName, envValue).refine((env) => Object.keys(env).length <= LIMITS.envEntries, {
  error: `at most ${LIMITS.envEntries} environment variables`,
});

/** What a docker reference looks like (the value written in when it holds `${{ matrix.<axis> }}`). */
export const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._/:@-]*$/;
export const IMAGE_REFERENCE_ERROR = "an image is a docker reference such as debian:bookworm";

/** A docker reference (the top level's `image`, or an include entry's for its cells); may hold `${{ matrix.<axis> }}`. */
const imageReference = shortString.refine((image) => IMAGE_REFERENCE.test(withoutExpressions(image)), {
  error: IMAGE_REFERENCE_ERROR,
});

const includeEntry = z
  .strictObject({
    ...axisKeys,
    ...cellProperties,
    image: imageReference
      .optional()
      .describe(
        "The image of the cells this entry matches or makes (Linux), instead of the top level's or the catalog's.",
      ),
    packages: packageList
      .optional()
      .describe("Packages added to the top level's for the cells this entry matches or makes (Linux)."),
    env: envMap
      .optional()
      .describe("Environment of the cells this entry matches or makes, over the top level's (a later entry's wins)."),
    configure_args: list(longString)
      .optional()
      .describe("Appended to build.cmake.configure_args for the cells this entry matches or makes."),
  })
  // Other keys are custom axes' values (`shared: OFF`), checked against matrix.axes below.
  .catchall(z.unknown().meta(CUSTOM_AXIS_VALUE_JSON))
  .describe("Adds properties to the combinations it matches, or a new combination when it matches none.");
const excludeEntry = z
  .object(axisKeys)
  .catchall(z.unknown().meta(CUSTOM_AXIS_VALUE_JSON))
  .refine((entry) => Object.keys(entry).length > 0, { error: "an exclude entry names at least one axis" })
  .describe("Removes every combination that has all of these values.");

const matrix = z
  .strictObject({
    platform: axis(platform, "platform").optional().describe("Default: [linux]."),
    compiler: axis(compilerAxisItem, "compiler")
      .transform((lists) => lists.flat())
      .optional(),
    cxx_standard: axis(cxxStandard, "standard")
      .optional()
      .describe("C++ standards. Default: [17], unless a cell has a C standard (then none)."),
    c_standard: axis(cStandard, "C standard")
      .optional()
      .describe("C standards (90, 99, 11, 17, 23), spelled per compiler by the catalog. Default: none."),
    llvm: axis(llvmRelease, "LLVM release")
      .optional()
      .describe(
        "LLVM releases to build against: llvm-N-dev in the cell's image, LLVM_VERSION, LLVM_CONFIG and LLVM_DIR set. Default: none.",
      ),
    build_type: axis(buildType, "build type").optional().describe("Default: [Release]."),
    axes: customAxes((item, describe) => axis(item, describe))
      .optional()
      .describe(
        "Custom axes, e.g. {shared: [ON, OFF]}: multiplied with the others, named in include and exclude entries like them, part of cell names, MATRIX_<NAME> in the build.",
      ),
    include: z.array(includeEntry).max(LIMITS.includeEntries).optional(),
    exclude: z.array(excludeEntry).max(LIMITS.excludeEntries).optional(),
  })
  // Runs even when other keys of the matrix are wrong (every problem is reported at once): the value may be partly invalid.
  .superRefine(
    (m, ctx) => {
      if (typeof m !== "object" || m === null) return;
      const properties = { include: Object.keys(includeEntry.shape), exclude: Object.keys(excludeEntry.shape) };
      const axes = typeof m.axes === "object" && m.axes !== null ? m.axes : {};
      for (const kind of ["include", "exclude"] as const) {
        const entries: unknown = m[kind];
        if (!Array.isArray(entries)) continue;
        entries.forEach((entry: unknown, index) => {
          if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return;
          for (const issue of checkEntryAxes(entry as Record<string, unknown>, properties[kind], axes))
            ctx.addIssue({ ...issue, path: [kind, index, ...issue.path] });
        });
      }
    },
    { when: () => true },
  )
  .describe("The axes, multiplied together, then `exclude`, then `include`, as in GitHub Actions.");

/** A relative path inside the repository: no absolute paths, no `..`. */
const repoPath = shortString.refine(
  (p) => !p.startsWith("/") && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes(".."),
  {
    error: "must be a path inside the repository (relative, without '..')",
  },
);

const cmake = z.strictObject({
  source_dir: repoPath.default(".").describe("Folder with the top CMakeLists.txt."),
  build_dir: repoPath.default("build"),
  generator: z.enum(["Ninja", "Unix Makefiles", "Ninja Multi-Config"]).default("Ninja"),
  configure_args: list(longString).default([]).describe("Extra arguments to `cmake -S -B`."),
  build_args: list(longString).default([]).describe("Extra arguments to `cmake --build`."),
  targets: list(shortString).default([]).describe("Targets to build; all when empty."),
});

const script = z.strictObject({
  commands: z
    .array(longString)
    .min(1)
    .max(LIMITS.listItems)
    .describe("Shell commands, run in order in the repository."),
  env: envMap.optional(),
});

const build = z
  .strictObject({ cmake: cmake.optional(), script: script.optional() })
  .refine((b) => !(b.cmake && b.script), { error: "takes either cmake or script, not both" })
  .transform((b) =>
    b.script
      ? { kind: "script" as const, script: b.script }
      : { kind: "cmake" as const, cmake: b.cmake ?? cmake.parse({}) },
  );

/** Globs of the JUnit XML files a test command writes, relative to the repository. */
const junitGlobs = z
  .array(repoPath.describe("A glob relative to the repository, e.g. build/test-results/*.xml"))
  .min(1)
  .max(LIMITS.listItems);

const tests = z
  .union([
    z.boolean(),
    z
      .strictObject({
        ctest_args: list(longString).optional().describe("Extra arguments to ctest."),
        test_dir: repoPath
          .optional()
          .describe(
            "The folder ctest runs in, relative to the repository: required for a script build's ctest; a CMake build's build_dir by default.",
          ),
        command: longString
          .optional()
          .describe("A command that runs the tests instead of ctest, from the repository's root."),
        junit: junitGlobs
          .optional()
          .describe(
            "The JUnit XML files the command writes (googletest's --gtest_output=xml:, ctest's --output-junit), read for counts and failed tests.",
          ),
      })
      .superRefine((t, ctx) => {
        // Which of the two runners: ctest (ctest_args, test_dir) or the project's own command (junit).
        if (t.ctest_args && t.command)
          ctx.addIssue({ code: "custom", message: "takes either ctest_args or command, not both" });
        if (t.test_dir !== undefined && t.command !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["test_dir"],
            message:
              "is the folder ctest runs in; a command runs from the repository's root (write `cd DIR && ...` in the command)",
          });
        if (t.junit && t.command === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["junit"],
            message:
              "names the JUnit files a test command writes, and goes with command; ctest's own JUnit is read without it",
          });
      }),
  ])
  .transform((t) => (typeof t === "boolean" ? { enabled: t } : { enabled: true, ...t }));

const sbom = z
  .union([z.boolean(), z.strictObject({ enabled: z.boolean().default(true), script: longString.optional() })])
  .transform((s) => (typeof s === "boolean" ? { enabled: s } : s));

const artifactGlob = repoPath.describe("A glob relative to the repository, e.g. build/*.so");

export const configSchema = z
  .strictObject({
    version: z.literal(1, {
      error: (issue) => (issue.input === undefined ? undefined : "must be 1, the only version of this file so far"),
    }),
    matrix,
    extends: z
      .string()
      .regex(CONFIGURATION_NAME, { error: `names a stored configuration (${CONFIGURATION_NAME_RULE})` })
      .optional()
      .describe(
        "The name of a configuration stored on the server (its latest version when the commit is built): this file is merged over it, mappings key by key, lists and values replaced, build, tests and sbom whole, null removing a key.",
      ),
    sanitizers: sanitizers.default([]).describe("Sanitizers for every cell; include entries may override."),
    coverage: z.boolean().default(false),
    tests: tests.prefault(true),
    build: build.prefault({ cmake: {} }),
    image: imageReference
      .optional()
      .describe(
        "Run every Linux cell in this image instead of the catalog's (an include entry's image wins for its cells).",
      ),
    packages: packageList
      .default([])
      .describe(
        "Packages of the image's distribution (apt on Debian/Ubuntu, dnf on Rocky) installed into a derived image for every Linux cell, e.g. [libfmt-dev, libssl-dev].",
      ),
    timeout_minutes: z.int().min(1).max(720).default(60),
    env: envMap
      .default({})
      .describe("Environment of every build, CMake or script; an include entry's env goes over it for its cells."),
    artifacts: list(artifactGlob).default([]),
    sbom: sbom.prefault(true),
    max_parallel: z
      .int()
      .min(1)
      .max(LIMITS.cells)
      .optional()
      .describe("At most this many cells of one build run at once, across all workers (and in `run`)."),
    fail_fast: z
      .boolean()
      .default(false)
      .describe("The first cell that fails or times out cancels the build's queued and running cells."),
    fork_prs: z
      .enum(["approve", "run", "skip"])
      .default("approve")
      .describe("Pull requests from forks: wait for approval, run, or skip."),
    cache: z.boolean().default(true).describe("Share a compiler cache (ccache) between builds."),
    network: z.boolean().default(false).describe("Let trusted (non-fork) builds reach the network."),
    standard_mismatch: z
      .enum(["warn", "fail", "ignore"])
      .default("warn")
      .describe(
        "A passing cell whose translation units were compiled with another standard than its own: neutral (warn), failure (fail) or still success (ignore).",
      ),
    cancel_superseded: z
      .boolean()
      .default(true)
      .describe("Cancel a branch's or pull request's older commit when a new one arrives."),
  })
  .describe("heimdall-build configuration, version 1");

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type IncludeEntry = z.output<typeof includeEntry>;
export type ExcludeEntry = z.output<typeof excludeEntry>;
