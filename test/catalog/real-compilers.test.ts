/**
 * The catalog against the real compilers: for each compiler whose image CI
 * builds, every standard the catalog claims must compile, link and run with the
 * catalog's spelling, and every standard it denies must be refused under every
 * spelling. Set HEIMDALL_CATALOG_COMPILERS=gcc@11,gcc@12,clang@14,clang@16,... to
 * check more (each needs its Debian base image, see scripts/seed-base-image.sh;
 * HEIMDALL_APT_OPTIONS passes apt options to the image recipe).
 */
import type Docker from "dockerode";
import { beforeAll, describe, expect, test } from "vitest";
import { type CompilerFamily, CXX_STANDARDS, type CxxStandard, findCompiler } from "../../src/config/catalog.ts";
import { C_STANDARDS, type CStandard, defaultStandard } from "../../src/config/standards.ts";
import { runContainer } from "../../src/executor/docker/container.ts";
import { ensureImage, imageSpec } from "../../src/executor/docker/images.ts";
import { requireDocker } from "../support/docker.ts";

/** Every spelling GCC and Clang have used for each standard, final name first. */
const SPELLINGS: Readonly<Record<CxxStandard, readonly string[]>> = {
  11: ["c++11", "c++0x"],
  14: ["c++14", "c++1y"],
  17: ["c++17", "c++1z"],
  20: ["c++20", "c++2a"],
  23: ["c++23", "c++2b"],
  26: ["c++26", "c++2c"],
};

const compilers = (process.env.HEIMDALL_CATALOG_COMPILERS ?? "gcc@11,gcc@12,clang@14,clang@16")
  .split(",")
  .map((spec) => {
    const [family, version] = spec.trim().split("@");
    const release = findCompiler(family as CompilerFamily, Number(version));
    if (!release) throw new Error(`HEIMDALL_CATALOG_COMPILERS names ${spec}, which is not in the catalog`);
    return release;
  });

/** Every spelling GCC and Clang have used for each C standard, final name first. */
const C_SPELLINGS: Readonly<Record<CStandard, readonly string[]>> = {
  90: ["c90", "c89"],
  99: ["c99", "c9x"],
  11: ["c11", "c1x"],
  17: ["c17", "c18"],
  23: ["c23", "c2x"],
};

/** The value of __cplusplus or __STDC_VERSION__ a default standard of the catalog's means. */
const MACRO_OF: Readonly<Record<string, number>> = {
  "gnu++14": 201402,
  "gnu++17": 201703,
  "gnu++20": 202002,
  gnu11: 201112,
  gnu17: 201710,
  gnu23: 202311,
};

// Prints __cplusplus (__STDC_VERSION__ for C) so the test can see that each flag selects a newer
// mode, and what each compiler uses given no -std= at all ("default").
const SCRIPT = String.raw`
cat > /tmp/m.cpp <<'EOF'
#include <cstdio>
int main() { std::printf("%ld\n", (long)__cplusplus); }
EOF
cat > /tmp/m.c <<'EOF'
#include <stdio.h>
#ifdef __STDC_VERSION__
#define V __STDC_VERSION__
#else
#define V 199000L
#endif
int main(void) { printf("%ld\n", (long)V); return 0; }
EOF
for s in ${Object.values(SPELLINGS).flat().join(" ")}; do
  if "$CXX" -std=$s -o /tmp/m /tmp/m.cpp 2>/tmp/err; then echo "$s ok $(/tmp/m)"
  else echo "$s no $(head -c 200 /tmp/err | tr '\n' ' ')"; fi
done
for s in ${Object.values(C_SPELLINGS).flat().join(" ")}; do
  if "$CC" -std=$s -o /tmp/m /tmp/m.c 2>/tmp/err; then echo "$s ok $(/tmp/m)"
  else echo "$s no $(head -c 200 /tmp/err | tr '\n' ' ')"; fi
done
"$CXX" -o /tmp/m /tmp/m.cpp && echo "default-c++ ok $(/tmp/m)"
"$CC" -o /tmp/m /tmp/m.c && echo "default-c ok $(/tmp/m)"`;

let docker: Docker;
beforeAll(async () => {
  docker = await requireDocker();
});

describe.each(compilers.map((r) => [`${r.family}@${r.version}`, r] as const))("%s", (_name, release) => {
  const results = new Map<string, { ok: boolean; detail: string }>();

  beforeAll(async () => {
    const tag = await ensureImage(docker, imageSpec(release, { aptOptions: process.env.HEIMDALL_APT_OPTIONS ?? "" }));
    const run = await runContainer(docker, { image: tag, cmd: ["bash", "-c", SCRIPT], timeoutMs: 300_000 });
    expect(run.exitCode, run.output).toBe(0);
    for (const line of run.output.trim().split("\n")) {
      const [spelling = "", verdict, ...rest] = line.split(" ");
      results.set(spelling, { ok: verdict === "ok", detail: rest.join(" ") });
    }
  }, 1_200_000);

  const claimed = CXX_STANDARDS.filter((s) => release.standardFlags[s]);
  const denied = CXX_STANDARDS.filter((s) => !release.standardFlags[s]);

  test.each(claimed)("compiles, links and runs C++%s with the catalog's spelling", (standard) => {
    const spelling = release.standardFlags[standard]?.replace(/^-std=/, "") ?? "";
    const result = results.get(spelling);
    expect(result?.ok, `${spelling}: ${result?.detail}`).toBe(true);
  });

  test.each(claimed)("spells C++%s with its final name when the compiler takes it", (standard) => {
    const [finalName = ""] = SPELLINGS[standard];
    const expected = results.get(finalName)?.ok ? finalName : SPELLINGS[standard][1];
    expect(release.standardFlags[standard]).toBe(`-std=${expected}`);
  });

  test("each claimed standard selects a newer __cplusplus than the one before", () => {
    const values = claimed.map((s) =>
      Number(results.get(release.standardFlags[s]?.replace(/^-std=/, "") ?? "")?.detail),
    );
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] ?? 0);
  });

  if (denied.length > 0) {
    test.each(denied)("refuses every spelling of C++%s, as the catalog says", (standard) => {
      for (const spelling of SPELLINGS[standard]) {
        expect(results.get(spelling)?.ok, `${spelling} was accepted: ${results.get(spelling)?.detail}`).toBe(false);
      }
    });
  }

  const cClaimed = C_STANDARDS.filter((s) => release.cStandardFlags[s]);
  const cDenied = C_STANDARDS.filter((s) => !release.cStandardFlags[s]);

  test.each(cClaimed)(
    "compiles, links and runs C%s with the catalog's spelling, its final name when taken",
    (standard) => {
      const spelling = release.cStandardFlags[standard]?.replace(/^-std=/, "") ?? "";
      const result = results.get(spelling);
      expect(result?.ok, `${spelling}: ${result?.detail}`).toBe(true);
      const [finalName = ""] = C_SPELLINGS[standard];
      expect(spelling).toBe(results.get(finalName)?.ok ? finalName : C_SPELLINGS[standard][1]);
    },
  );

  if (cDenied.length > 0) {
    test.each(cDenied)("refuses every spelling of C%s, as the catalog says", (standard) => {
      for (const spelling of C_SPELLINGS[standard]) expect(results.get(spelling)?.ok, spelling).toBe(false);
    });
  }

  test("uses the catalog's default standards when given no -std=", () => {
    for (const language of ["c++", "c"] as const) {
      const expected = defaultStandard(release.family, release.version, language);
      expect(Number(results.get(`default-${language}`)?.detail), `${language}: ${expected}`).toBe(
        MACRO_OF[expected ?? ""],
      );
    }
  });
});
