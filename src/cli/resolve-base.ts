/**
 * `extends` for the commands that run without a server (`validate`, `run`):
 * the stored configuration is read from the server's API when
 * HEIMDALL_API_URL and HEIMDALL_TOKEN say where and as whom, so the file is
 * checked over the same base a push would be; otherwise the problem at
 * `extends` says how to make that so.
 */
import { type BaseConfig, baseFileName, extendsName, type UnresolvedBase } from "../config/extends.ts";

/** Long enough for a slow server; a command must not hang on one that never answers. */
const API_TIMEOUT_MS = 30_000;

export async function cliBase(text: string, env: NodeJS.ProcessEnv): Promise<BaseConfig | UnresolvedBase | undefined> {
  const name = extendsName(text);
  if (name === null) return undefined;
  const server = env.HEIMDALL_API_URL?.trim()
    .replace(/\/+$/, "")
    .replace(/\/api\/v1$/, "");
  const token = env.HEIMDALL_TOKEN?.trim();
  if (!server || !token) {
    return {
      unresolved: `'${name}' is a configuration stored on a heimdall-build server; set HEIMDALL_API_URL (the server's URL) and HEIMDALL_TOKEN (a token with builds:read) to read it from there`,
    };
  }
  const url = `${server}/api/v1/configurations/${name}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { unresolved: `cannot read '${name}' from ${server} (HEIMDALL_API_URL): ${cause}` };
  }
  const body = (await response.json().catch(() => null)) as {
    version?: unknown;
    document?: unknown;
    error?: { message?: unknown };
  } | null;
  if (response.status === 404)
    return { unresolved: `the server at ${server} has no stored configuration named '${name}'` };
  if (!response.ok) {
    const said = typeof body?.error?.message === "string" ? `: ${body.error.message}` : "";
    return { unresolved: `the server at ${server} did not give '${name}' (${response.status}${said})` };
  }
  if (typeof body?.version !== "number" || typeof body.document !== "string")
    return { unresolved: `the server at ${server} answered for '${name}' with no configuration document` };
  return { name, version: body.version, text: body.document };
}

/** ` (over configurations/<name>@v<n>)` after the file's name in a command's summary, when it extends one. */
export function overBase(base: BaseConfig | UnresolvedBase | undefined): string {
  return base && "text" in base ? ` (over ${baseFileName(base)})` : "";
}
