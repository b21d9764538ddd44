/**
 * The dashboard's live feed, one per server: the changes every server
 * publishes (`Queues.requestSync`), gathered for `batchMs`, resolved to their
 * builds and repositories in one query, and told to each follower that may
 * see them (GET /api/v1/events, Server-Sent Events).
 */
import type { ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { sql } from "kysely";
import type { Db } from "../db/connect.ts";
import { changesChannel } from "../queue/queues.ts";

export interface BuildChange {
  readonly id: string;
  /** owner/name as stored. */
  readonly repository: string;
}

export interface BuildEventsOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly db: Db;
  /** Changes are gathered this long before they are told (default 250 ms). */
  readonly batchMs?: number;
  /** Followers at once, at most (default 1,000). */
  readonly max?: number;
  /** A comment sent this often keeps proxies from closing a quiet stream (default 25 s). */
  readonly heartbeatMs?: number;
}

interface Follower {
  readonly response: ServerResponse;
  /** owner/name in lower case; null: every repository. */
  readonly repositories: ReadonlySet<string> | null;
}

export class BuildEvents {
  readonly #options: BuildEventsOptions;
  readonly #followers = new Set<Follower>();
  #subscriber: Redis | null = null;
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(options: BuildEventsOptions) {
    this.#options = options;
  }

  get full(): boolean {
    return this.#followers.size >= (this.#options.max ?? 1_000);
  }

  get followers(): number {
    return this.#followers.size;
  }

  /** Streams changes to this response until it closes. The subscription opens with the first follower. */
  async follow(response: ServerResponse, repositories: readonly string[] | null): Promise<void> {
    const follower: Follower = { response, repositories: repositories ? new Set(repositories) : null };
    this.#followers.add(follower);
    response.on("close", () => {
      this.#followers.delete(follower);
    });
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    // The browser reconnects 2 s after a drop (and says it did: the page reads again).
    response.write("retry: 2000\n\n");
    await this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    if (this.#subscriber) return;
    const subscriber = this.#options.redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on("error", () => undefined);
    subscriber.on("message", (_channel: string, message: string) => {
      this.#pending.add(message);
      this.#timer ??= setTimeout(() => void this.#flush(), this.#options.batchMs ?? 250);
    });
    await subscriber.subscribe(changesChannel(this.#options.prefix));
    this.#heartbeat = setInterval(() => {
      for (const { response } of this.#followers) response.write(": keep-alive\n\n");
    }, this.#options.heartbeatMs ?? 25_000);
  }

  async #flush(): Promise<void> {
    this.#timer = null;
    const changes = [...this.#pending];
    this.#pending = new Set();
    if (this.#followers.size === 0) return;
    let builds: BuildChange[];
    try {
      builds = await changedBuilds(this.#options.db, changes);
    } catch {
      // PostgreSQL away: the pages are told something changed, without what (they read again).
      builds = [];
      for (const { response } of this.#followers) response.write("event: resync\ndata: {}\n\n");
    }
    for (const build of builds) {
      const data = `event: build\ndata: ${JSON.stringify(build)}\n\n`;
      const name = build.repository.toLowerCase();
      for (const { response, repositories } of this.#followers)
        if (!repositories || repositories.has(name)) response.write(data);
    }
  }

  /** Ends every stream (the server stops) and the subscription. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    for (const { response } of this.#followers) response.end();
    this.#followers.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = null;
  }
}

/** `attempt-<id>` and `matrix-<id>` messages as the builds they belong to, each once. */
export async function changedBuilds(db: Db, messages: readonly string[]): Promise<BuildChange[]> {
  const ids = (kind: string) =>
    messages.flatMap((m) => {
      const id = new RegExp(`^${kind}-(\\d{1,18})$`).exec(m)?.[1];
      return id ? [id] : [];
    });
  const builds = ids("matrix");
  const attempts = ids("attempt");
  if (builds.length === 0 && attempts.length === 0) return [];
  const result = await sql<{ id: string; repository: string }>`
    SELECT DISTINCT b.id::text AS id, r.full_name AS repository
    FROM builds b
    JOIN repositories r ON r.id = b.repository_id
    WHERE b.id = ANY(${builds}::bigint[])
       OR b.id IN (SELECT c.build_id FROM attempts a JOIN cells c ON c.id = a.cell_id WHERE a.id = ANY(${attempts}::bigint[]))
    ORDER BY 1`.execute(db);
  return result.rows;
}
