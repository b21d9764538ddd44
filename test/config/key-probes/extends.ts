/**
 * `extends`: the file read over a stored configuration. The server looks the
 * name up in its database (github/resolve-extends.ts) and the CLI through the
 * API (cli/resolve-base.ts); both hand the text to parseConfig, as here.
 * End to end: test/github/extends.test.ts, test/cli/extends.test.ts.
 */
import type { BaseConfig } from "../../../src/config/extends.ts";
import { extendsName } from "../../../src/config/extends.ts";
import { parseConfigOrThrow } from "../../../src/config/parse.ts";
import { config, type KeyProbe, probe } from "./probe.ts";

const STORED: Readonly<Record<string, BaseConfig>> = {
  "org-defaults": {
    name: "org-defaults",
    version: 3,
    text: config("matrix:", "  compiler: [gcc@12]", "  cxx_standard: [17, 20]", "packages: [libfmt-dev]"),
  },
};

/** The file as the server parses it: over the stored configuration its `extends` names. */
function resolved(text: string) {
  const name = extendsName(text);
  const base = name === null ? undefined : (STORED[name] ?? { unresolved: `no stored configuration ${name}` });
  return parseConfigOrThrow(text, base ? { base } : {});
}

const CLANG = ["matrix:", "  compiler: [clang@16]"];

export const EXTENDS_PROBES: readonly KeyProbe[] = [
  probe({
    key: "extends",
    base: config(...CLANG),
    changed: config("extends: org-defaults", ...CLANG),
    // The base's matrix keys the file does not give (cxx_standard) and its other keys (packages) are the build's.
    observe: (text) => {
      const { config, cells } = resolved(text);
      return { cells: cells.map((c) => c.id), packages: config.packages };
    },
    expected: [
      { cells: ["linux-clang-16-cxx17-release"], packages: [] },
      { cells: ["linux-clang-16-cxx17-release", "linux-clang-16-cxx20-release"], packages: ["libfmt-dev"] },
    ],
  }),
];
