/**
 * Which repository URLs a worker's git may be given: https://, file:// when
 * the options allow it (local mirrors, tests), and plain http:// to one host
 * only, a GitHub Enterprise Server that speaks nothing else (GHE_PROTOCOL=http
 * with GHE_HOST). http:// to any other host is refused, for the clone and for
 * every submodule: a submodule could otherwise point the build's fetches at a
 * host the operator never chose, in the clear.
 */

export interface UrlPolicyOptions {
  /** Accepts file:// URLs (tests, local mirrors). */
  readonly allowFileUrls?: boolean;
  /** `host[:port]` fetched over plain http, and only that host on that port. */
  readonly plainHttpHost?: string | null;
}

/** A URL git must not be given. */
export class UrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UrlRefused";
  }
}

/**
 * `host[:port]` as a URL's `host` spells it (lower case, no :80), or null when
 * `host` is not a bare host with an optional port.
 */
export function normalHttpHost(host: string): string | null {
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) && !/^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return null;
  try {
    return new URL(`http://${host}`).host;
  } catch {
    return null;
  }
}

export class UrlPolicy {
  readonly #allowFile: boolean;
  readonly #httpHost: string | null;

  constructor(options: UrlPolicyOptions) {
    this.#allowFile = options.allowFileUrls ?? false;
    const configured = options.plainHttpHost ?? null;
    this.#httpHost = configured === null ? null : normalHttpHost(configured);
    if (configured !== null && this.#httpHost === null) {
      throw new UrlRefused(`'${configured}' is not a host[:port] to fetch over http from`);
    }
  }

  /** Whether git may speak plain http at all (to the one host this policy lets through). */
  get allowsHttp(): boolean {
    return this.#httpHost !== null;
  }

  /** `raw`, when git may be given it; else UrlRefused says why. `what` names it in the message. */
  check(raw: unknown, what: string): string {
    if (typeof raw !== "string") throw new UrlRefused(`refused ${what}: not a string`);
    if (/[\s\0]/.test(raw)) throw new UrlRefused(`refused ${what} ${JSON.stringify(raw)}: white space in a URL`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UrlRefused(`refused ${what} '${raw}': not a URL (only https:// is fetched)`);
    }
    if (url.protocol === "file:" && this.#allowFile) {
      if (url.host) throw new UrlRefused(`refused ${what} '${raw}': a file:// URL names no host`);
      return raw;
    }
    if (url.protocol === "http:") {
      if (this.#httpHost === null) throw new UrlRefused(`refused ${what} '${raw}': only https:// URLs are fetched`);
      if (url.host !== this.#httpHost) {
        throw new UrlRefused(
          `refused ${what} '${raw}': http:// is fetched only from http://${this.#httpHost} (GHE_HOST with GHE_PROTOCOL=http); any other host only over https://`,
        );
      }
    } else if (url.protocol !== "https:") {
      throw new UrlRefused(`refused ${what} '${raw}': only https:// URLs are fetched`);
    }
    if (url.username || url.password) {
      throw new UrlRefused(`refused ${what}: credentials in a URL are never used (the token is passed separately)`);
    }
    return raw;
  }

  /**
   * `git@host:org/repo.git` and `ssh://git@host/org/repo.git` as a URL git can
   * fetch without SSH keys: http:// on the plain-http host (its web port), https:// elsewhere.
   */
  fromSsh(url: string): string {
    const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/.exec(url);
    const scp = ssh ? null : /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/.exec(url);
    const match = ssh ?? scp;
    if (!match?.[1] || match[2] === undefined) return url;
    const host = match[1];
    const repoPath = match[2].replace(/^\/+/, "");
    const httpHost = this.#httpHost;
    if (httpHost !== null && new URL(`http://${httpHost}`).hostname === host.toLowerCase()) {
      return `http://${httpHost}/${repoPath}`;
    }
    return `https://${host}/${repoPath}`;
  }
}

/** `https://host[:port]/` (or `http://` for the plain-http host): the scope of the token header. */
export function originOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/`;
}
