/**
 * The token cache on a test clock with a lookup that counts: kept while
 * revocations are heard and for `ttlMs` at most, forgotten on a revocation,
 * never kept while deaf, and never kept from a lookup a revocation overtook.
 */
import { describe, expect, it } from "vitest";
import { TokenCache } from "../../src/api/token-cache.ts";
import type { ApiToken } from "../../src/db/schema.ts";

function token(id: string): ApiToken {
  return {
    id,
    name: `t${id}`,
    prefix: "hbt_xxxxxx",
    hash: `hash-${id}`,
    scopes: ["builds:read"],
    repositories: null,
    created_at: new Date(0),
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
  } as ApiToken;
}

function harness(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let now = 0;
  const rows = new Map([
    ["hash-1", token("1")],
    ["hash-2", token("2")],
    ["hash-3", token("3")],
  ]);
  const lookups: string[] = [];
  let gate: Promise<void> | null = null;
  const cache = new TokenCache({
    lookup: async (hash) => {
      lookups.push(hash);
      if (gate) await gate;
      return rows.get(hash);
    },
    now: () => new Date(now),
    ...options,
  });
  return {
    cache,
    lookups,
    rows,
    advance: (ms: number) => {
      now += ms;
    },
    hold: () => {
      let open = () => {};
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe("TokenCache", () => {
  it("keeps a token while revocations are heard, for ttlMs at most, on its clock", async () => {
    const h = harness({ ttlMs: 30_000 });
    h.cache.setListening(true);
    expect((await h.cache.get("hash-1"))?.id).toBe("1");
    h.advance(29_999);
    expect((await h.cache.get("hash-1"))?.id).toBe("1");
    expect(h.lookups).toEqual(["hash-1"]);
    h.advance(1);
    await h.cache.get("hash-1");
    expect(h.lookups).toEqual(["hash-1", "hash-1"]);
  });

  it("keeps nothing while revocations are not heard, and forgets all when they stop being heard", async () => {
    const h = harness();
    await h.cache.get("hash-1");
    await h.cache.get("hash-1");
    expect(h.lookups).toEqual(["hash-1", "hash-1"]);
    expect(h.cache.size).toBe(0);
    h.cache.setListening(true);
    await h.cache.get("hash-1");
    expect(h.cache.size).toBe(1);
    h.cache.setListening(false);
    expect(h.cache.size).toBe(0);
    await h.cache.get("hash-1");
    expect(h.lookups).toHaveLength(4);
  });

  it("a revocation forgets the token at once; other tokens stay", async () => {
    const h = harness();
    h.cache.setListening(true);
    await h.cache.get("hash-1");
    await h.cache.get("hash-2");
    const forgot: string[] = [];
    h.cache.on("forgot", (id) => forgot.push(id));
    h.cache.forget("1");
    expect(forgot).toEqual(["1"]);
    h.rows.set("hash-1", { ...token("1"), revoked_at: new Date(5) });
    expect((await h.cache.get("hash-1"))?.revoked_at).toEqual(new Date(5));
    await h.cache.get("hash-2");
    expect(h.lookups).toEqual(["hash-1", "hash-2", "hash-1"]);
  });

  it("a lookup a revocation overtook is answered but not kept", async () => {
    const h = harness();
    h.cache.setListening(true);
    const release = h.hold();
    const pending = h.cache.get("hash-1");
    h.cache.forget("1");
    release();
    expect((await pending)?.id).toBe("1");
    expect(h.cache.size).toBe(0);
  });

  it("unknown hashes are not kept; past maxEntries the cache starts afresh", async () => {
    const h = harness({ maxEntries: 2 });
    h.cache.setListening(true);
    expect(await h.cache.get("hash-unknown")).toBeUndefined();
    expect(h.cache.size).toBe(0);
    await h.cache.get("hash-1");
    await h.cache.get("hash-2");
    expect(h.cache.size).toBe(2);
    await h.cache.get("hash-3");
    expect(h.cache.size).toBe(1);
  });

  it("touched: the last use written is what the kept row says from then on", async () => {
    const h = harness();
    h.cache.setListening(true);
    await h.cache.get("hash-1");
    h.cache.touched("hash-1", new Date(42));
    expect((await h.cache.get("hash-1"))?.last_used_at).toEqual(new Date(42));
  });
});
