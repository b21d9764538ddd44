/**
 * The build settings as one cell reads them: each `${{ matrix.<axis> }}` of
 * the strings its build runs or reads (the top level's `env`, the build's
 * arguments, commands and `env`, the tests' command, arguments and files, the
 * artifacts, the SBOM script) written in with the cell's values. What decides
 * the cell's image (`image`, `packages`) and include entries' `env` and
 * `configure_args` were written in when the cell was made (make-cell.ts).
 * Pure; a settings object without expressions comes back as it is.
 */
import { interpolate, matrixContext } from "./interpolate.ts";
import type { Config } from "./schema.ts";

type CellSettings = Pick<Config, "env" | "build" | "tests" | "artifacts" | "sbom">;

export function settingsForCell<S extends CellSettings>(settings: S, cell: Parameters<typeof matrixContext>[0]): S {
  const context = matrixContext(cell);
  const one = (text: string) => interpolate(text, context);
  const each = (texts: readonly string[]) => texts.map(one);
  const env = (vars: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, one(value)]));
  const { build, tests, sbom } = settings;
  return {
    ...settings,
    env: env(settings.env),
    build:
      build.kind === "script"
        ? {
            ...build,
            script: {
              ...build.script,
              commands: each(build.script.commands),
              ...(build.script.env ? { env: env(build.script.env) } : {}),
            },
          }
        : {
            ...build,
            cmake: {
              ...build.cmake,
              configure_args: each(build.cmake.configure_args),
              build_args: each(build.cmake.build_args),
              targets: each(build.cmake.targets),
            },
          },
    tests: {
      ...tests,
      ...(tests.command !== undefined ? { command: one(tests.command) } : {}),
      ...(tests.ctest_args !== undefined ? { ctest_args: each(tests.ctest_args) } : {}),
      ...(tests.test_dir !== undefined ? { test_dir: one(tests.test_dir) } : {}),
      ...(tests.junit !== undefined ? { junit: each(tests.junit) } : {}),
    },
    artifacts: each(settings.artifacts),
    sbom: sbom.script !== undefined ? { ...sbom, script: one(sbom.script) } : sbom,
  };
}
