/** Which URLs a worker's git is given: https, file when allowed, http to the one GitHub Enterprise host only. */
import { describe, expect, test } from "vitest";
import { normalHttpHost, originOf, UrlPolicy, UrlRefused } from "../../src/executor/source-urls.ts";

describe("UrlPolicy", () => {
  const ghe = new UrlPolicy({ plainHttpHost: "GHE.example.com:8080" });
  const plain = new UrlPolicy({});

  test("http:// only from the configured host on its port; https:// from anywhere", () => {
    expect(ghe.check("http://ghe.example.com:8080/o/r.git", "clone URL")).toBe("http://ghe.example.com:8080/o/r.git");
    expect(ghe.check("https://github.com/o/r.git", "clone URL")).toBe("https://github.com/o/r.git");
    for (const url of [
      "http://ghe.example.com/o/r.git",
      "http://ghe.example.com:8081/o/r.git",
      "http://github.com/o/r.git",
      "http://ghe.example.com.evil.test:8080/o/r.git",
    ]) {
      expect(() => ghe.check(url, "clone URL"), url).toThrow(
        /http:\/\/ is fetched only from http:\/\/ghe\.example\.com:8080/,
      );
    }
    expect(() => plain.check("http://ghe.example.com:8080/o/r.git", "clone URL")).toThrow(
      /only https:\/\/ URLs are fetched/,
    );
    expect(() => ghe.check("http://x-access-token:t@ghe.example.com:8080/o/r.git", "clone URL")).toThrow(
      /credentials in a URL/,
    );
    expect(() => ghe.check("file:///srv/r.git", "clone URL")).toThrow(UrlRefused);
    expect(ghe.allowsHttp).toBe(true);
    expect(plain.allowsHttp).toBe(false);
  });

  test("port 80 is the same host whether spelt or not", () => {
    const onDefault = new UrlPolicy({ plainHttpHost: "ghe.local:80" });
    expect(onDefault.check("http://ghe.local/o/r.git", "clone URL")).toBe("http://ghe.local/o/r.git");
    expect(onDefault.check("http://ghe.local:80/o/r.git", "clone URL")).toBe("http://ghe.local:80/o/r.git");
  });

  test("an ssh submodule URL of the plain-http host becomes http:// there; any other host's https://", () => {
    expect(ghe.fromSsh("git@ghe.example.com:o/lib.git")).toBe("http://ghe.example.com:8080/o/lib.git");
    expect(ghe.fromSsh("ssh://git@GHE.example.com:22/o/lib.git")).toBe("http://ghe.example.com:8080/o/lib.git");
    expect(ghe.fromSsh("git@github.com:o/lib.git")).toBe("https://github.com/o/lib.git");
    expect(plain.fromSsh("git@ghe.example.com:o/lib.git")).toBe("https://ghe.example.com/o/lib.git");
    expect(ghe.fromSsh("../lib.git")).toBe("../lib.git");
  });

  test("the token's scope is the origin, http or https", () => {
    expect(originOf("http://ghe.example.com:8080/o/r.git")).toBe("http://ghe.example.com:8080/");
    expect(originOf("https://github.com/o/r.git")).toBe("https://github.com/");
  });

  test("a host[:port], nothing else, is a plain-http host", () => {
    expect(normalHttpHost("GHE.local:8080")).toBe("ghe.local:8080");
    expect(normalHttpHost("ghe.local:80")).toBe("ghe.local");
    expect(normalHttpHost("[::1]:8080")).toBe("[::1]:8080");
    for (const bad of ["http://ghe.local", "ghe.local/", "user@ghe.local", "ghe.local:99999", ""]) {
      expect(normalHttpHost(bad), bad).toBeNull();
    }
    expect(() => new UrlPolicy({ plainHttpHost: "ghe.local/api" })).toThrow(UrlRefused);
  });
});
