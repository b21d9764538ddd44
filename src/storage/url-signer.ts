/**
 * Links that carry their own permission: a path, an expiry and an HMAC of the
 * two under a secret the workers and servers share (HEIMDALL_URL_SECRET). The
 * filesystem store's objects and the live log are served only to such links,
 * as S3 serves only presigned ones: a check run's reader can follow them, a
 * guessed path gets nothing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Verdict = "ok" | "expired" | "invalid";

/** The longest a link may live: a check run's links should outlast a release cycle, not forever. */
export const MAX_LINK_SECONDS = 90 * 24 * 60 * 60;

export class UrlSigner {
  readonly #secret: Buffer;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error("HEIMDALL_URL_SECRET must be at least 16 characters");
    this.#secret = Buffer.from(secret, "utf8");
  }

  /** `path?expires=…&signature=…`; path is a URL path without a query. */
  sign(path: string, expiresInSeconds: number, now = Date.now()): string {
    const seconds = Math.min(Math.max(1, Math.floor(expiresInSeconds)), MAX_LINK_SECONDS);
    const expires = Math.floor(now / 1000) + seconds;
    return `${path}?expires=${expires}&signature=${this.#mac(path, expires)}`;
  }

  verify(path: string, query: URLSearchParams, now = Date.now()): Verdict {
    const expires = Number(query.get("expires"));
    const signature = query.get("signature") ?? "";
    if (!Number.isSafeInteger(expires) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return "invalid";
    const expected = Buffer.from(this.#mac(path, expires));
    if (!timingSafeEqual(expected, Buffer.from(signature))) return "invalid";
    return expires * 1000 < now ? "expired" : "ok";
  }

  #mac(path: string, expires: number): string {
    return createHmac("sha256", this.#secret).update(`${path}\n${expires}`).digest("base64url");
  }
}
