/**
 * API tokens: made of 32 random bytes, shown once, kept as their SHA-256;
 * what a token may do (scopes) and on which repositories.
 */
import { createHash, randomBytes } from "node:crypto";
import { API_SCOPES, type ApiScope } from "../db/schema.ts";

/** `hbt_` says what a leaked string is (secret scanners key on such prefixes). */
export const TOKEN_PREFIX = "hbt_";
const TOKEN_SHAPE = /^hbt_[A-Za-z0-9_-]{43}$/;

export function mintToken(): { token: string; hash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token), prefix: token.slice(0, 10) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A bearer value that could be a token; anything else is refused before the database is asked. */
export function looksLikeToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export class TokenInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenInputError";
  }
}

/** `builds:read,builds:write`: each a known scope, at least one. */
export function parseScopes(text: string): ApiScope[] {
  const scopes = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (scopes.length === 0) throw new TokenInputError(`--scopes: name at least one of ${API_SCOPES.join(", ")}`);
  for (const scope of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(scope))
      throw new TokenInputError(`--scopes: '${scope}' is not a scope; the scopes are ${API_SCOPES.join(", ")}`);
  }
  return [...new Set(scopes)] as ApiScope[];
}

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;

/** owner/name, compared without case as GitHub does. */
export function parseRepository(text: string): string {
  if (!REPOSITORY.test(text)) throw new TokenInputError(`--repo: '${text}' is not owner/name`);
  return text.toLowerCase();
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `90d`, `12h`, `2w`, or `never`: when a token made now expires (null: never). */
export function parseExpiry(text: string, now: Date): Date | null {
  if (text === "never") return null;
  const match = /^(\d{1,5})([hdw])$/.exec(text);
  if (!match?.[1] || !match[2] || Number(match[1]) === 0)
    throw new TokenInputError(`--expires: '${text}' is not a duration like 90d, 12h, 2w, or never`);
  return new Date(now.getTime() + Number(match[1]) * (UNIT_MS[match[2]] ?? 0));
}

/** What a scope allows beyond itself: admin everything, a write scope its reads. */
export function grants(held: readonly ApiScope[], wanted: ApiScope): boolean {
  if (held.includes("admin") || held.includes(wanted)) return true;
  if (wanted === "builds:read") return held.includes("builds:write");
  return false;
}
