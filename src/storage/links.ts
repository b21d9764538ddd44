/**
 * The links a summary gives to an attempt's log, artifacts and SBOMs, and to
 * its live log. With a URL secret they are the API's own signed links (which
 * stream a filesystem store's object, or redirect to a fresh presigned S3
 * URL), so they outlive S3's one-week presigning limit; without one, the
 * store's own URL (presigned for a week on S3).
 */
import type { ObjectStore } from "./object-store.ts";
import { MAX_LINK_SECONDS, type UrlSigner } from "./url-signer.ts";

/** Where the API serves objects: the key follows. */
export const OBJECTS_PATH = "/api/v1/objects/";
const S3_PRESIGN_MAX_SECONDS = 7 * 24 * 60 * 60;
/** A live log's link is for while the attempt runs and shortly after. */
const LIVE_LOG_SECONDS = 24 * 60 * 60;

/** The API's path of an object: each segment of the key percent-encoded. */
export function objectPath(key: string): string {
  return OBJECTS_PATH + key.split("/").map(encodeURIComponent).join("/");
}

export function liveLogPath(attemptId: string): string {
  return `/api/v1/attempts/${encodeURIComponent(attemptId)}/log`;
}

export class Links {
  readonly #store: ObjectStore;
  readonly #signer: UrlSigner | null;
  readonly #publicUrl: string;

  constructor(options: { store: ObjectStore; signer: UrlSigner | null; publicUrl: string }) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#publicUrl = options.publicUrl.replace(/\/$/, "");
  }

  async object(key: string): Promise<string> {
    if (this.#signer) return this.#publicUrl + this.#signer.sign(objectPath(key), MAX_LINK_SECONDS);
    const url = await this.#store.url(key, S3_PRESIGN_MAX_SECONDS);
    // A filesystem store's URLs are paths of the API: links need its address.
    return url.startsWith("/") ? this.#publicUrl + url : url;
  }
}

/** A running attempt's live log; null without a secret: the API serves it to signed links only. */
export function liveLogLink(signer: UrlSigner | null, publicUrl: string, attemptId: string): string | null {
  return signer ? publicUrl.replace(/\/$/, "") + signer.sign(liveLogPath(attemptId), LIVE_LOG_SECONDS) : null;
}

/** A build's page (check runs' "Details"): signed for 90 days when there is a secret, so private repositories' builds show to whoever GitHub showed the link. */
export function buildPageLink(signer: UrlSigner | null, publicUrl: string, buildId: string): string {
  const path = buildPagePath(buildId);
  return publicUrl.replace(/\/$/, "") + (signer ? signer.sign(path, MAX_LINK_SECONDS) : path);
}

export function buildPagePath(buildId: string): string {
  return `/builds/${encodeURIComponent(buildId)}`;
}

/**
 * A check run's "Details": with a dashboard people can sign in to, the build's
 * page there with the cell selected (people sign in with GitHub and see what
 * GitHub lets them); else the server's own build page, signed (buildPageLink).
 */
export function detailsLink(
  options: { readonly signer: UrlSigner | null; readonly publicUrl: string; readonly dashboard: boolean },
  buildId: string,
  cellKey?: string,
): string {
  if (!options.dashboard) return buildPageLink(options.signer, options.publicUrl, buildId);
  const cell = cellKey ? `/cells/${encodeURIComponent(cellKey)}` : "";
  return `${options.publicUrl.replace(/\/$/, "")}${buildPagePath(buildId)}${cell}`;
}
