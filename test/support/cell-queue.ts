/**
 * Workers without a server: a cell job put straight on a prefix's queue, and
 * the `finished` event a worker reports for it read back off the events queue
 * (no server consumes it). For tests about workers and their containers only.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { type CellEvent, Queues } from "../../src/queue/queues.ts";
import { REDIS_URL } from "./app-harness.ts";
import { configured } from "./executor.ts";

export type Finished = Extract<CellEvent, { type: "finished" }>;

export interface CellQueue {
  readonly prefix: string;
  /** Queues attempt `attemptId` of the config's first cell at `sha` of the repository at `cloneUrl` (octo/lib, trusted, unless told). */
  push(
    attemptId: string,
    config: string,
    cloneUrl: string,
    sha: string,
    options?: { readonly fork?: boolean; readonly repository?: string },
  ): Promise<void>;
  /** The attempt's `finished` event, once a worker has reported it. */
  finished(attemptId: string): Promise<Finished | undefined>;
  close(): Promise<void>;
}

export function cellQueue(name: string): CellQueue {
  const prefix = `heimdall-${name}-${randomBytes(4).toString("hex")}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = new Queues({ connection, prefix });
  return {
    prefix,
    async push(attemptId, config, cloneUrl, sha, options = {}) {
      const { cells, settings } = configured(config);
      const cell = cells[0];
      if (!cell) throw new Error("the config has no cell");
      await queues.enqueueCell({
        attemptId,
        buildId: "1",
        repository: options.repository ?? "octo/lib",
        cloneUrl,
        headSha: sha,
        installationId: "1",
        fork: options.fork ?? false,
        cell,
        settings,
      });
    },
    async finished(attemptId) {
      const jobs = await queues.events.getJobs(["waiting", "active", "completed", "failed", "delayed"]);
      const events = jobs.map((job) => job.data);
      return events.find((e): e is Finished => e.type === "finished" && e.attemptId === attemptId);
    },
    async close() {
      await queues.close();
      connection.disconnect();
    },
  };
}
