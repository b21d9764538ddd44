/**
 * Tokens kept in memory, so that a call costs no PostgreSQL round trip to
 * say who makes it. Only while the server hears revocations: a revoked
 * token is forgotten when PostgreSQL's notification arrives, and with the
 * listener down nothing is kept (every call reads its token). A lookup that
 * began before a revocation is not kept (`#revocations`), and an entry lives
 * `ttlMs` at most whatever happens. Expiry is checked on every call by the
 * caller, from the row, on the server's clock.
 */
import { EventEmitter } from "node:events";
import type { ApiToken } from "../db/schema.ts";

export interface TokenCacheOptions {
  readonly lookup: (hash: string) => Promise<ApiToken | undefined>;
  readonly now: () => Date;
  /** How long a token is kept at most (default 30 s). */
  readonly ttlMs?: number;
  /** How many tokens are kept at most; past it the cache starts afresh (default 10,000). */
  readonly maxEntries?: number;
}

interface Entry {
  readonly row: ApiToken;
  readonly keptAt: number;
}

export class TokenCache extends EventEmitter<{ forgot: [tokenId: string]; listening: [listening: boolean] }> {
  readonly #options: TokenCacheOptions;
  readonly #entries = new Map<string, Entry>();
  #listening = false;
  #revocations = 0;

  constructor(options: TokenCacheOptions) {
    super();
    this.#options = options;
  }

  get listening(): boolean {
    return this.#listening;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The token stored under this hash; undefined when there is none. */
  async get(hash: string): Promise<ApiToken | undefined> {
    const now = this.#options.now().getTime();
    const kept = this.#entries.get(hash);
    if (kept && now - kept.keptAt < (this.#options.ttlMs ?? 30_000)) return kept.row;
    if (kept) this.#entries.delete(hash);
    const revocationsBefore = this.#revocations;
    const row = await this.#options.lookup(hash);
    // Unknown hashes are not kept: a stranger's guesses must not fill the memory.
    if (row && this.#listening && this.#revocations === revocationsBefore) {
      if (this.#entries.size >= (this.#options.maxEntries ?? 10_000)) this.#entries.clear();
      this.#entries.set(hash, { row, keptAt: now });
    }
    return row;
  }

  /** Its last use as written now, so that the once-a-minute write is not repeated from a stale row. */
  touched(hash: string, at: Date): void {
    const kept = this.#entries.get(hash);
    if (kept) this.#entries.set(hash, { ...kept, row: { ...kept.row, last_used_at: at } });
  }

  /** A token revoked: forgotten here at once. */
  forget(tokenId: string): void {
    this.#revocations++;
    for (const [hash, entry] of this.#entries) if (entry.row.id === tokenId) this.#entries.delete(hash);
    this.emit("forgot", tokenId);
  }

  /** Whether revocations are heard; while they are not, nothing is kept. */
  setListening(listening: boolean): void {
    this.#revocations++;
    this.#listening = listening;
    if (!listening) this.#entries.clear();
    this.emit("listening", listening);
  }
}
