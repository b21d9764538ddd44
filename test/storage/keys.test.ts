import { describe, expect, it } from "vitest";
import {
  artifactKey,
  assertPrefix,
  InvalidKeyError,
  isValidKey,
  keyProblem,
  logKey,
  sbomKey,
} from "../../src/storage/keys.ts";
import { HOSTILE_KEYS } from "./contract.ts";

describe("object keys", () => {
  it("names an attempt's log, artifacts and SBOM", () => {
    expect(logKey("42", "linux-gcc-12-cxx17-release", 1)).toBe("logs/42/linux-gcc-12-cxx17-release/1.log");
    expect(logKey(42, "linux-clang-18-cxx20-debug-asan-ubsan", 3)).toBe(
      "logs/42/linux-clang-18-cxx20-debug-asan-ubsan/3.log",
    );
    expect(artifactKey(7, "linux-gcc-12-cxx17-release", 2, "build/bin/hello")).toBe(
      "artifacts/7/linux-gcc-12-cxx17-release/2/build/bin/hello",
    );
    expect(sbomKey("7", "linux-gcc-12-cxx17-release", 2)).toBe("sboms/7/linux-gcc-12-cxx17-release/2.cdx.json");
  });

  it("refuses parts that would make another key or leave the tree", () => {
    expect(() => logKey("4/2", "cell", 1)).toThrow(InvalidKeyError);
    expect(() => logKey("..", "cell", 1)).toThrow(/build id/);
    expect(() => logKey("1", "a/b", 1)).toThrow(/cell key/);
    expect(() => logKey("1", "", 1)).toThrow(/cell key/);
    expect(() => logKey("1", "cell", 0)).toThrow(/attempt/);
    expect(() => sbomKey("1", "cell", 1.5)).toThrow(/attempt/);
    for (const path of ["../../etc/passwd", "/etc/passwd", "bin/../../x", "a\0b", "bin/", "lib foo.so", ""]) {
      expect(() => artifactKey("1", "cell", 1, path), JSON.stringify(path)).toThrow(/artifact path/);
    }
  });

  it("takes keys of segments of [A-Za-z0-9._-] only", () => {
    for (const key of ["a", "a/b", "logs/1/c/1.log", ".hidden/x", "a/.b/c..d", "_-./x".slice(0, 2), "x".repeat(255)]) {
      expect(keyProblem(key), key).toBeUndefined();
    }
    for (const key of HOSTILE_KEYS) expect(isValidKey(key), JSON.stringify(key)).toBe(false);
    expect(isValidKey(`${"a/".repeat(512)}a`)).toBe(false); // over 1024 bytes
    expect(keyProblem("a\0b")).toBe("contains NUL");
    expect(keyProblem("/etc/passwd")).toBe("absolute");
    expect(keyProblem("a/../../b")).toBe("'..' segment");
  });

  it("takes string prefixes whose complete segments are valid", () => {
    for (const prefix of ["", "logs/", "logs/1", "logs/1/", "logs/.", "logs/..x", "a"]) {
      expect(assertPrefix(prefix)).toBe(prefix);
    }
    for (const prefix of ["/", "/etc", "../", "a/../", "a//", "a b", "a\0", "./x"]) {
      expect(() => assertPrefix(prefix), JSON.stringify(prefix)).toThrow(InvalidKeyError);
    }
  });
});
