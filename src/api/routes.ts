/**
 * The API's routes under /api/v1 that serve what workers made: stored
 * objects (logs, artifacts, SBOMs) and the live tail of a running attempt's
 * log. Both answer signed links only (storage/url-signer.ts): the links in
 * check runs and on the dashboard; a guessed path gets 403. They take no
 * request body.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { hasBody } from "../http/bounded-body.ts";
import { refuse as refuseUnread } from "../http/refuse.ts";
import { isValidKey } from "../storage/keys.ts";
import { OBJECTS_PATH } from "../storage/links.ts";
import type { ObjectStore } from "../storage/object-store.ts";
import type { UrlSigner } from "../storage/url-signer.ts";
import { codeOfStatus, errorBody } from "./errors.ts";
import { LiveLogFollowers } from "./live-log-stream.ts";
import { sendObject } from "./send-object.ts";

export interface ApiRoutesOptions {
  readonly store: ObjectStore | null;
  readonly signer: UrlSigner | null;
  /** For the live log: a blocking read takes a connection of its own (duplicated from this one). */
  readonly redis: Redis;
  readonly prefix: string;
  /** Followers of live logs at once, at most (each holds a Redis connection). */
  readonly maxFollowers?: number;
  /** How long a follower waits for new output per Redis read. */
  readonly followBlockMs?: number;
  /** The server's followers of live logs, shared with the API's log route (made here when absent). */
  readonly followers?: LiveLogFollowers;
}

const LIVE_LOG = /^\/api\/v1\/attempts\/(\d{1,18})\/log$/;

export interface ApiHandler {
  /** Answers the request if it is one of these routes (true), or leaves it (false). */
  (request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** Ends every followed live log (the server is stopping: they could last hours). */
  shutdown(): void;
}

export function apiRoutes(options: ApiRoutesOptions): ApiHandler {
  const followers =
    options.followers ??
    new LiveLogFollowers({
      redis: options.redis,
      prefix: options.prefix,
      ...(options.maxFollowers !== undefined ? { max: options.maxFollowers } : {}),
      ...(options.followBlockMs !== undefined ? { blockMs: options.followBlockMs } : {}),
    });

  const refuse = (response: ServerResponse, status: number, message: string) => {
    response
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify(errorBody(codeOfStatus(status), message)));
    return true;
  };
  const signed = (response: ServerResponse, pathname: string, query: URLSearchParams): boolean => {
    if (!options.signer) {
      refuse(response, 403, "this server has no HEIMDALL_URL_SECRET: it serves no signed links");
      return false;
    }
    const verdict = options.signer.verify(pathname, query);
    if (verdict === "ok") return true;
    refuse(response, 403, verdict === "expired" ? "this link has expired" : "this link's signature is not valid");
    return false;
  };

  const handler = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    // A client that leaves at any point is noticed, also during the first read.
    let gone = false;
    response.on("close", () => {
      gone = true;
    });
    const url = new URL(request.url ?? "/", "http://api.invalid");
    const pathname = url.pathname;
    if (!pathname.startsWith("/api/v1/")) return false;
    // Every route here is a GET: a body is refused unread (and its connection closed), whatever its size.
    if (hasBody(request)) {
      refuseUnread(request, response, 413, "the API takes no request body");
      return true;
    }
    if (request.method !== "GET" && request.method !== "HEAD") return refuse(response, 405, "only GET");

    if (pathname.startsWith(OBJECTS_PATH)) {
      if (!signed(response, pathname, url.searchParams)) return true;
      let key: string;
      try {
        key = pathname.slice(OBJECTS_PATH.length).split("/").map(decodeURIComponent).join("/");
      } catch {
        return refuse(response, 400, "the object's key is not valid percent-encoding");
      }
      if (!isValidKey(key) || !options.store) return refuse(response, 404, "no such object");
      if (!(await sendObject(options.store, key, request, response))) return refuse(response, 404, "no such object");
      return true;
    }

    const live = LIVE_LOG.exec(pathname);
    if (live?.[1]) {
      if (!signed(response, pathname, url.searchParams)) return true;
      const attemptId = live[1];
      const first = await followers.first(attemptId);
      if (!first)
        return refuse(
          response,
          404,
          `no live log for attempt ${attemptId}: it has not started, or ended over a day ago`,
        );
      const follow = request.method === "GET" && url.searchParams.get("follow") === "1" && first.ended === null;
      if (follow && followers.full) return refuse(response, 503, "too many live logs are followed; try again");
      response.writeHead(200, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
        "cache-control": "no-store",
        "x-heimdall-state": first.ended ?? "running",
      });
      if (request.method === "HEAD" || !follow || gone) {
        response.end(request.method === "HEAD" ? undefined : first.text);
        return true;
      }
      await followers.follow(attemptId, first, response);
      return true;
    }
    return refuse(response, 404, "no such API route");
  };
  return Object.assign(handler, {
    shutdown() {
      followers.shutdown();
    },
  });
}
