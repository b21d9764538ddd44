import { createVerify } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { appCloneTokens, githubApiBaseUrl } from "../../src/github/clone-tokens.ts";
import { until } from "../support/app-harness.ts";
import { type FakeGitHub, fakeGitHub, testPrivateKey, testPublicKey } from "../support/github.ts";

let github: FakeGitHub | undefined;
afterEach(() => {
  github?.cleanup();
  github = undefined;
});

/** The JWT's claims, after checking its RS256 signature with the app's public key. */
function verifiedClaims(authorization: string | undefined): Record<string, unknown> {
  const jwt = authorization?.replace(/^bearer /i, "") ?? "";
  const [header = "", payload = "", signature = ""] = jwt.split(".");
  const verify = createVerify("RSA-SHA256");
  verify.update(`${header}.${payload}`);
  expect(verify.verify(testPublicKey(), Buffer.from(signature, "base64url"))).toBe(true);
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("appCloneTokens", () => {
  it("mints a contents:read token for the one repository, at a GitHub Enterprise Server's API, and reuses it", async () => {
    const baseUrl = githubApiBaseUrl({ GHE_HOST: "ghe.example.com" });
    expect(baseUrl).toBe("https://ghe.example.com/api/v3");
    github = fakeGitHub(baseUrl);
    const tokens = appCloneTokens({ appId: "77", privateKey: testPrivateKey(), baseUrl });

    const first = await tokens("4242", "octo/private-lib");
    expect(first).toMatch(/^ghs_fake4242x/);
    expect(await tokens("4242", "octo/private-lib")).toBe(first);

    const minted = github.requests({ method: "POST" });
    expect(minted).toHaveLength(1);
    expect(minted[0]?.path).toBe("/app/installations/4242/access_tokens");
    expect(minted[0]?.body).toEqual({ repositories: ["private-lib"], permissions: { contents: "read" } });
    expect(verifiedClaims(minted[0]?.headers.authorization).iss).toBe("77");
    github.assertAllValid();

    // Another repository of the same installation gets its own token.
    expect(await tokens("4242", "octo/other")).not.toBe(first);
  });

  it("refuses an installation id or repository it cannot scope a token to, before asking GitHub", async () => {
    github = fakeGitHub();
    const tokens = appCloneTokens({ appId: "77", privateKey: testPrivateKey() });
    await expect(tokens("abc", "octo/lib")).rejects.toThrow(/installation id 'abc'/);
    await expect(tokens("1", "octo")).rejects.toThrow(/not owner\/name/);
    expect(github.requests()).toHaveLength(0);
  });

  it("tries again after GitHub's 5xx or a rate limit, and fails at once on what another try would not change", async () => {
    github = fakeGitHub();
    const tokens = appCloneTokens({ appId: "77", privateKey: testPrivateKey(), retryDelaysMs: [10, 10, 10] });
    const minting = { method: "POST", path: /\/access_tokens$/ };
    const failing = (status: number, times: number, headers: Record<string, string> = {}) =>
      github?.reply(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        () => ({ status, body: { message: `status ${status}` }, headers }),
        { times },
      );

    failing(502, 1);
    failing(429, 1);
    failing(403, 1, { "retry-after": "1" });
    expect(await tokens("11", "octo/lib")).toMatch(/^ghs_fake11x/);
    expect(github.requests(minting).map((r) => r.status)).toEqual([403, 429, 502, 201]);

    // Past its tries, the last error is the one reported.
    failing(503, 4);
    await expect(tokens("12", "octo/lib")).rejects.toMatchObject({ status: 503 });
    expect(github.requests(minting)).toHaveLength(4 + 4);

    // The app cannot see the repository, or may not: asking again changes nothing.
    failing(404, 1);
    await expect(tokens("13", "octo/lib")).rejects.toMatchObject({ status: 404 });
    failing(403, 1);
    await expect(tokens("14", "octo/lib")).rejects.toMatchObject({ status: 403 });
    expect(github.requests(minting)).toHaveLength(4 + 4 + 2);
  });

  it("a key that cannot sign fails at once, without asking GitHub; a cancel ends the wait between tries", async () => {
    github = fakeGitHub();
    const broken = appCloneTokens({ appId: "77", privateKey: "not a key", retryDelaysMs: [60_000] });
    const started = Date.now();
    await expect(broken("11", "octo/lib")).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(github.requests()).toHaveLength(0);

    github.reply("POST", "/app/installations/{installation_id}/access_tokens", () => ({ status: 502 }), { times: 1 });
    const waiting = appCloneTokens({ appId: "77", privateKey: testPrivateKey(), retryDelaysMs: [60_000] });
    const cancel = new AbortController();
    const minted = waiting("12", "octo/lib", cancel.signal);
    await until("the first try", () => github?.requests({ method: "POST" }).length === 1);
    cancel.abort(new Error("superseded"));
    await expect(minted).rejects.toThrow("superseded");
  });

  it("takes the API's address from Probot's settings", () => {
    expect(githubApiBaseUrl({})).toBe("https://api.github.com");
    expect(githubApiBaseUrl({ GHE_HOST: "127.0.0.1:8443", GHE_PROTOCOL: "http" })).toBe("http://127.0.0.1:8443/api/v3");
  });
});
