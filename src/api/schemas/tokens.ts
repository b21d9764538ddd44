/** The API's tokens as /tokens shows them (never the token, only its first characters): zod only. */
import { z } from "zod";

export const ScopeName = z.enum(["builds:read", "builds:write", "configurations:write", "admin"]);

export const TokenInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The token's first characters, to recognise it"),
    scopes: z.array(ScopeName),
    repositories: z.array(z.string()).nullable().describe("owner/name in lower case; null: every repository"),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    last_used_at: z.string().nullable().describe("Written at most once a minute"),
  })
  .meta({ id: "TokenInfo" });

export const TokenList = z.object({ tokens: z.array(TokenInfo) }).meta({ id: "TokenList" });

export const NewTokenRequest = z
  .strictObject({
    name: z
      .string()
      .regex(/^[\w.@:-]{1,64}$/)
      .describe("1-64 letters, digits or . _ @ : -"),
    scopes: z.array(ScopeName).min(1),
    repositories: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/))
      .max(100)
      .optional()
      .describe("owner/name: the token sees and acts on these only; absent: every repository"),
    expires: z
      .string()
      .regex(/^(never|\d{1,5}[hdw])$/)
      .default("90d")
      .describe("90d (default), 12h, 2w, or never"),
  })
  .meta({ id: "NewTokenRequest" });

export const NewToken = TokenInfo.extend({
  token: z.string().describe("The token: shown this once, kept only as its SHA-256"),
}).meta({ id: "NewToken" });
